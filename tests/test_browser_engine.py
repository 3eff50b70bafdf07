"""The browser engine against a local server: what one visit sees, reads and keeps.

One Chromium serves the whole module (tests/_browser_server.SharedBrowser). Skipped, saying why,
where Playwright or Chromium is missing (.ci/run installs Chromium when it can).
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from _browser_server import BrowserServer, SharedBrowser, require_browser

from toolkit.browser.engine import png_size
from toolkit.browser.rechecks import as_fetched
from toolkit.models import Status
from toolkit.recheck.fetch import Fetcher, FetchOptions
from toolkit.recheck.reading import read_response


@pytest.fixture(scope="module")
def server():
    with BrowserServer(slow_seconds=1.0) as srv:
        yield srv


def read(visit, platform="facebook"):
    return read_response(as_fetched(visit), url=visit.url, platform=platform, observed_at=visit.started_at)


@pytest.mark.slow
def test_a_live_page_is_read_live_with_a_screenshot_of_the_window(server, shared):
    url = server.base + "/CruceSeguroUSA.Oficial"
    visit = shared.visit(url, platform="facebook")
    assert visit.reason is None and visit.http_status == 200 and visit.final_url == url and visit.redirects == []
    assert b'content="https://www.facebook.com/CruceSeguroUSA.Oficial"' in visit.html
    reading = read(visit)
    assert reading.status == Status.AVAILABLE and reading.content.name == "Cruce Seguro USA"
    shot = visit.screenshot
    assert png_size(shot.png) == (1280, 900) == (shot.width, shot.height)  # a short page: the window
    assert not shot.cut and visit.mhtml is None  # no snapshot unless asked


@pytest.mark.slow
def test_a_no_disponible_page_reads_unavailable(server, shared):
    visit = shared.visit(server.base + "/groups/viajesnorte", platform="facebook")
    reading = read(visit)
    assert (reading.status, reading.reason) == (Status.UNAVAILABLE, "content-unavailable")


@pytest.mark.slow
def test_a_login_wall_reads_login_required_and_keeps_the_redirect(server, shared):
    visit = shared.visit(server.base + "/groups/privado", platform="facebook")
    wall = server.base + "/login/?next=%2Fgroups%2Fprivado"
    assert visit.redirects == [(302, wall)] and visit.final_url == wall and visit.http_status == 200
    reading = read(visit)
    assert reading.status == Status.LOGIN_REQUIRED
    assert f"302 -> {wall}" in reading.note


@pytest.mark.slow
def test_a_page_rendered_by_script_is_live_in_the_browser_and_not_over_http(server, shared):
    url = server.base + "/PaginaScript"
    visit = shared.visit(url, platform="facebook")
    in_browser = read(visit)
    assert in_browser.status == Status.AVAILABLE, in_browser
    assert in_browser.content.name == "Pasajes Sin Papeles"

    async def over_http():
        async with Fetcher(FetchOptions(per_host_interval=0, retries=0, allow_private_hosts=True)) as fetcher:
            return await fetcher.fetch(url)

    fetched = asyncio.run(over_http())
    over_plain_http = read_response(fetched, url=url, platform="facebook", observed_at=fetched.started_at)
    assert fetched.http_status == 200
    assert over_plain_http.status != Status.AVAILABLE
    assert (over_plain_http.status, over_plain_http.reason) == (Status.ERROR, "no-markers")


@pytest.mark.slow
def test_a_slow_page_is_waited_for_within_the_timeout_and_an_error_beyond_it(server, shared):
    started = time.monotonic()
    visit = shared.visit(server.base + "/PaginaLenta", platform="facebook")
    assert time.monotonic() - started >= server.slow_seconds
    assert read(visit).status == Status.AVAILABLE
    with shared.options(navigation_timeout=0.4):
        started = time.monotonic()
        late = shared.visit(server.base + "/PaginaLenta", platform="facebook")
        assert time.monotonic() - started < server.slow_seconds + 0.5
    assert late.reason == "load-timeout" and late.html is None and late.screenshot is None
    assert (read(late).status, read(late).reason) == (Status.ERROR, "load-timeout")  # never a removal


@pytest.mark.slow
def test_a_redirect_is_followed_and_recorded(server, shared):
    visit = shared.visit(server.base + "/NombreViejo", platform="facebook")
    target = server.base + "/CruceSeguroUSA.Oficial"
    assert visit.final_url == target and visit.redirects == [(301, target)] and visit.http_status == 200
    assert read(visit).status == Status.AVAILABLE


@pytest.mark.slow
def test_a_page_that_never_settles_is_read_after_the_bounded_wait(server, shared):
    with shared.options(settle_timeout=1.0):
        started = time.monotonic()
        visit = shared.visit(server.base + "/PaginaSinFin", platform="generic")
        elapsed = time.monotonic() - started
    assert visit.settled == "timeout" and "did not settle within 1 s" in visit.notes[0]
    assert 1.0 <= elapsed < 6.0
    assert read(visit).status == Status.AVAILABLE  # what it shows is read all the same


@pytest.mark.slow
def test_screenshots_cover_the_whole_page_at_the_asked_scale_and_cut(server, shared):
    url = server.base + "/PaginaLarga"
    full = shared.visit(url, platform="generic").screenshot
    width, height = png_size(full.png)
    # The page is its 3,000 px block plus the heading: the whole of it, not the 900 px window.
    assert width == 1280 and height == full.page_height and 3000 < height < 3200 and not full.cut
    with shared.options(screenshot_scale=0.5):
        half = shared.visit(url, platform="generic").screenshot
    assert png_size(half.png) == (640, round(height / 2)) and half.scale == 0.5
    with shared.options(max_screenshot_height=2000):
        cut = shared.visit(url, platform="generic").screenshot
    assert png_size(cut.png) == (1280, 2000) and cut.cut and cut.page_height == height
    assert "cut from a" in cut.describe()


@pytest.mark.slow
def test_the_mhtml_snapshot_holds_the_page(server, shared):
    url = server.base + "/PaginaLarga"
    visit = shared.visit(url, platform="generic", mhtml=True)
    assert visit.mhtml.startswith(b"From: <Saved by Blink>")
    assert f"Snapshot-Content-Location: {url}".encode() in visit.mhtml
    assert b"Cruces Nocturnos" in visit.mhtml


@pytest.mark.slow
def test_lazy_platforms_are_scrolled_a_bounded_number_of_screens(server, shared):
    with shared.options(scroll_screens=2):
        visit = shared.visit(server.base + "/PaginaLarga", platform="facebook")
    assert visit.scrolled == 2
    visit = shared.visit(server.base + "/PaginaLarga", platform="generic")
    assert visit.scrolled == 0  # a platform that does not load as one scrolls is not scrolled


@pytest.mark.slow
def test_network_failures_are_reason_codes(shared):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    visit = shared.visit(f"http://127.0.0.1:{port}/CruceSeguroUSA.Oficial", platform="facebook")
    assert visit.reason == "connect-error" and visit.html is None
    assert read(visit).status == Status.ERROR


@pytest.mark.slow
def test_every_page_is_closed_after_its_visit(shared):
    assert shared.browser.context.pages == []
    assert shared.browser.version.startswith(("Chrome/", "HeadlessChrome/", "Chromium/"))


@pytest.mark.slow
def test_a_browser_that_stopped_is_a_clear_error(server):
    require_browser()
    from toolkit.browser.engine import BrowserError

    crashed = SharedBrowser()
    try:
        crashed.run(crashed.browser.context.close())
        with pytest.raises(BrowserError, match="the browser stopped"):
            crashed.visit(server.base + "/CruceSeguroUSA.Oficial")
    finally:
        crashed.close()
