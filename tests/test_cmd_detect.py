"""`toolkit detect`: what the detectors see in saved pages."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


def test_detect_json_over_a_folder(invoke):
    result = invoke("detect", PAGES / "facebook", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {Path(r["file"]).name: r for r in json.loads(result.stdout)}
    assert len(rows) == len(list((PAGES / "facebook").glob("*.html")))
    gone = rows["unavailable.html"]
    assert (gone["platform"], gone["status"], gone["place"], gone["detector"]) == ("facebook", "unavailable", "leaf",
                                                                                  "facebook@1")
    assert gone["marker"] == "Este contenido no está disponible en este momento"
    assert gone["url"] == "https://www.facebook.com/cruceseguro.usa/posts/330000000000004/"
    assert gone["saved_at"] == "2024-04-16T16:12:03Z"
    assert gone["captures"][0]["key"] == "330000000000004"
    page = rows["available-page.html"]["captures"][0]
    assert (page["kind"], page["key"], page["followers"]) == ("page", "cruceseguro.usa", 1100)
    assert page["fields"]["facebook_id"] == "100064000000001"


def test_detect_table_names_status_marker_and_place(invoke):
    result = invoke("detect", PAGES / "telegram" / "removed.html")
    assert result.exit_code == 0, result.output
    for cell in ("removed.html", "telegram", "channel", "removed", "telegram@1", "container:div."):
        assert cell in result.stdout


def test_detect_csv_with_url_and_platform_options(invoke, tmp_path):
    page = tmp_path / "mirror.html"
    page.write_bytes((PAGES / "facebook" / "unavailable-en.html").read_bytes().split(b"-->", 1)[1])
    result = invoke("detect", page, "--url", "http://127.0.0.1:9000/groups/1/posts/2", "--platform", "facebook",
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    header, line = result.stdout.strip().splitlines()
    assert header.startswith("file,platform,kind,key,status")
    assert ",facebook,post,2,unavailable," in line


def test_detect_markers_option_tries_new_wording(invoke, tmp_path):
    markers = tmp_path / "nuevos.toml"
    markers.write_text('[[rule]]\nplatform = "generic"\nstatus = "unavailable"\nplaces = ["heading"]\n'
                       'es = ["Este anuncio fue dado de baja"]\n', encoding="utf-8")
    page = tmp_path / "baja.html"
    page.write_text('<html><head><title>Anuncios</title><meta property="og:title" content="Anuncios"></head>'
                    "<body><h2>Este anuncio fue dado de baja</h2></body></html>", encoding="utf-8")
    before = json.loads(invoke("detect", page, "--url", "https://clasificados.example/a/1", "--format", "json").stdout)
    assert before[0]["status"] == "available"
    result = invoke("detect", page, "--url", "https://clasificados.example/a/1", "--markers", markers, "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert (row["status"], row["marker"], row["place"]) == ("unavailable", "Este anuncio fue dado de baja", "heading")


def test_detect_bad_marker_file_is_a_clear_error(invoke, tmp_path):
    markers = tmp_path / "malo.toml"
    markers.write_text('[[rule]]\nplatform = "facebook"\nstatus = "borrado"\nplaces = ["title"]\nes = ["x"]\n')
    result = invoke("detect", PAGES / "facebook" / "error.html", "--markers", markers)
    assert result.exit_code == 1
    assert "malo.toml: rule 1 has unknown status 'borrado'" in result.stderr
    assert "Use one of: available" in result.stderr


def test_detect_missing_file_is_reported_and_others_go_on(invoke, tmp_path):
    result = invoke("detect", tmp_path / "nope.html", PAGES / "generic" / "available.html", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "nope.html: cannot read" in result.stderr
    assert [r["status"] for r in json.loads(result.stdout)] == ["available"]


def test_detect_nothing_readable_exits_1(invoke, tmp_path):
    result = invoke("detect", tmp_path / "nope.html")
    assert result.exit_code == 1
    assert "nope.html: cannot read" in result.stderr


def test_detect_unknown_platform_is_a_usage_error(invoke):
    result = invoke("detect", PAGES / "generic" / "available.html", "--platform", "myspace")
    assert result.exit_code == 2
    assert "unknown platform 'myspace'" in result.stderr


def test_detect_reads_mhtml(invoke, tmp_path):
    import quopri

    html = (PAGES / "facebook" / "unavailable.html").read_bytes().split(b"-->", 1)[1]
    mhtml = (b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://www.facebook.com/cruceseguro.usa/\r\n"
             b"Subject: Facebook\r\nDate: Fri, 17 May 2024 15:40:00 -0000\r\nMIME-Version: 1.0\r\n"
             b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="----MultipartBoundary--x1"\r\n\r\n'
             b"------MultipartBoundary--x1\r\nContent-Type: text/html\r\nContent-ID: <frame-1@mhtml.blink>\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\nContent-Location: https://www.facebook.com/cruceseguro.usa/\r\n\r\n"
             + quopri.encodestring(html) + b"\r\n------MultipartBoundary--x1--\r\n")
    path = tmp_path / "cruce.mhtml"
    path.write_bytes(mhtml)
    result = invoke("detect", tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert (row["url"], row["saved_at"], row["status"]) == ("https://www.facebook.com/cruceseguro.usa/",
                                                            "2024-05-17T15:40:00Z", "unavailable")
    assert row["captures"][0]["key"] == "cruceseguro.usa"


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict] = {}

    def do_GET(self):
        status, headers, body = self.routes.get(self.path, (404, {}, b"<html><body>no</body></html>"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A real local HTTP server standing in for facebook.com (read with --platform facebook)."""
    page = (PAGES / "facebook" / "available-page.html").read_bytes()
    wall = (PAGES / "facebook" / "login_required.html").read_bytes()
    _Handler.routes = {
        "/cruceseguro.usa/": (200, {"Content-Type": "text/html; charset=utf-8"}, page),
        "/viajeros.norte.gone/": (404, {"Content-Type": "text/html"}, b"<html><body></body></html>"),
        "/groups/viajeros.norte/": (302, {"Location": "/login/?next=%2Fgroups%2Fviajeros.norte%2F"}, b""),
        "/login/?next=%2Fgroups%2Fviajeros.norte%2F": (200, {"Content-Type": "text/html"}, wall),
    }
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_detect_live_urls(invoke, server):
    result = invoke("detect", f"{server}/cruceseguro.usa/", f"{server}/viajeros.norte.gone/",
                    f"{server}/groups/viajeros.norte/", "--platform", "facebook", "--format", "json")
    assert result.exit_code == 0, result.output
    live, gone, wall = json.loads(result.stdout)
    assert (live["status"], live["http_status"], live["captures"][0]["key"]) == ("available", 200, "cruceseguro.usa")
    assert (gone["status"], gone["place"], gone["reason"]) == ("unavailable", "http", "http-404")
    assert (wall["status"], wall["place"]) == ("login_required", "final_url")
    assert wall["final_url"].endswith("/login/?next=%2Fgroups%2Fviajeros.norte%2F")
    assert wall["captures"][0]["key"] == "viajeros.norte"


def test_detect_unreachable_url_is_an_error_row(invoke):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke("detect", f"http://127.0.0.1:{port}/x", "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert (row["status"], row["reason"]) == ("error", "connect-error")


def test_detect_does_not_follow_a_redirect_to_a_private_address_on_another_host(invoke, server):
    """A hostile page redirecting `detect` to another host on a private address (a cloud metadata
    service, the researcher's router) was followed and what it served printed; as in a live
    recheck, that is `error` `blocked-address`. The host typed (here a local test server) is read,
    and so are redirects within it."""
    port = server.rsplit(":", 1)[1]
    _Handler.routes["/to-metadata/"] = (302, {"Location": f"http://localhost:{port}/cruceseguro.usa/"}, b"")
    _Handler.routes["/same-host/"] = (302, {"Location": "/cruceseguro.usa/"}, b"")
    result = invoke("detect", f"{server}/to-metadata/", f"{server}/same-host/", "--platform", "facebook",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    away, same = json.loads(result.stdout)
    assert (away["status"], away["reason"], away["captures"]) == ("error", "blocked-address", [])
    assert same["status"] == "available"
