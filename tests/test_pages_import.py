"""Saved pages: SingleFile, "Save page as" HTML and MHTML, scanned into a case."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from conftest import FIXTURES, sample
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.models import Kind, Status
from toolkit.sources import _page_containers as _pages
from toolkit.sources import registry
from toolkit.sources.base import MapError, ReadContext
from toolkit.sources.savedpage import js_date, saved_origin

SF = FIXTURES / "singlefile"
HTML = FIXTURES / "html"


def read(path: Path):
    importer = registry.detect(path)
    assert importer is not None, f"no importer for {path}"
    ctx = ReadContext(path=path)
    out = []
    for _, raw in importer.read(path, ctx):
        try:
            out.extend(importer.map(raw))
        except MapError as exc:
            ctx.fail(exc.cause, exc.detail)
    return importer.name, out, ctx


def test_singlefile_page_gives_url_save_time_and_status():
    name, caps, ctx = read(SF / "page_cruce_seguro.html")
    assert name == "singlefile"
    assert ctx.collected_at == "2021-04-13T23:22:05Z"  # 18:22:05 GMT-0500
    page = caps[0]
    # The page is known by the URL it was saved from; the numeric id is kept beside it.
    assert page.item.identity == ("facebook", "page", "cruceseguro.usa")
    assert page.fields["facebook_id"] == "100064000000001"
    assert (page.status, page.detector, page.observed_at) == (Status.AVAILABLE, "facebook@1", "2021-04-13T23:22:05Z")
    assert page.name == "Cruce Seguro a USA"
    assert page.fields["page"] == {"container": "singlefile", "url": "https://www.facebook.com/cruceseguro.usa"}


@pytest.mark.parametrize(("fixture", "identity", "status", "place"), [
    ("group_viajes_norte.html", ("facebook", "group", "viajesnorte2021"), Status.AVAILABLE, "meta:al:android:url"),
    ("listing_viaje_usa.html", ("facebook", "listing", "880000000000123"), Status.AVAILABLE, "json:GroupCommerceProductItem"),
    ("page_cruce_seguro_unavailable.html", ("facebook", "page", "cruceseguro.usa"), Status.UNAVAILABLE, "leaf"),
    ("group_login_wall.html", ("facebook", "group", "viajesnorte2021"), Status.LOGIN_REQUIRED, "canonical"),
])
def test_every_saved_page_carries_the_detector_status(fixture, identity, status, place):
    _, caps, ctx = read(SF / fixture)
    assert not ctx.failures
    main = caps[0]
    assert main.item.identity == identity
    assert (main.status, main.status_place) == (status, place)
    assert all(c.status is not None and c.detector for c in caps)
    if status != Status.AVAILABLE:
        assert main.fields["status_reason"]


def test_marketplace_listing_fields():
    _, caps, _ = read(SF / "listing_viaje_usa.html")
    listing = caps[0]
    assert listing.item.kind == Kind.LISTING and listing.name == "Viaje a USA todo incluido"
    assert (listing.fields["price"], listing.fields["currency"]) == ("3500.00", "USD")
    assert listing.fields["location"] == "Reynosa, Tamaulipas"


def test_browser_save_with_saved_from_comment():
    name, caps, ctx = read(HTML / "post_saved_from.html")
    assert name == "html" and ctx.collected_at is None  # "Save page as" does not say when
    post, page = caps
    assert post.item.identity == ("facebook", "post", "4100000000000042")
    assert post.parent == page.item and page.item.kind == Kind.PAGE
    assert post.fields["page"]["url"] == "https://www.facebook.com/cruceseguro.usa/posts/4100000000000042"
    assert "Piedras Negras" in post.text


def test_browser_save_without_url_uses_the_page_metadata():
    """Without its URL a page is named by its own address (og:url); its app link's numeric id is a
    second key beside it, which the store merges only when it agrees with what the case knows."""
    _, caps, _ = read(HTML / "page_canonical_only.html")
    assert caps[0].item.identity == ("facebook", "page", "cruceseguro.usa")
    assert caps[0].aliases == ("100064000000001",)
    assert caps[0].status == Status.AVAILABLE


def test_mhtml_root_part_is_decoded():
    name, caps, ctx = read(FIXTURES / "mhtml" / "group_viajes_norte.mhtml")
    assert name == "mhtml"
    assert ctx.collected_at == "2021-04-13T23:40:12Z"
    group = caps[0]
    assert group.item.identity == ("facebook", "group", "viajesnorte2021") and group.status == Status.AVAILABLE
    assert group.fields["page"]["title"] == "Viajes al Norte 2021 | Facebook"
    assert group.fields["page"]["url"] == "https://www.facebook.com/groups/viajesnorte2021/"
    assert group.members == 44000


def test_mhtml_base64_root(tmp_path):
    source = (FIXTURES / "mhtml" / "group_viajes_norte.mhtml").read_bytes()
    head, _, rest = source.partition(b"Content-Transfer-Encoding: quoted-printable\r\n")
    location, _, after = rest.partition(b"\r\n\r\n")
    body, _, tail = after.partition(b"\r\n------MultipartBoundary")
    import base64
    import quopri

    html = quopri.decodestring(body)
    encoded = base64.encodebytes(html).replace(b"\n", b"\r\n")
    path = tmp_path / "b64.mhtml"
    path.write_bytes(head + b"Content-Transfer-Encoding: base64\r\n" + location + b"\r\n\r\n" + encoded.rstrip()
                     + b"\r\n------MultipartBoundary" + tail)
    _, caps, ctx = read(path)
    assert not ctx.failures and caps[0].item.key == "viajesnorte2021"


def test_scan_saved_pages_into_a_case(invoke, case):
    result = invoke("scan", case, SF)
    assert result.exit_code == 0, result.output
    assert "pages read as: " in result.output and "1 unavailable (content-unavailable)" in result.output
    db = sqlite3.connect(case / "case.db")
    rows = db.execute("SELECT collected_at, importer FROM source ORDER BY path").fetchall()
    assert rows[0] == ("2021-05-17T15:04:37Z", "singlefile@1")
    # The saved copy from April and the one from May are two observations of one item.
    seen = db.execute("SELECT c.observed_at, c.status FROM capture c JOIN item i ON i.id = c.item_id "
                      "WHERE i.key = 'cruceseguro.usa' ORDER BY c.observed_at").fetchall()
    assert seen == [("2021-04-13T23:22:05Z", "available"), ("2021-05-17T15:02:11Z", "unavailable")]
    result = invoke("items", case, "--format", "json")
    assert result.exit_code == 0, result.output
    items = {i["key"]: i for i in json.loads(result.stdout)}
    assert items["cruceseguro.usa"]["status"] == "unavailable" and items["880000000000123"]["status"] == "available"


def test_saved_origin_variants():
    assert saved_origin(b'<html><!--\n Page saved with SingleFile \n url: https://x.test/a \n saved date: '
                        b'Tue Jun 16 2020 21:55:43 GMT+0200 (CEST)\n-->') == ("https://x.test/a", "2020-06-16T19:55:43Z", "singlefile")
    assert saved_origin(b'<html><head><meta name="savepage-url" content="https://x.test/b">'
                        b'<meta name="savepage-date" content="Mon Nov 27 2023 10:00:00 GMT+0100">') == (
        "https://x.test/b", "2023-11-27T09:00:00Z", "savepage-we")
    assert saved_origin(b"<!-- saved from url=(0016)https://x.test/c -->\n<html>") == ("https://x.test/c", None, "browser")
    assert saved_origin(b"<!-- https://x.test/d -->\n<!DOCTYPE html>") == ("https://x.test/d", None, "browser")
    assert saved_origin(b"<!DOCTYPE html><html>") == (None, None, "browser")


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue Apr 13 2021 18:22:05 GMT-0500 (hora de verano central)", "2021-04-13T23:22:05Z"),
    ("Sat Jan 02 2021 00:30:00 GMT+0100", "2021-01-01T23:30:00Z"),
    ("2021-04-13T23:25:40.000Z", "2021-04-13T23:25:40Z"),
    ("not a date", None),
    ("Foo Bar 99 2021 10:00:00", None),
])
def test_js_date(text, expected):
    assert js_date(text) == expected


TEXT = st.text(alphabet=st.characters(whitelist_categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(text=TEXT, encoding=st.sampled_from(["utf-8", "cp1252"]), declare=st.booleans())
def test_prepare_body_reads_text_as_written(text, encoding, declare):
    """Whatever the encoding and whether it is declared, the parser sees the text that was written."""
    try:
        encoded = text.encode(encoding)
    except UnicodeEncodeError:
        return  # not writable in this encoding
    if not declare and encoding == "cp1252" and encoded.isascii() is False:
        try:
            encoded.decode("utf-8")
            return  # these bytes are also valid UTF-8, and UTF-8 is then the right reading
        except UnicodeDecodeError:
            pass
    meta = f'<meta charset="{encoding}">'.encode() if declare else b""
    escaped = encoded.replace(b"&", b"&amp;").replace(b"<", b"&lt;")
    body = b"<html><head>" + meta + b"<title>x</title></head><body><p id=t>" + escaped + b"</p></body></html>"
    prepared, _ = _pages.prepare_body(body)
    tree = lxml.html.document_fromstring(prepared, parser=lxml.html.HTMLParser(recover=True))
    assert tree.get_element_by_id("t").text_content() == text


def test_real_singlefile_pages_recover_url_and_save_time():
    folder = sample("facebook_html", "phoenix_mbasic_singlefile")
    items = 0
    for path in sorted(folder.glob("*.html")):
        name, caps, ctx = read(path)
        assert name == "singlefile", path
        assert ctx.collected_at and ctx.collected_at.startswith("2020-"), path
        if caps:
            items += 1
            assert caps[0].fields["page"]["url"].startswith("https://mbasic.facebook.com/"), path
            assert caps[0].item.platform == "facebook", path
        else:
            # Search results, reaction lists and comment threads are not items; the reason names the URL.
            assert "https://mbasic.facebook.com/" in ctx.failures["not-an-item"][1].detail, path
    assert items >= 3


def test_no_real_sample_page_reads_as_unavailable(samples):
    pages = [p for folder in ("facebook_html", "instagram_html", "tiktok_html", "telegram_web_html")
             for p in sorted((samples / folder).rglob("*.html"))]
    assert pages
    for path in pages:
        _, caps, _ = read(path)
        assert all(c.status not in {Status.UNAVAILABLE, Status.REMOVED, Status.ACCOUNT_GONE} for c in caps), path


EXAMPLE = Path(__file__).resolve().parent.parent / "cases" / "example"


def test_example_saved_pages_and_the_recheck_wave_are_classified():
    seen = {}
    for folder in ("exports", "exports-wave2"):
        for path in sorted((EXAMPLE / folder / "saved-pages").glob("*.html")):
            name, caps, ctx = read(path)
            assert name == "singlefile" and not ctx.failures, path
            seen[(folder, caps[0].item.kind)] = caps[0].status
    assert seen == {
        ("exports", Kind.PAGE): Status.AVAILABLE, ("exports", Kind.GROUP): Status.AVAILABLE,
        ("exports", Kind.LISTING): Status.AVAILABLE,
        ("exports-wave2", Kind.PAGE): Status.UNAVAILABLE, ("exports-wave2", Kind.GROUP): Status.LOGIN_REQUIRED,
    }


# WARC and WACZ fixtures are generated (tests/test_archives.py) rather than committed.
CONTRACT = {
    "singlefile": SF / "page_cruce_seguro.html",
    "html": HTML / "post_saved_from.html",
    "mhtml": FIXTURES / "mhtml" / "group_viajes_norte.mhtml",
    "har": FIXTURES / "har" / "facebook_session.har",
    "telegram-json": FIXTURES / "telegram" / "channel_json" / "result.json",
    "telegram-html": FIXTURES / "telegram" / "channel_html" / "messages.html",
    "mcl": FIXTURES / "mcl" / "mcl_facebook_posts.csv",
    "facebook-dyi": FIXTURES / "fb_dyi" / "posts" / "your_posts_1.json",
    "browser-capture": FIXTURES / "capture" / "pasajes_sin_papeles.html",
}


@pytest.mark.parametrize("fmt", sorted(CONTRACT))
def test_importer_contract(fmt):
    """Each importer sniffs its fixture (and is the one detected), and its map is pure: the same
    raw record maps to the same captures twice."""
    path = CONTRACT[fmt]
    importer = registry.get(fmt)
    assert registry.detect(path) is importer
    ctx = ReadContext(path=path)
    raws = [raw for _, raw in importer.read(path, ctx)]
    assert raws
    first = [list(importer.map(raw)) for raw in raws]
    again = [list(importer.map(raw)) for raw in raws]
    assert first == again and any(first)
    assert registry.get(fmt).ident == f"{fmt}@{importer.version}"


def test_singlefile_download_folder(invoke, case, tmp_path):
    """A SingleFile download folder: many pages (and the odd other file) in one scan."""
    folder = tmp_path / "Descargas"
    folder.mkdir()
    template = (SF / "page_cruce_seguro.html").read_text(encoding="utf-8")
    for number in range(60):
        page_id = f"1000640000001{number:02d}"
        text = (template.replace("cruceseguro.usa", f"cruceseguro.usa{number}")
                .replace("100064000000001", page_id).replace("18:22:05", f"18:{number:02d}:05"))
        (folder / f"Cruce Seguro a USA ({number}).html").write_text(text, encoding="utf-8")
    (folder / "desktop.ini").write_text("[.ShellClassInfo]\n", encoding="utf-8")
    result = invoke("scan", case, folder)
    assert result.exit_code == 0, result.output
    assert "Scanned 61 files: 60 imported" in " ".join(result.output.split())
    db = sqlite3.connect(case / "case.db")
    assert db.execute("SELECT count(DISTINCT collected_at) FROM source").fetchone()[0] == 60
    assert db.execute("SELECT count(*) FROM capture WHERE status = 'available'").fetchone()[0] == 60
