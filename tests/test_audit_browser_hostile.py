"""Hostile pages in the browser (audit "browser"): pages written by the people under investigation
may run any script. A visit must end, within its bounds, whatever the page does, and never leave
pages of the page's making open behind it.

Pages are synthetic, built on the Facebook-shaped page of tests/_browser_server.py (itself in the
shape of Facebook's logged-out page), with a hostile script added. Skipped where Playwright or
Chromium is missing.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from _browser_server import page
from _recheck_server import Replies, serving

from toolkit.browser.rechecks import as_fetched
from toolkit.models import Status
from toolkit.recheck.reading import read_response

LIVE = page("Cruce Seguro USA", "CruceSeguroUSA.Oficial", "100064000000101")


def with_script(script: str, head: str = "") -> str:
    return LIVE.replace("<head>", "<head>" + head).replace("</body>", f"<script>{script}</script></body>")


HOSTILE = {
    # The page's script never yields once the page has loaded: every call into the page waits.
    "/busy": with_script("setTimeout(() => { while (true) {} }, 200)"),
    # alert(), confirm() and prompt() for ever: each is dismissed, and the next one comes.
    "/dialogs": with_script("setTimeout(() => { while (true) { alert(1); confirm(2); prompt(3); } }, 200)"),
    # Pop-ups opened as the page loads.
    "/popups": with_script("window.open('/CruceSeguroUSA.Oficial'); window.open('/CruceSeguroUSA.Oficial', '_blank');"),
    "/CruceSeguroUSA.Oficial": LIVE,
    # A page that reloads itself at once, for ever.
    "/reloads": with_script("", head='<meta http-equiv="refresh" content="0">'),
}


class Hostile(Replies):
    def do_GET(self) -> None:
        body = HOSTILE.get(self.path.split("?")[0])
        if body is None:
            self.reply(404, "<html><body>Not Found</body></html>")
        else:
            self.reply(200, body)


@pytest.fixture(scope="module")
def base():
    with serving(Hostile) as url:
        yield url


def bounded(shared, visit, seconds: float):
    """Run the visit, failing the test (instead of hanging it) when it has not ended in `seconds`."""
    return shared.run(asyncio.wait_for(visit, seconds))


def read(visit):
    return read_response(as_fetched(visit), url=visit.url, platform="facebook", observed_at=visit.started_at)


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/busy", "/dialogs"])
@pytest.mark.parametrize("platform", ["facebook", "generic"])
def test_a_page_whose_script_never_yields_ends_the_visit_as_an_error(base, shared, path, platform):
    # Before: query_selector (facebook's settle) or page.content() (generic) waited for ever, and
    # with it the whole capture or recheck run.
    with shared.options(navigation_timeout=2.0, settle_timeout=1.0):
        started = time.monotonic()
        visit = bounded(shared, shared.browser.visit(base + path, platform=platform, mhtml=True), 30)
        elapsed = time.monotonic() - started
    assert elapsed < 12, elapsed
    assert (visit.reason, visit.html, visit.screenshot) == ("page-unresponsive", None, None)
    assert (read(visit).status, read(visit).reason) == (Status.ERROR, "page-unresponsive")  # never a removal
    assert shared.browser.context.pages == []


@pytest.mark.slow
def test_pop_ups_a_page_opens_are_closed_with_it(base, shared):
    # Before: each pop-up stayed open (loading, running its scripts) for the rest of the run.
    visit = shared.visit(base + "/popups", platform="facebook")
    assert visit.reason is None and read(visit).status == Status.AVAILABLE
    time.sleep(0.3)  # a pop-up whose opening was still under way
    assert shared.browser.context.pages == []


@pytest.mark.slow
def test_a_page_that_reloads_itself_for_ever_ends_and_the_next_visit_reads_right(base, shared):
    # Before: page.close() could wait for ever on a page reloading itself.
    for _ in range(3):  # the hang depended on the moment: try it a few times
        with shared.options(settle_timeout=1.0):
            visit = bounded(shared, shared.browser.visit(base + "/reloads", platform="generic"), 30)
        assert visit.reason in {None, "page-navigating"}
        assert shared.browser.context.pages == []  # before: the tab stayed open, reloading, for the run
        # What the next visit reads is not disturbed.
        after = shared.visit(base + "/CruceSeguroUSA.Oficial", platform="facebook")
        assert read(after).status == Status.AVAILABLE
