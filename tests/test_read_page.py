"""read_page: the entry point containers and rechecks call."""

from __future__ import annotations

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
    assert main.item.kind == Kind.PAGE and main.item.key == "100064000000001"
    assert main.name == "Cruce Seguro USA" and main.followers == 1100
    assert main.status == Status.AVAILABLE and main.detector == "facebook@1"
    assert main.status_place == "meta:al:android:url"
    assert main.observed_at == "2024-05-01T00:00:00Z"


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
