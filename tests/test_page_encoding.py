"""One page decoder: the same bytes read the same when scanned (a saved page, a WARC record) and
when rechecked (a live response, a browser visit), whatever BOM, header and <meta> they carry.

The pages are synthetic, made here; the real-page cases imitate what servers and saved pages do:
a small Spanish site on Windows-1252 that declares nothing, a UTF-8 page behind a server's default
Latin-1 header, a UTF-16 page with a BOM behind a header that says otherwise, and a page whose
<meta charset> comes after more than 1 KB of head.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import lxml.html
import pytest
from _recheck_server import FB_UNAVAILABLE_ES, RecheckServer, add_item
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from toolkit.browser.engine import Visit
from toolkit.browser.rechecks import as_fetched
from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.models import Status
from toolkit.platforms.detect import read_page
from toolkit.platforms.page_encoding import UTF8_BOM, choose, decode_page, for_parser
from toolkit.recheck.fetch import Fetched, FetchOptions
from toolkit.recheck.live import run_live
from toolkit.recheck.reading import page_bytes, read_response
from toolkit.sources import registry
from toolkit.sources.base import ReadContext
from toolkit.store.checks import open_wave, tracked_items

URL = "https://www.facebook.com/cruceseguro.usa"


def warc_of(body: bytes, content_type: str) -> bytes:
    with io.BytesIO() as handle:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = WARCWriter(handle, gzip=False).create_warc_record(
            URL, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
            warc_headers_dict={"WARC-Date": "2021-04-13T23:22:05Z"})
        WARCWriter(handle, gzip=False).write_record(record)
        return handle.getvalue()


def scanned(folder: Path, name: str, data: bytes) -> tuple[bytes, list[str]]:
    """The body a scan hands the detectors for the one page in `data` (a file named `name`)."""
    path = folder / name
    path.write_bytes(data)
    importer = registry.detect(path)
    assert importer is not None, name
    ctx = ReadContext(path=path)
    records = [raw for _, raw in importer.read(path, ctx)]
    assert len(records) == 1, name
    return records[0]["body"], [n.message for n in ctx.notes]


def scan_paths(body: bytes, content_type: str | None) -> list[bytes]:
    """The scan's bodies for `body`: as a WARC record (with `content_type`, or a bare text/html),
    and as a saved page when there is no transport charset and the file can be told for HTML."""
    with tempfile.TemporaryDirectory() as folder:
        out = [scanned(Path(folder), "pagina.warc", warc_of(body, content_type or "text/html"))[0]]
        if content_type is None and not body.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in body[:64]:
            out.append(scanned(Path(folder), "pagina.html", body)[0])
    return out


def recheck_paths(body: bytes, content_type: str | None) -> list[bytes]:
    fetched = Fetched(url=URL, started_at="2021-04-13T23:22:05Z", http_status=200,
                      headers={"content-type": content_type} if content_type else {}, body=body)
    return [page_bytes(fetched)[0]]


def read_text(prepared: bytes) -> str:
    tree = lxml.html.document_fromstring(prepared, parser=lxml.html.HTMLParser(recover=True, encoding="utf-8"))
    return tree.get_element_by_id("t").text_content()


# Characters of the languages these pages come in; each encoding gets those it can hold.
CHARS = ("abcxyzABC 0123456789.,;:!?'\"-ñáéíóúüÑ¿¡€“”–…çàÀœŒßøÃ©Ð°ЖжПривет "
         "مرحبا عربي 中文かな🚤")
ENCODINGS = ["utf-8", "windows-1252", "iso-8859-15", "windows-1251", "windows-1256", "utf-16-le", "utf-16-be",
             "shift_jis"]
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
PLACES = ["none", "early", "after-1kb", "after-prescan", "in-body"]


def alphabet(encoding: str) -> str:
    def fits(char: str) -> bool:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            return False
        return True

    return "".join(c for c in CHARS if fits(c))


@st.composite
def pages(draw):
    encoding = draw(st.sampled_from(ENCODINGS))
    text = draw(st.text(alphabet=alphabet(encoding), min_size=1, max_size=40))
    bom = encoding in BOMS and draw(st.booleans())
    place = draw(st.sampled_from(PLACES))
    label = draw(st.sampled_from([encoding, "utf-8", "iso-8859-1", "x-klingon"]))
    transport = draw(st.sampled_from([None, "text/html", f"text/html; charset={encoding}",
                                      "text/html; charset=ISO-8859-1", "text/html; charset=utf-8",
                                      "text/html; charset=x-klingon"]))
    meta = f'<meta charset="{label}">'
    pad = "<!-- " + "relleno " * 140 + "-->"  # 1.1 KB of head before the declaration
    head = {"none": "", "early": meta, "after-1kb": pad + meta, "after-prescan": pad * 4 + meta,
            "in-body": ""}[place]
    html = (f"<!DOCTYPE html><html><head>{head}<title>Cruce Seguro USA</title></head><body>"
            f"{meta if place == 'in-body' else ''}<p id=t>{text}</p></body></html>")
    body = (BOMS[encoding] if bom else b"") + html.encode(encoding)
    return encoding, text, bom, place, label, transport, body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_scan_and_recheck_read_the_same_bytes_alike(page):
    """Whatever the charset, BOM, header and <meta> (right, wrong, unknown, early, late), the scan
    and the recheck hand the detectors the same bytes; when the page says its encoding truthfully
    where a reader looks (BOM, header, <meta> in the first 4 KB of head), that is the text written."""
    encoding, text, bom, place, label, transport, body = page
    seen = scan_paths(body, transport) + recheck_paths(body, transport)
    assert all(s == seen[0] for s in seen), (encoding, bom, place, label, transport)
    assert seen[0].startswith(UTF8_BOM) and seen[0] == for_parser(body, transport)[0]
    assert decode_page(body, transport)[0] == seen[0][3:].decode("utf-8")

    single_byte = encoding not in ("utf-8", "utf-16-le", "utf-16-be", "shift_jis")
    encoded = text.encode(encoding)
    also_utf8 = not encoded.isascii() and _is_utf8(encoded)
    no_transport = transport is None or "charset" not in transport or "x-klingon" in transport
    truthful_header = transport is not None and transport.endswith(f"charset={encoding}")
    truthful_meta = (no_transport and label == encoding and place in ("early", "after-1kb")
                     and not encoding.startswith("utf-16"))
    if bom:
        assert read_text(seen[0]) == text
    elif truthful_header and not (single_byte and also_utf8):
        # A single-byte page whose bytes are also valid UTF-8 is read as UTF-8 (docs/detectors.md).
        assert read_text(seen[0]) == text
    elif truthful_meta:
        assert read_text(seen[0]) == text


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_browser_recheck_reads_its_utf8_as_the_scan_of_a_browser_capture_does():
    html = (FIXTURES / "pages" / "facebook" / "unavailable.html").read_bytes()
    visit = Visit(url=URL, started_at="2024-04-16T16:12:03Z", final_url=URL, http_status=200, html=html)
    assert page_bytes(as_fetched(visit))[0] == for_parser(html, "text/html; charset=utf-8")[0] == UTF8_BOM + html


# The real-page cases: each read through both paths, compared, and checked for what the detector saw.

def spanish_1252() -> tuple[bytes, str | None]:
    """A small travel agency's page on a shared host: Windows-1252, no charset anywhere."""
    html = ("<!DOCTYPE html><html lang=es><head><title>Viajes Frontera – Tránsito rápido a Tijuana</title>"
            "<meta property='og:url' content='https://viajes-frontera.example/salidas'></head><body>"
            "<p id=t>Salidas cada semana. ¿Dudas? Escríbenos: “cruce seguro”, 100 € el anticipo.</p></body></html>")
    return html.encode("cp1252"), "text/html"


