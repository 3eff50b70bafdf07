"""A local HTTP server with the pages browser tests need, and the skip rule for those tests.

Paths are shaped like Facebook's (`/CruceSeguroUSA.Oficial`, `/groups/...`) so that items read
from them get Facebook identities, as the same pages would at www.facebook.com. Pages are
synthetic, in the shape of Facebook's logged-out pages (see tests/_recheck_server.py):

    /CruceSeguroUSA.Oficial   a live page
    /groups/viajesnorte       "Este contenido no está disponible"
    /groups/privado           302 to a login wall (/login/?next=...)
    /PaginaScript             an empty shell whose content only a script renders (og:url, app
                              link, name, text): plain HTTP reads no item, a browser reads it live
    /PaginaLenta              answers after `slow_seconds`
    /NombreViejo              301 to /CruceSeguroUSA.Oficial
    /PaginaSinFin             a live page that never settles (an image that never finishes loading)
    /PaginaLarga              a live page 3,000 CSS pixels tall
    /ControlCanario           a live control page while `canary_live` hits remain (or the session
                              cookie is set), then a login wall
    /groups/cerrado           a group that shows only to a logged-in session (cookie), else a wall
    /login-form               "logs in": sets the session cookie
    /PaginaHostil             a live page whose name is markup (`<script>...`)
"""

from __future__ import annotations

import asyncio
import select
import shutil
import socket
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

import pytest
from _recheck_server import FB_LOGIN, FB_UNAVAILABLE_ES

PAGE_TEMPLATE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">
<title>{name} | Facebook</title>
<meta property="og:title" content="{name}">
<meta property="og:description" content="{name}. {text}">
<meta property="og:url" content="https://www.facebook.com/{vanity}">
<meta property="al:android:url" content="fb://{app}/{page_id}">
<meta property="og:site_name" content="Facebook">
</head><body style="margin:0"><h1>{name}</h1><div style="height:{height}px">{text}</div>{extra}</body></html>"""

SCRIPT_SHELL = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div id="mount"></div><noscript>Enable JavaScript</noscript>
<script>
  const meta = (p, c) => { const m = document.createElement('meta'); m.setAttribute('property', p);
                           m.setAttribute('content', c); document.head.appendChild(m); };
  setTimeout(() => {
    document.title = 'Pasajes Sin Papeles | Facebook';
    meta('og:title', 'Pasajes Sin Papeles');
    meta('og:description', 'Pasajes Sin Papeles. Cruzamos cada semana, sin papeles. WhatsApp +52 55 5555 0177');
    meta('og:url', 'https://www.facebook.com/PaginaScript');
    meta('al:android:url', 'fb://page/100064000000777');
    document.getElementById('mount').innerHTML =
      '<div role="main"><h1>Pasajes Sin Papeles</h1><div>Cruzamos cada semana. WhatsApp +52 55 5555 0177</div></div>';
  }, 150);
</script></body></html>"""

LOGGED_IN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Facebook</title></head>
<body><h1>Bienvenido</h1></body></html>"""

SESSION_COOKIE = "toolkit_test_session=ok"


def page(name: str, vanity: str, page_id: str, *, text: str = "Te cruzamos sin papeles. WhatsApp +52 55 5555 0101",
         height: int = 200, extra: str = "", app: str = "page") -> str:
    return PAGE_TEMPLATE.format(name=name, vanity=vanity, page_id=page_id, text=text, height=height, extra=extra,
                                app=app)


def browser_ready() -> tuple[bool, str]:
    """Whether browser tests can run here, and why not."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False, "browser tests skipped: Playwright is not installed (pip install -e '.[browser]')"
    from toolkit.browser.engine import find_executable

    if find_executable() is None:
        import os
        from pathlib import Path

        cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
        if not any(cache.glob("chromium*")):
            return False, ("browser tests skipped: no Chromium (apt-get install chromium, or "
                           "python -m playwright install chromium)")
    return True, ""


def require_browser() -> None:
    ready, why = browser_ready()
    if not ready:
        pytest.skip(why)


def require_xvfb() -> str:
    path = shutil.which("Xvfb")
    if path is None:
        pytest.skip("no Xvfb: the visible-browser login test needs a virtual display (apt-get install xvfb)")
    return path


# Short waits for local pages: nothing here takes long unless a test says so. The server is on
# 127.0.0.1, which the address guard refuses unless allowed (`[recheck] allow_private_hosts`).
TEST_OPTIONS = {"navigation_timeout": 10.0, "settle_timeout": 2.0, "scroll_screens": 1, "pages": 2,
                "allow_private_hosts": True, "second_look": 0.3}


