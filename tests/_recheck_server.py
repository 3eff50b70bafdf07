"""A real HTTP server on 127.0.0.1 for recheck tests: one port per simulated host, a request log.

Every request is logged with its host (port), path, start and end times and headers, so tests
assert politeness (intervals, concurrency) from the server's side. Pages are synthetic.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import html
import select
import socket
import sqlite3
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FB_LIVE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">
<title>Cruce Seguro USA | Facebook</title>
<meta property="og:title" content="Cruce Seguro USA">
<meta property="og:url" content="https://www.facebook.com/CruceSeguroUSA.Oficial">
<meta property="al:android:url" content="fb://page/100064000000101">
<meta property="og:site_name" content="Facebook">
</head><body><h1>Cruce Seguro USA</h1><div>Te cruzamos sin papeles. WhatsApp +52 55 5555 0101</div>
<div data-testid="royal_login_button">Iniciar sesión</div></body></html>"""

FB_UNAVAILABLE_ES = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div role="main"><h2>Este contenido no está disponible en este momento</h2>
<span>Por lo general, esto sucede porque el propietario solo compartió el contenido con un grupo reducido
de personas, cambió quién puede verlo o este se eliminó.</span><a href="/">Ir a la sección de noticias</a></div>
</body></html>"""

FB_UNAVAILABLE_EN = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div role="main"><h2>This content isn't available right now</h2><span>When this happens, it's usually
because the owner only shared it with a small group of people, changed who can see it or it's been deleted.</span>
</div></body></html>"""

FB_LOGIN = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Inicia sesión en Facebook</title>
</head><body><form id="login_form" action="/login/device-based/regular/login/"><input name="email">
<input name="pass" type="password"><button>Iniciar sesión</button></form><a>¿Olvidaste tu contraseña?</a></body></html>"""

# Facebook's logged-out wall as served (meedan/pender test/data/facebook-profile-page_login.html, 2022):
# the wall's og:url names the page asked for in next=; that URL is never evidence the page exists.
FB_LOGIN_OG = """<!DOCTYPE html><html lang="en" id="facebook"><head><meta charset="utf-8">
<title id="pageTitle">Log into Facebook</title><meta property="og:site_name" content="Facebook">
<meta property="og:url" content="https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fsomepage%2F">
<link rel="canonical" href="https://www.facebook.com/login/web/"></head><body>
<form id="login_form" action="/login/device-based/regular/login/" method="post"><input name="email" id="email">
<input name="pass" id="pass" type="password"><button name="login" id="loginbutton">Log In</button></form></body></html>"""

FB_BLOCKED = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><h2>You're Temporarily Blocked</h2><div>It looks like you were misusing this feature by going too fast.</div>
</body></html>"""

FB_CHECKPOINT = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div>Please wait</div></body></html>"""

WEB_LIVE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Viajes Frontera Norte</title>
<meta property="og:title" content="Viajes Frontera Norte"></head>
<body><h1>Viajes Frontera Norte</h1><p>Salidas cada semana desde Tapachula. Informes al +52 55 5555 0102.</p>
</body></html>"""

# Declared as UTF-8 but encoded as Windows-1252: the accents only decode right with a fallback.
CHARSET_LIVE = FB_LIVE.replace("Cruce Seguro USA</h1>", "Cruce Seguro USA – Tránsito rápido</h1>")


FIXTURE_PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