def utf8_behind_latin1_header() -> tuple[bytes, str | None]:
    """A UTF-8 page (as saved by SingleFile) served with a server's default ISO-8859-1 header."""
    html = (FIXTURES / "pages" / "facebook" / "unavailable.html").read_bytes()
    return html.replace(b'<span class="x193iq5w xeuugli x13faqbe x1vvkbs"', b'<span id=t'), \
        "text/html; charset=ISO-8859-1"


def utf16_with_bom() -> tuple[bytes, str | None]:
    """A page saved as UTF-16 (Windows 'Unicode') with its BOM, served with a header saying UTF-8."""
    html = (FIXTURES / "pages" / "facebook" / "unavailable.html").read_text(encoding="utf-8")
    html = html.replace('<meta charset="utf-8">', "").replace('<span class="x193iq5w xeuugli x13faqbe x1vvkbs"',
                                                              "<span id=t")
    return b"\xff\xfe" + html.encode("utf-16-le"), "text/html; charset=utf-8"


def meta_after_1kb() -> tuple[bytes, str | None]:
    """An Arabic-language page whose <meta charset=windows-1256> comes after 1.4 KB of head (inline
    styles, a dozen preloads), served without a charset."""
    links = "".join(f'<link rel="preload" href="/static/fonts/naskh-{n}.woff2" as="font" crossorigin>'
                    for n in range(12))
    style = "<style>body{font-family:'Noto Naskh Arabic',serif;direction:rtl}.x{margin:0 auto;max-width:42em}</style>"
    html = (f"<!DOCTYPE html><html lang=ar dir=rtl><head>{style}{links}<meta charset=windows-1256>"
            "<title>رحلات إلى أوروبا</title></head><body><p id=t>رحلات أسبوعية، الدفع عند الوصول</p></body></html>")
    body = html.encode("cp1256")
    assert body.index(b"<meta charset") > 1024
    return body, "text/html"


