"""read_page: the entry point containers and rechecks call."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.models import Kind, Status
from toolkit.platforms.detect import read_page

PUBLIC_PAGE = """<!DOCTYPE html><html><head><title>Cruce Seguro USA | Facebook</title>
<meta property="og:title" content="Cruce Seguro USA">
<meta property="og:url" content="https://www.facebook.com/cruceseguro.usa/">
<meta property="al:android:url" content="fb://page/100064000000001">
<meta property="og:description" content="Cruce Seguro USA. 1,1 K seguidores. Viajes sin papeles.">
</head><body><div data-testid="royal_login_button">Iniciar sesión</div><form id="login_form"></form></body></html>"""

UNAVAILABLE_ES = """<html><head><title>Facebook</title></head><body><div role="main">
<span>Este contenido no está disponible en este momento</span>
<span>Por lo general, esto sucede porque el propietario solo compartió el contenido con un grupo reducido de
personas, cambió quién puede verlo o este se eliminó.</span></div></body></html>"""

LOGIN_WALL = """<html><head><title>Inicia sesión en Facebook</title></head>
<body><form id="login_form"><input name="email"></form></body></html>"""


def test_public_page_under_login_overlay_is_available():
    reading = read_page(PUBLIC_PAGE, "https://www.facebook.com/cruceseguro.usa", observed_at="2024-05-01T00:00:00Z")
    assert reading.platform == "facebook"
    assert reading.verdict.status == Status.AVAILABLE
    main = reading.main
    assert main.item.kind == Kind.PAGE and main.item.key == "cruceseguro.usa"
    assert main.fields["facebook_id"] == "100064000000001"
    assert main.name == "Cruce Seguro USA" and main.followers == 1100
    assert main.status == Status.AVAILABLE and main.detector == "facebook@1"
    assert main.status_place == "meta:al:android:url"
    assert main.observed_at == "2024-05-01T00:00:00Z"


def test_without_a_url_the_page_names_itself():
    """By its own address (og:url); the app link's id is a claim beside it (an alias), checked by
    the store, never the key a hostile copy could land on another page with."""
    main = read_page(PUBLIC_PAGE).main
    assert (main.item.kind, main.item.key) == (Kind.PAGE, "cruceseguro.usa")
    assert main.aliases == ("100064000000001",)


def test_a_later_unavailable_copy_is_the_same_item():
    live = read_page(PUBLIC_PAGE, "https://www.facebook.com/cruceseguro.usa").main.item
    gone = read_page(UNAVAILABLE_ES, "https://m.facebook.com/cruceseguro.usa/?ref=share").main.item
    assert live == gone


def test_unavailable_in_spanish_keeps_requested_item():
    reading = read_page(UNAVAILABLE_ES, "https://m.facebook.com/groups/555000111/posts/777000222/")
    assert reading.verdict.status == Status.UNAVAILABLE
    assert reading.verdict.place == "leaf"
    assert reading.main.item.key == "777000222" and reading.main.status == Status.UNAVAILABLE


def test_bare_login_wall():
    reading = read_page(LOGIN_WALL, "https://www.facebook.com/cruceseguro.usa")
    assert reading.verdict.status == Status.LOGIN_REQUIRED
    assert reading.verdict.place == "title"


def test_http_404_is_a_hard_signal_and_recorded_platform_wins():
    reading = read_page("<html><body>nada</body></html>", "http://127.0.0.1:8000/groups/555000111",
                        http_status=404, platform="facebook")
    assert reading.platform == "facebook"
    assert (reading.verdict.status, reading.verdict.place, reading.verdict.marker) == (Status.UNAVAILABLE, "http", "404")
    assert reading.main.item.kind == Kind.GROUP


def test_no_evidence_is_error_not_available():
    reading = read_page("<html><head><title>x</title></head><body><p>hola</p></body></html>", "https://example.org/a")
    assert reading.verdict.status == Status.ERROR and reading.verdict.reason == "no-markers"


def test_text_and_bytes_in_any_declared_encoding_read_alike():
    page = '<html><head><meta charset="iso-8859-1"><title>Inicia sesión en Facebook</title></head><body></body></html>'
    as_text = read_page(page, "https://www.facebook.com/x").verdict
    as_latin1 = read_page(page.encode("iso-8859-1"), "https://www.facebook.com/x").verdict
    undeclared_utf8 = read_page(page.replace(' charset="iso-8859-1"', "").encode("utf-8"), "https://www.facebook.com/x").verdict
    assert as_text.status == as_latin1.status == undeclared_utf8.status == Status.LOGIN_REQUIRED
    assert as_text.marker == as_latin1.marker == undeclared_utf8.marker == "Inicia sesión en Facebook"


def test_oversized_body_is_an_error_without_parsing(monkeypatch):
    import toolkit.platforms.detect as detect

    monkeypatch.setattr(detect, "MAX_PAGE_BYTES", 1000)
    reading = read_page(b"<html>" + b"x" * 2000, "https://www.facebook.com/cruceseguro.usa")
    assert (reading.verdict.status, reading.verdict.reason) == (Status.ERROR, "too-large")
    assert reading.main.item.key == "cruceseguro.usa" and reading.main.status == Status.ERROR


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)),
       st.sampled_from([None, "https://www.facebook.com/x", "https://t.me/s/canal_x", "https://www.tiktok.com/@y",
                        "https://chat.whatsapp.com/AbCdEfGhIjKlMnOp", "https://www.instagram.com/p/AbCdEfG/", "nota"]))
def test_read_page_never_raises(body, url):
    reading = read_page(body, url)
    assert reading.verdict.status in Status
    assert all(c.status is not None and c.detector for c in reading.captures)


@pytest.mark.parametrize("charset", ["mac-roman", "cp037", "rot13", "base64", "zlib", "utf-16", "utf-32", "bogus",
                                     "x-user-defined", "utf-8"])
def test_odd_declared_charsets_never_crash(charset):
    page = f'<html><head><meta charset="{charset}"><title>Inicia sesión en Facebook</title></head><body></body></html>'
    reading = read_page(page.encode("utf-8"), "https://www.facebook.com/x")
    assert reading.verdict.status in (Status.LOGIN_REQUIRED, Status.ERROR)
    if charset in ("rot13", "base64", "zlib", "utf-16", "utf-32", "bogus", "utf-8"):
        assert reading.verdict.status == Status.LOGIN_REQUIRED  # declaration ignored, read as UTF-8