class SharedBrowser:
    """One event loop and one started Browser, shared by the tests of a module (a browser takes
    about a second to start; a visit a fraction of that)."""

    def __init__(self, **options):
        from toolkit.browser.engine import Browser
        from toolkit.browser.options import BrowserOptions

        self.loop = asyncio.new_event_loop()
        self.browser = Browser(BrowserOptions(**{**TEST_OPTIONS, **options}))
        self.run(self.browser.__aenter__())

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def visit(self, url: str, **kwargs):
        return self.run(self.browser.visit(url, **kwargs))

    @contextmanager
    def options(self, **changes):
        """The browser's options changed for the block (a shorter timeout, a smaller scale...)."""
        saved = self.browser.options
        self.browser.options = replace(saved, **changes)
        try:
            yield self.browser.options
        finally:
            self.browser.options = saved

    def close(self) -> None:
        self.run(self.browser.close())
        self.loop.close()


class BrowserServer:
    """A ThreadingHTTPServer on 127.0.0.1 with the pages above and a request log."""

    def __init__(self, slow_seconds: float = 1.0, canary_live: int = 10**6):
        self.slow_seconds = slow_seconds
        self.canary_live = canary_live
        self.lock = threading.Lock()
        self.log: list[tuple[str, float]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> BrowserServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for logged, _ in self.log if logged == path)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                return

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server.lock:
                    server.log.append((path, time.monotonic()))
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.route(path)

            def send(self, code: int, body: str, headers: dict[str, str] | None = None,
                     ctype: str = "text/html; charset=utf-8") -> None:
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def wall(self, path: str) -> None:
                self.send(302, "", {"Location": f"/login/?next={quote(path, safe='')}"})

            def logged_in(self) -> bool:
                return SESSION_COOKIE in (self.headers.get("Cookie") or "")

            def hold(self, seconds: float) -> bool:
                """Wait, unless the client hangs up first; True when the wait ran out."""
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([self.connection], [], [], 0.02)
                    if ready and not self.connection.recv(1, socket.MSG_PEEK):
                        self.close_connection = True
                        return False
                return True

            def route(self, path: str) -> None:
                if path == "/CruceSeguroUSA.Oficial":
                    self.send(200, page("Cruce Seguro USA", "CruceSeguroUSA.Oficial", "100064000000101"))
                elif path == "/groups/viajesnorte":
                    self.send(200, FB_UNAVAILABLE_ES)
                elif path in {"/groups/privado"}:
                    self.wall(path)
                elif path.startswith("/login/"):
                    self.send(200, FB_LOGIN)
                elif path == "/PaginaScript":
                    self.send(200, SCRIPT_SHELL)
                elif path == "/PaginaLenta":
                    if self.hold(server.slow_seconds):
                        self.send(200, page("Viajes Lentos", "PaginaLenta", "100064000000555"))
                elif path == "/NombreViejo":
                    self.send(301, "", {"Location": "/CruceSeguroUSA.Oficial"})
                elif path == "/PaginaSinFin":
                    self.send(200, page("Salidas Diarias", "PaginaSinFin", "100064000000666",
                                        extra='<img src="/hang" alt="">'))
                elif path == "/hang":
                    self.hold(60)
                elif path == "/PaginaLarga":
                    self.send(200, page("Cruces Nocturnos", "PaginaLarga", "100064000000888", height=3000))
                elif path == "/ControlCanario":
                    with server.lock:
                        live = server.canary_live > 0 or self.logged_in()
                        server.canary_live -= 1
                    if live:
                        self.send(200, page("Control Canario", "ControlCanario", "100064000000999",
                                            text="Página de control"))
                    else:
                        self.wall(path)
                elif path == "/groups/cerrado":
                    if self.logged_in():
                        self.send(200, page("Grupo Cerrado", "groups/cerrado", "100064000000444", app="group"))
                    else:
                        self.wall(path)
                elif path == "/login-form":
                    self.send(200, LOGGED_IN, {"Set-Cookie": f"{SESSION_COOKIE}; Path=/; Max-Age=86400"})
                elif path == "/PaginaHostil":
                    self.send(200, page("<script>alert(1)</script> & \"x\"".replace("&", "&amp;").replace("<", "&lt;")
                                        .replace('"', "&quot;"), "PaginaHostil", "100064000000333"))
                elif path == "/favicon.ico":
                    self.send(404, "", ctype="text/plain")
                else:
                    self.send(404, "<html><head><title>Not Found</title></head><body>Not Found</body></html>")

        return Handler
