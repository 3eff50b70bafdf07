"""Bodies that did not arrive whole are never read as a page: a gzip stream that stops before its
end, a body shorter than its Content-Length, an empty 200.

The pages are synthetic (tests/_recheck_server.py's Facebook pages, which imitate the real
logged-out page `facebook_html/pender_www/facebook-profile-page_meedan.html`): the live page
carries its evidence (og:url, app link) in <head> and its login form at the end of <body>, as
Facebook's logged-out pages do; cut after the head, what is left must not be read as the page.
"""

from __future__ import annotations

import gzip
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from _recheck_server import FB_LIVE, FB_UNAVAILABLE_ES, add_item

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.models import Family, Status
from toolkit.recheck.fetch import CappedBody, FetchOptions
from toolkit.recheck.live import run_live
from toolkit.store.checks import open_wave, tracked_items

# A live page whose og: tags come after the login wall's wording in the bytes (a logged-out
# Facebook page puts the login dialog first): cut short, only the wall is left.
LIVE = FB_LIVE.replace("<head>", "<head><title>Inicia sesión en Facebook para ver más</title>", 1)
WHOLE = gzip.compress(FB_UNAVAILABLE_ES.encode("utf-8"), mtime=0)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        return

    def send(self, body: bytes, headers: dict[str, str], length: int | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/gzip-cut":
            # A whole HTTP message whose gzip stream stops halfway (a proxy or server cut it).
            self.send(WHOLE[: len(WHOLE) // 2], {"Content-Encoding": "gzip"})
        elif self.path == "/gzip-whole":
            self.send(WHOLE, {"Content-Encoding": "gzip"})
        elif self.path == "/short":
            # Content-Length promises more than is sent, then the connection closes.
            self.send(LIVE.encode()[:300], {"Connection": "close"}, length=len(LIVE.encode()))
            self.close_connection = True
        elif self.path == "/empty":
            self.send(b"", {})
        elif self.path == "/gzip-redirect":
            self.send_response(302)
            self.send_header("Location", "/gzip-whole")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_gzip_stream_cut_short_is_an_error():
    body = CappedBody("gzip", 1 << 20)
    body.feed(WHOLE[: len(WHOLE) // 2])
    with pytest.raises(Exception) as failed:
        body.value()
    assert getattr(failed.value, "reason", None) == "bad-encoding"
    whole = CappedBody("gzip", 1 << 20)
    whole.feed(WHOLE)
    assert whole.value() == FB_UNAVAILABLE_ES.encode("utf-8")
    # A redirect that says gzip and sends no body at all is an empty body, not a cut one.
    assert CappedBody("gzip", 1 << 20).value() == b""


def test_cut_bodies_are_errors_in_a_live_recheck(case, site):
    ids = {path: add_item(case, "facebook", site + path)
           for path in ("/gzip-cut", "/gzip-whole", "/gzip-redirect", "/short", "/empty")}
    options = FetchOptions(per_host_interval=0.0, retries=0, connect_timeout=2, read_timeout=2, allow_private_hosts=True)
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True), options)
    conn = sqlite3.connect(case / "case.db")
    rows = {row[0]: row[1:] for row in conn.execute('SELECT item_id, status, reason, evidence_sha256 FROM "check"')}
    conn.close()
    assert rows[ids["/gzip-whole"]][:2] == ("unavailable", "content-unavailable")
    assert rows[ids["/gzip-redirect"]][:2] == ("unavailable", "content-unavailable")
    assert rows[ids["/gzip-cut"]] == ("error", "bad-encoding", None)
    for path in ("/short", "/empty"):
        assert Status(rows[ids[path]][0]).family == Family.UNKNOWN, (path, rows[ids[path]])
