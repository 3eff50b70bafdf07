"""Web archives: WARC, WACZ and HAR files, including damaged and hostile ones."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, sample
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from toolkit.models import Status
from toolkit.sources import registry
from toolkit.sources.base import MapError, ReadContext
from toolkit.sources.wacz import unsafe_name


def page(title: str, page_id: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} | Facebook</title>'
            f'<meta property="og:title" content="{title}"><meta property="al:android:url" content="fb://page/{page_id}">'
            f'</head><body><p>{title}: salidas cada semana.</p></body></html>').encode()


PAGES = [
    ("https://www.facebook.com/cruceseguro.usa", 200, page("Cruce Seguro a USA", "100064000000001"), "text/html; charset=utf-8"),
    ("https://www.facebook.com/serviciofronteranorte", 200, page("Servicio Frontera Norte", "100064000000002"), "text/html"),
    ("https://static.xx.fbcdn.net/logo.png", 200, b"\x89PNG not a page", "image/png"),
    ("https://www.facebook.com/viajesnorte.mx", 200, page("Viajes Norte MX", "100064000000003"), "text/html; charset=utf-8"),
]


def make_warc(path: Path, pages=PAGES, *, compress: bool = False, date: str = "2021-04-13T23:22:05Z") -> Path:
    path.write_bytes(warc_bytes(pages, compress=compress, date=date))
    return path


def warc_bytes(pages=PAGES, *, compress: bool = False, date: str = "2021-04-13T23:22:05Z") -> bytes:
    with io.BytesIO() as handle:
        writer = WARCWriter(handle, gzip=compress)
        for url, status, body, content_type in pages:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            # With the length given, warcio does not buffer the payload in a temporary file.
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                               http_headers=headers, warc_headers_dict={"WARC-Date": date})
            writer.write_record(record)
        return handle.getvalue()


def read(path: Path, fmt: str | None = None):
    importer = registry.get(fmt) if fmt else registry.detect(path)
    assert importer is not None, f"no importer for {path}"
    ctx = ReadContext(path=path)
    out = []
    for _, raw in importer.read(path, ctx):
        try:
            out.extend(importer.map(raw))
        except MapError as exc:
            ctx.fail(exc.cause, exc.detail)
    return importer.name, out, ctx


def keys(caps) -> list[str]:
    return [c.item.key for c in caps if c.fields.get("page")]


@pytest.mark.parametrize("compress", [False, True])
def test_warc_reads_every_html_response(tmp_path, compress):
    path = make_warc(tmp_path / ("a.warc.gz" if compress else "a.warc"), compress=compress)
    name, caps, ctx = read(path)
    assert name == "warc" and not ctx.failures
    assert keys(caps) == ["100064000000001", "100064000000002", "100064000000003"]
    main = caps[0]
    assert (main.status, main.observed_at) == (Status.AVAILABLE, "2021-04-13T23:22:05Z")
    assert main.fields["page"]["http_status"] == 200 and main.fields["page"]["container"] == "warc"
    assert ctx.collected_at == "2021-04-13T23:22:05Z"


def test_corrupt_record_is_counted_and_the_rest_read(tmp_path, capsys):
    path = make_warc(tmp_path / "c.warc")
    data = path.read_bytes()
    second = data.index(b"WARC/1.", data.index(b"WARC/1.") + 1)
    path.write_bytes(data[:second] + b"WARX/9.9 garbage" + data[second + 8:])
    _, caps, ctx = read(path)
    assert keys(caps) == ["100064000000001", "100064000000003"]
    count, first = ctx.failures["corrupt-record"]
    assert count == 1 and "c.warc at byte" in first.detail
    assert capsys.readouterr().err == ""  # warcio's own warnings do not leak to the terminal


def test_corrupt_gzip_member_is_skipped(tmp_path):
    path = make_warc(tmp_path / "c.warc.gz", compress=True)
    data = bytearray(path.read_bytes())
    members = [i for i in range(len(data)) if data[i:i + 3] == b"\x1f\x8b\x08"]
    start, end = members[1], members[2]
    for i in range(start + 20, end - 10):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    _, caps, ctx = read(path)
    assert keys(caps) == ["100064000000001", "100064000000003"]
    assert ctx.failures["corrupt-record"][0] >= 1


def test_truncated_warc_keeps_what_was_read(tmp_path):
    path = make_warc(tmp_path / "t.warc")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 300])
    _, caps, _ = read(path)
    assert keys(caps)[:2] == ["100064000000001", "100064000000002"]


def test_chunked_gzip_encoded_response(tmp_path):
    body = gzip.compress(page("Cruce Seguro a USA", "100064000000001"))
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:50], body[50:])) + b"0\r\n\r\n"
    path = tmp_path / "chunked.warc"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked"),
                                              ("Content-Encoding", "gzip")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://www.facebook.com/cruceseguro.usa", "response",
                                                      payload=io.BytesIO(chunked), length=len(chunked), http_headers=headers,
                                                      warc_headers_dict={"WARC-Date": "2021-04-13T23:22:05Z"}))
    _, caps, ctx = read(path)
    assert not ctx.failures and keys(caps) == ["100064000000001"]


def test_revisit_is_read_as_the_page_it_repeats(tmp_path):
    body = page("Cruce Seguro a USA", "100064000000001")
    url = "https://www.facebook.com/cruceseguro.usa"
    path = tmp_path / "recrawl.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        first = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                                          warc_headers_dict={"WARC-Date": "2021-04-13T23:22:05Z"})
        writer.write_record(first)
        digest = first.rec_headers.get_header("WARC-Payload-Digest")
        again = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(url, digest, url, "2021-04-13T23:22:05Z", http_headers=again,
                                                         warc_headers_dict={"WARC-Date": "2021-05-17T15:00:00Z"}))
        # A revisit of something never read as a page (an image) is only counted.
        writer.write_record(writer.create_revisit_record("https://x.test/a.png", "sha1:AAAA", "https://x.test/a.png",
                                                         "2021-04-13T23:22:05Z", warc_headers_dict={"WARC-Date": "2021-05-17T15:00:01Z"}))
    _, caps, ctx = read(path)
    assert [(c.item.key, c.observed_at, c.status) for c in caps] == [
        ("100064000000001", "2021-04-13T23:22:05Z", Status.AVAILABLE), ("100064000000001", "2021-05-17T15:00:00Z", Status.AVAILABLE)]
    assert caps[1].fields["page"]["revisit_of"] == first.rec_headers.get_header("WARC-Record-ID")
    assert any("1 revisit records of responses that are not pages" in n.message for n in ctx.notes)


@pytest.mark.parametrize("name", ["pywacz_example-collection.warc", "warcio_example.warc", "warcio_example.warc.gz",
                                  "warcio_example-trunc.warc", "warcio_example-iana.org-chunked.warc",
                                  "warcio_example-resource.warc.gz", "pywacz_example-warcinfo-metadata.warc"])
def test_real_warc_samples(name, capsys):
    _, caps, ctx = read(sample("warc", name))
    assert caps and "corrupt-record" not in ctx.failures
    assert all(c.observed_at and c.fields["page"]["url"].startswith("http") for c in caps if c.fields.get("page"))
    assert capsys.readouterr().err == ""


def make_wacz(path: Path, *, extra: dict[str, bytes] | None = None, wrong_hash: bool = False) -> Path:
    warc = warc_bytes()
    pages = (b'{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}\n'
             + b"".join(json.dumps({"id": str(i), "url": url, "title": f"t{i}", "ts": "2021-04-13T23:22:05Z"}).encode() + b"\n"
                        for i, (url, *_rest) in enumerate(PAGES) if url.startswith("https://www.facebook.com/cruce")))
    files = {"archive/data.warc": warc, "pages/pages.jsonl": pages}
    resources = [{"name": Path(p).name, "path": p, "hash": "sha256:" + hashlib.sha256(b).hexdigest(), "bytes": len(b)}
                 for p, b in files.items()]
    if wrong_hash:
        resources[0]["hash"] = "sha256:" + "0" * 64
    package = {"profile": "data-package", "resources": resources, "wacz_version": "1.1.1", "created": "2021-04-14T00:00:00Z"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("datapackage.json", json.dumps(package))
    return path


def test_wacz_reads_listed_pages_and_checks_hashes(tmp_path):
    name, caps, ctx = read(make_wacz(tmp_path / "ok.wacz"))
    assert name == "wacz" and not ctx.failures
    # pages.jsonl lists the pages the researcher visited; other HTML responses are frames and widgets.
    assert keys(caps) == ["100064000000001"]
    assert caps[0].fields["page"]["title"] == "t0" and caps[0].fields["page"]["container"] == "wacz"


def test_wacz_extra_pages_list(tmp_path):
    extra = (b'{"format": "json-pages-1.0", "id": "extra-pages", "title": "Extra Pages"}\n'
             b'{"id": "9", "url": "https://www.facebook.com/serviciofronteranorte", "title": "extra", "ts": "2021-04-13T23:22:06Z"}\n')
    _, caps, ctx = read(make_wacz(tmp_path / "extra.wacz", extra={"pages/extraPages.jsonl": extra}))
    assert keys(caps) == ["100064000000001", "100064000000002"]
    assert any("1 HTML responses not in the WACZ page lists" in n.message for n in ctx.notes)


def test_wacz_bad_hash_is_reported_and_still_read(tmp_path):
    _, caps, ctx = read(make_wacz(tmp_path / "bad.wacz", wrong_hash=True))
    assert keys(caps) == ["100064000000001"]
    count, first = ctx.failures["hash-mismatch"]
    assert count == 1 and "archive/data.warc" in first.detail and "read anyway" in first.detail


def test_wacz_refuses_traversal_and_bombs(tmp_path):
    bomb = b"\0" * (24 << 20)
    path = make_wacz(tmp_path / "evil.wacz", extra={"../../escape.txt": b"x", "/etc/abs.txt": b"x",
                                                   "archive/bomb.warc": bomb})
    _, caps, ctx = read(path)
    assert keys(caps) == ["100064000000001"]
    assert ctx.failures["unsafe-path"][0] == 2
    assert "ZIP bomb" in ctx.failures["too-large"][1].detail
    assert not (tmp_path.parent / "escape.txt").exists()


@pytest.mark.parametrize("name", ["../x", "/x", "a/../../x", "C:\\x", "..\\x"])
def test_unsafe_names(name):
    assert unsafe_name(name)


@pytest.mark.parametrize("name", ["archive/data.warc", "pages/pages.jsonl", "a..b/c"])
def test_safe_names(name):
    assert not unsafe_name(name)


@pytest.mark.parametrize("name", ["pywacz_valid_example_1.wacz", "pywacz_valid_example_2.wacz",
                                  "pywacz_valid_signed_example_1.wacz"])
def test_real_wacz_hashes_pass(name):
    _, caps, ctx = read(sample("wacz", name))
    assert not ctx.failures
    assert caps and all(c.status != Status.UNAVAILABLE for c in caps)


def test_har_pages(tmp_path):
    name, caps, ctx = read(FIXTURES / "har" / "facebook_session.har")
    assert name == "har" and not ctx.failures
    assert keys(caps) == ["100064000000001", "100064000000002"]  # plain text and base64 bodies
    assert caps[1].observed_at == "2021-04-13T23:30:00Z"
    notes = " ".join(n.message for n in ctx.notes)
    assert "1 redirect" in notes and "without their content" in notes


@pytest.mark.parametrize("name", ["haralyzer_humanssuck.net.har", "haralyzer_single_entry.har"])
def test_real_har_samples(name):
    _, caps, _ = read(sample("har", name))
    assert caps and caps[0].fields["page"]["url"] == "http://humanssuck.net/"


def test_scan_archives_folder(invoke, case, tmp_path):
    folder = tmp_path / "archives"
    folder.mkdir()
    make_warc(folder / "crawl.warc.gz", compress=True)
    make_wacz(folder / "session.wacz", wrong_hash=True)
    result = invoke("scan", case, folder)
    assert result.exit_code == 0, result.output
    assert "hash-mismatch" in result.output
    db = sqlite3.connect(case / "case.db")
    assert db.execute("SELECT count(*) FROM source").fetchone()[0] == 2
