"""A browser recheck reads a gone page twice (`[browser] second_look`): a removal is recorded only
from a page that still reads gone seconds later, without reloading; a page that changed is `error`
`page-changed`, never a removal.

The pages are synthetic, on the Facebook-shaped pages of tests/_browser_server.py and
tests/_recheck_server.py (Facebook's logged-out "Este contenido no está disponible" page and a live
page). The changing page imitates an owner's script (or a client app still building the item) that
shows the notice first and the item a few seconds after the page settled. Skipped where Playwright
or Chromium is missing.
"""

from __future__ import annotations

import pytest
from _browser_server import page
from _recheck_server import FB_UNAVAILABLE_ES, Replies, add_item, serving

from toolkit.browser.options import BrowserOptions
from toolkit.browser.rechecks import run_browser_async
from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.recheck.fetch import FetchOptions
from toolkit.store.checks import open_wave, tracked_items

LIVE = page("Cruce Seguro USA", "CruceSeguroUSA.Oficial", "100064000000101")
SWAP_AFTER_MS = 3000  # well after the page settles and is first read (about 1 s here)
# "Not available" until the timer fires, then the live page's document.
FLIP = FB_UNAVAILABLE_ES.replace("</body>", "<script>setTimeout(() => { document.open(); document.write("
                                 + repr(LIVE) + "); document.close(); }, " + str(SWAP_AFTER_MS) + ")</script></body>")
PAGES = {"/groups/cambia": FLIP, "/groups/viajesnorte": FB_UNAVAILABLE_ES, "/CruceSeguroUSA.Oficial": LIVE}


class Pages(Replies):
    def do_GET(self) -> None:
        body = PAGES.get(self.path.split("?")[0])
        self.reply(200, body) if body is not None else self.reply(404, "<html><body>Not Found</body></html>")


@pytest.fixture(scope="module")
def base():
    with serving(Pages) as url:
        yield url


def wave(shared, case_path, base, second_look: float) -> dict[str, dict]:
    ids = {add_item(case_path, "facebook", base + path, key=path.strip("/").replace("/", "-").lower()): path
           for path in PAGES}
    with open_case(case_path) as opened:
        wave_id = open_wave(opened.db, "w1", utcnow(), "browser")
        options = BrowserOptions(**{**vars(shared.browser.options), "second_look": second_look, "screenshots": "none"})
        fetch = FetchOptions(per_host_interval=0.05, retries=0, concurrency=2)
        with shared.options(second_look=second_look):
            shared.run(run_browser_async(opened, wave_id, tracked_items(opened.db, everything=True), options, fetch,
                                         browser=shared.browser))
        return {ids[row["item_id"]]: dict(row) for row in opened.db.execute(
            'SELECT * FROM "check" WHERE wave_id = ?', (wave_id,))}


@pytest.mark.slow
def test_a_page_that_changes_after_it_read_gone_is_an_error_and_a_steady_one_is_confirmed(case, base, shared):
    checks = wave(shared, case, base, second_look=SWAP_AFTER_MS / 1000 + 2)
    flipped = checks["/groups/cambia"]
    assert (flipped["status"], flipped["reason"]) == ("error", "page-changed")  # before: unavailable
    assert "read unavailable" in flipped["note"] and "then available" in flipped["note"], flipped["note"]
    steady = checks["/groups/viajesnorte"]
    assert steady["status"] == "unavailable" and "read again 5 s later: unavailable" in steady["note"]
    live = checks["/CruceSeguroUSA.Oficial"]
    assert live["status"] == "available" and "read again" not in live["note"]  # a live page is read once


@pytest.mark.slow
def test_second_look_zero_reads_once(case, base, shared):
    checks = wave(shared, case, base, second_look=0)
    assert checks["/groups/cambia"]["status"] == "unavailable"  # what one read sees, as before
    assert "read again" not in checks["/groups/viajesnorte"]["note"]


def test_the_second_look_is_a_case_option(tmp_path):
    from toolkit.case import CONFIG_SPEC
    from toolkit.errors import CaseError

    config = {section: {key: default for key, (_types, default) in keys.items()} for section, keys in CONFIG_SPEC.items()}
    assert BrowserOptions.from_config(config, tmp_path).second_look == 2.0
    config["browser"]["second_look"] = -1
    with pytest.raises(CaseError, match="second_look"):
        BrowserOptions.from_config(config, tmp_path)