CASES = {
    "windows-1252 Spanish page, no charset": (spanish_1252, "cp1252", "Salidas cada semana. ¿Dudas? Escríbenos: "
                                              "“cruce seguro”, 100 € el anticipo."),
    "UTF-8 page, wrong Latin-1 header": (utf8_behind_latin1_header, "utf-8",
                                         "Este contenido no está disponible en este momento"),
    "UTF-16 with BOM, header says UTF-8": (utf16_with_bom, "utf-16-le",
                                           "Este contenido no está disponible en este momento"),
    "meta charset after 1 KB": (meta_after_1kb, "cp1256", "رحلات أسبوعية، الدفع عند الوصول"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_real_page_cases_read_alike_and_right(case, tmp_path):
    make, encoding, expected = CASES[case]
    body, content_type = make()
    assert choose(body, content_type).encoding == encoding
    warc, notes = scanned(tmp_path, "pagina.warc", warc_of(body, content_type))
    rechecked = recheck_paths(body, content_type)[0]
    assert warc == rechecked
    assert read_text(warc) == expected
    if "Latin-1" in case:
        assert any("charset ISO-8859-1 does not fit the body" in n for n in notes), notes
    if content_type == "text/html":
        saved, _ = scanned(tmp_path, "pagina.html", body)
        assert saved == warc
    if b"facebook" in body:
        # What the detector makes of the page is the same on both paths, and right.
        scan = read_page(warc, URL, http_status=200, platform="facebook")
        live = read_response(Fetched(url=URL, started_at="2024-04-16T16:12:03Z", http_status=200,
                                     headers={"content-type": content_type}, body=body),
                             url=URL, platform="facebook", observed_at="2024-04-16T16:12:03Z")
        assert scan.verdict.status == live.status == Status.UNAVAILABLE
        assert scan.verdict.marker == live.marker and "no está disponible" in live.marker


def test_over_http_the_live_recheck_reads_lying_headers_as_the_scan_of_the_same_bytes(case, tmp_path):
    """A real local server sends a UTF-8 page behind a Latin-1 header and a UTF-16 page (BOM) behind
    a Windows-1252 header; the live wave and a scan of the same bytes in a WARC read them alike."""
    served = {
        "/charset-latin1-header": (FB_UNAVAILABLE_ES.encode("utf-8"), "text/html; charset=ISO-8859-1"),
        "/charset-utf16-bom": (b"\xff\xfe" + FB_UNAVAILABLE_ES.replace('<meta charset="utf-8">', "").encode("utf-16-le"),
                               "text/html; charset=windows-1252"),
    }
    with RecheckServer(hosts=1) as server:
        ids = {path: add_item(case, "facebook", server.base(0) + path) for path in served}
        with open_case(case) as opened:
            wave = open_wave(opened.db, "w1", utcnow(), "live")
            run_live(opened, wave, tracked_items(opened.db, everything=True),
                     FetchOptions(per_host_interval=0.05, retries=0, connect_timeout=2.0, read_timeout=5.0,
                                  allow_private_hosts=True))  # the test server is on 127.0.0.1
            rows = {row["item_id"]: dict(row) for row in opened.db.execute(
                'SELECT item_id, status, reason, marker, note FROM "check" WHERE wave_id = ?', (wave,))}
    for path, (body, content_type) in served.items():
        live = rows[ids[path]]
        warc, _ = scanned(tmp_path, f"{path.strip('/')}.warc", warc_of(body, content_type))
        scan = read_page(warc, URL, http_status=200, platform="facebook")
        assert (live["status"], live["reason"], live["marker"]) == (
            str(scan.verdict.status), scan.verdict.reason, scan.verdict.marker) == (
            "unavailable", "content-unavailable", scan.verdict.marker), path
        assert "no está disponible" in live["marker"], path
    assert "charset ISO-8859-1 does not fit the body" in rows[ids["/charset-latin1-header"]]["note"]
    assert rows[ids["/charset-utf16-bom"]]["note"] is None  # the BOM decides, as in a browser