@dataclass
class Logged:
    host: str
    path: str
    start: float
    end: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class RecheckServer:
    """Several ThreadingHTTPServers (one per simulated host) sharing a request log and state."""

    def __init__(self, hosts: int = 3, slow_seconds: float = 1.5):
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.counters: dict[str, int] = {}
        self.slow_seconds = slow_seconds
        self.canary_wall = False  # /canary/... answers a login wall once a test sets this
        self.bomb = gzip.compress(b"\0" * (10 * 1024 * 1024), compresslevel=6)
        self.servers = []
        for _ in range(hosts):
            server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
            server.daemon_threads = True
            self.servers.append(server)
        self.threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                        for s in self.servers]

    def __enter__(self) -> RecheckServer:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    @staticmethod
    @functools.cache
    def tag_bomb() -> bytes:
        """About 20 KB of gzip that inflates to 19 MB of `<p>a` (4.75 million elements)."""
        page = b"<!DOCTYPE html><html><head><title>Cruce Seguro</title></head><body>" + b"<p>a" * (19 * 1024 * 1024 // 4)
        return gzip.compress(page, compresslevel=9, mtime=0)

    def base(self, index: int) -> str:
        return f"http://127.0.0.1:{self.servers[index].server_address[1]}"

    def host(self, index: int) -> str:
        return f"127.0.0.1:{self.servers[index].server_address[1]}"

    def count(self, key: str) -> int:
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def requests(self, host: str | None = None, path: str | None = None) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if (host is None or r.host == host) and (path is None or r.path == path)]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                return

            def do_GET(self) -> None:
                entry = Logged(f"127.0.0.1:{self.server.server_address[1]}", self.path, time.monotonic(),
                               headers={k.lower(): v for k, v in self.headers.items()})
                with server.lock:
                    server.log.append(entry)
                try:
                    self.route(urlsplit(self.path).path)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    entry.end = time.monotonic()

            def send(self, code: int, body: bytes | str, ctype: str = "text/html; charset=utf-8",
                     headers: dict[str, str] | None = None) -> None:
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def redirect(self, target: str, code: int = 302) -> None:
                self.send(code, "", headers={"Location": target})

            def route(self, path: str) -> None:
                if path.startswith("/fixture/"):
                    # /fixture/<platform>/[anything/]<name>: a detector fixture page served live.
                    parts = path.split("/")
                    page = FIXTURE_PAGES / parts[2] / f"{parts[-1]}.html"
                    self.send(200, page.read_bytes())
                elif path == "/fb/login-og" or path.startswith("/login/og/"):
                    self.send(200, FB_LOGIN_OG)
                elif path == "/fb/login-og-redirect":
                    self.redirect("/login/og/?next=https%3A%2F%2Fwww.facebook.com%2Fsomepage%2F")
                elif path == "/fb/login-404":
                    self.send(404, FB_LOGIN_OG)
                elif path == "/fb/unavailable-404":
                    self.send(404, FB_UNAVAILABLE_EN)
                elif path.startswith("/elsewhere/"):
                    # A redirect to the next simulated host (another site): /elsewhere/<path there>.
                    port = self.server.server_address[1]
                    index = next(i for i, srv in enumerate(server.servers) if srv.server_address[1] == port)
                    self.redirect(server.base((index + 1) % len(server.servers)) + path[len("/elsewhere"):])
                elif path.startswith("/canary/"):
                    # A known-live control page, until the test has the checker logged out.
                    self.send(200, FB_LOGIN if server.canary_wall else FB_LIVE)
                elif path.startswith("/fb/live") or path.startswith("/interrupt/"):
                    self.send(200, FB_LIVE)
                elif path == "/fb/unavailable-es":
                    self.send(200, FB_UNAVAILABLE_ES)
                elif path == "/fb/unavailable-en":
                    self.send(200, FB_UNAVAILABLE_EN)
                elif path == "/gone404":
                    self.send(404, "<html><head><title>Not Found</title></head><body>Not Found</body></html>")
                elif path == "/gone410":
                    self.send(410, "<html><head><title>Gone</title></head><body>Gone</body></html>")
                elif path == "/fb/login-redirect":
                    self.redirect("/login/?next=%2Ffb%2Flogin-redirect")
                elif path.startswith("/login/") or path == "/fb/login-content":
                    self.send(200, FB_LOGIN)
                elif path == "/fb/checkpoint":
                    self.redirect("/checkpoint/?next=1")
                elif path.startswith("/checkpoint/"):
                    self.send(200, FB_CHECKPOINT)
                elif path == "/fb/blocked":
                    self.send(200, FB_BLOCKED)
                elif path == "/web/live":
                    self.send(200, WEB_LIVE)
                elif path == "/retry-after":
                    if server.count(path) == 1:
                        self.send(429, "Too Many Requests", "text/plain", {"Retry-After": "1"})
                    else:
                        self.send(200, FB_LIVE)
                elif path == "/retry-later":
                    self.send(429, "Too Many Requests", "text/plain", {"Retry-After": "7200"})
                elif path == "/always429":
                    self.send(429, "Too Many Requests", "text/plain", {"Retry-After": "1"})
                elif path == "/flaky":
                    if server.count(path) == 1:
                        self.send(500, "Internal Server Error", "text/plain")
                    else:
                        self.send(200, FB_LIVE)
                elif path == "/always503":
                    self.send(503, "Service Unavailable", "text/plain")
                elif path == "/slow":
                    # Sleep, but stop as soon as the client hangs up, so the log shows when the
                    # request really ended for the client.
                    deadline = time.monotonic() + server.slow_seconds
                    while time.monotonic() < deadline:
                        ready, _, _ = select.select([self.connection], [], [], 0.02)
                        if ready and not self.connection.recv(1, socket.MSG_PEEK):
                            self.close_connection = True
                            return
                    self.send(200, FB_LIVE)
                elif path == "/drip":
                    # Never silent long enough for a read timeout, never done: only a total deadline ends it.
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(100):
                        self.wfile.write(b"<p>")
                        self.wfile.flush()
                        time.sleep(0.05)
                elif path == "/reset":
                    # SO_LINGER 0: close with a TCP RST instead of a clean FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                elif path in {"/loop-a", "/loop-b"}:
                    self.redirect("/loop-b" if path == "/loop-a" else "/loop-a")
                elif path.startswith("/many"):
                    step = int(path.rsplit("/", 1)[-1]) if path.count("/") > 1 else 0
                    self.redirect(f"/many/{step + 1}")
                elif path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(50 * 1024 * 1024))
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65530 + b"</p>"
                    for _ in range(50 * 16):
                        self.wfile.write(chunk[: 65536])
                elif path == "/huge-chunked":
                    # No Content-Length: the cap must stop the read itself.
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"x" * 65536
                    for _ in range(50 * 16):
                        self.wfile.write(chunk)
                    self.close_connection = True
                elif path == "/bomb":
                    self.send(200, server.bomb, headers={"Content-Encoding": "gzip"})
                elif path == "/redirect":
                    # An open redirect, as pages written by the people investigated can hold.
                    self.redirect(parse_qs(urlsplit(self.path).query)["to"][0])
                elif path == "/embed":
                    # A live page that loads an image and a frame from `src` (a browser loads both).
                    src = html.escape(parse_qs(urlsplit(self.path).query)["src"][0])
                    self.send(200, FB_LIVE.replace("</body>", f'<img src="{src}/img.png"><iframe src="{src}/frame">'
                                                            "</iframe></body>"))
                elif path.startswith("/hop/"):
                    # /hop/<host:port>/<path>: a redirect to http://<host:port>/<path>.
                    self.redirect("http://" + path[len("/hop/"):])
                elif path == "/tags":
                    self.send(200, zlib.decompress(RecheckServer.tag_bomb(), 16 + zlib.MAX_WBITS))
                elif path == "/tag-bomb":
                    self.send(200, RecheckServer.tag_bomb(), headers={"Content-Encoding": "gzip"})
                elif path == "/gzip-live":
                    self.send(200, gzip.compress(FB_LIVE.encode()), headers={"Content-Encoding": "gzip"})
                elif path == "/charset":
                    self.send(200, CHARSET_LIVE.encode("cp1252"), "text/html; charset=utf-8")
                elif path == "/charset-unknown":
                    self.send(200, FB_UNAVAILABLE_ES.encode("cp1252"), "text/html; charset=x-klingon")
                elif path == "/charset-latin1-header":  # a server's default header on a UTF-8 page
                    self.send(200, FB_UNAVAILABLE_ES.encode("utf-8"), "text/html; charset=ISO-8859-1")
                elif path == "/charset-utf16-bom":  # the BOM says UTF-16, the header says otherwise
                    self.send(200, b"\xff\xfe" + FB_UNAVAILABLE_ES.replace('<meta charset="utf-8">', "")
                              .encode("utf-16-le"), "text/html; charset=windows-1252")
                else:
                    self.send(404, "<html><head><title>Not Found</title></head></html>")

        return Handler


class Replies(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler with `reply`: subclass it and write `do_GET` (see `serving`)."""

    protocol_version = "HTTP/1.1"
    content_type = "text/html; charset=utf-8"  # what `reply` sends unless told

    def log_message(self, *args) -> None:  # keep test output clean
        return

    def reply(self, code: int, body: str | bytes, ctype: str | None = None, headers: dict | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype or self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` answering on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def allow_local_hosts(case_path: Path) -> None:
    """Opt the case in to live rechecks of this server: by default a recheck never connects to a
    loopback or private address (`[recheck] allow_private_hosts`)."""
    config = case_path / "case.toml"
    text = config.read_text()
    if "allow_private_hosts = true" not in text:
        config.write_text(text.replace("allow_private_hosts = false", "allow_private_hosts = true"))


def add_item(case_path: Path, platform: str, url: str, kind: str = "page", key: str | None = None) -> int:
    """Track an item at a local URL under a recorded platform (as a URL list's platform column would),
    and opt the case in to rechecking local hosts (`allow_local_hosts`)."""
    allow_local_hosts(case_path)
    conn = sqlite3.connect(case_path / "case.db")
    with conn:
        cursor = conn.execute("INSERT INTO item (platform, kind, key, url, added_at) VALUES (?, ?, ?, ?, ?)",
                              (platform, kind, key or url, url, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())))
    conn.close()
    return int(cursor.lastrowid)
