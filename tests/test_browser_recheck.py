"""`toolkit recheck --method browser` against a local server: the statuses a live wave would read,
through the browser, each check with its page and a screenshot as evidence; canaries that turn into
a login wall pause the wave; screenshots in `show`, the HTML report and the evidence bundle.

One Chromium serves the library-level tests; the CLI tests start their own, as a real run does.
Skipped, saying why, where Playwright or Chromium is missing.
"""

from __future__ import annotations

import base64
import re
import sqlite3
import zipfile

import orjson
import pytest
from _browser_server import BrowserServer, require_browser
from _recheck_server import add_item, allow_local_hosts

from toolkit.browser.engine import png_size
from toolkit.browser.options import BrowserOptions, ScreenshotMode
from toolkit.browser.rechecks import run_browser_async
from toolkit.case import open_case
from toolkit.custody import verify_case
from toolkit.dates import utcnow
from toolkit.recheck.fetch import FetchOptions
from toolkit.store.attachments import check_attachments
from toolkit.store.checks import open_wave, tracked_items

PAGES = {  # path -> status read through the browser
    "/CruceSeguroUSA.Oficial": "available",
    "/groups/viajesnorte": "unavailable",
    "/groups/privado": "login_required",
    "/PaginaScript": "available",
    "/NombreViejo": "available",
}


@pytest.fixture(scope="module")
def server():
    with BrowserServer() as srv:
        yield srv


def track(case_path, base, paths, platform="facebook") -> dict[str, int]:
    return {path: add_item(case_path, platform, base + path, key=path.strip("/").lower()) for path in paths}


def confirm(case_path, ids) -> None:
    conn = sqlite3.connect(case_path / "case.db")
    with conn:
        conn.executemany("INSERT INTO review (item_id, verdict, category, reviewer, reviewed_at)"
                         " VALUES (?, 'violating', 'smuggling_offer', 'ana', '2021-04-10T00:00:00Z')",
                         [(i,) for i in ids])
    conn.close()


def wave(shared, case_path, name, *, screenshots=ScreenshotMode.ALL):
    with open_case(case_path) as opened:
        wave_id = open_wave(opened.db, name, utcnow(), "browser")
        items = tracked_items(opened.db, everything=True)
        options = BrowserOptions(**{**vars(shared.browser.options), "screenshots": screenshots})
        fetch = FetchOptions(per_host_interval=0.05, retries=0, concurrency=2)
        stats = shared.run(run_browser_async(opened, wave_id, items, options, fetch, browser=shared.browser))
        checks = {row["item_id"]: dict(row) for row in opened.db.execute(
            'SELECT * FROM "check" WHERE wave_id = ? ORDER BY id', (wave_id,))}
        files = check_attachments(opened.db, [c["id"] for c in checks.values()])
    return stats, checks, files


@pytest.mark.slow
def test_a_browser_wave_reads_each_page_and_keeps_its_page_and_screenshot(case, server, shared):
    ids = track(case, server.base, PAGES)
    stats, checks, files = wave(shared, case, "w1")
    assert stats.checked == len(PAGES) and stats.screenshots == len(PAGES) and not stats.pauses
    with open_case(case) as opened:
        for path, item_id in ids.items():
            check = checks[item_id]
            assert (check["method"], check["status"]) == ("browser", PAGES[path]), path
            assert check["date_source"] == "clock" and re.search(r"browser (Headless)?Chrome/\S+ \(no profile\)", check["note"])
            assert b"<html" in opened.read_evidence(check["evidence_sha256"])
            (shot,) = files[check["id"]]
            assert shot["role"] == "screenshot" and shot["media_type"] == "image/png"
            assert png_size(opened.read_evidence(shot["sha256"])) == (1280, 900) == (shot["width"], shot["height"])
        assert checks[ids["/NombreViejo"]]["final_url"] == server.base + "/CruceSeguroUSA.Oficial"
        assert checks[ids["/groups/privado"]]["http_status"] == 200 and "302 -> " in checks[ids["/groups/privado"]]["note"]
        # A page showing the item also gives a capture of it, as a live check does.
        names = {r[0] for r in opened.db.execute("SELECT name FROM capture WHERE source_id IS NULL")}
        assert {"Cruce Seguro USA", "Pasajes Sin Papeles"} <= names
        assert verify_case(opened).problems == []


@pytest.mark.slow
def test_screenshots_changed_keeps_only_changes_and_none_keeps_none(case, server, shared):
    track(case, server.base, ["/CruceSeguroUSA.Oficial", "/groups/viajesnorte"])
    stats, _, files = wave(shared, case, "w1", screenshots=ScreenshotMode.CHANGED)
    assert stats.screenshots == 2 and len(files) == 2  # first checks: nothing to compare with
    stats, _, files = wave(shared, case, "w2", screenshots=ScreenshotMode.CHANGED)
    assert stats.screenshots == 0 and files == {}  # same statuses as before
    stats, checks, files = wave(shared, case, "w3", screenshots=ScreenshotMode.NONE)
    assert stats.checked == 2 and stats.screenshots == 0 and files == {}
    assert all(c["evidence_sha256"] for c in checks.values())  # the page itself is always kept


@pytest.mark.slow
def test_the_script_page_is_live_through_the_browser_and_not_over_http(case, server, invoke, tmp_path):
    require_browser()
    ids = track(case, server.base, ["/PaginaScript", "/CruceSeguroUSA.Oficial", "/PaginaHostil"])
    confirm(case, ids.values())
    live = invoke("recheck", case, "--wave", "w1", "--interval", "0", "--retries", "0", "--format", "json")
    assert live.exit_code == 0, live.output
    browser = invoke("recheck", case, "--wave", "w2", "--method", "browser", "--interval", "0", "--format", "json")
    assert browser.exit_code == 0, browser.output
    assert "3 browser check(s), 3 screenshot(s) kept" in browser.stderr
    with open_case(case) as opened:
        status = {(r["method"], r["item_id"]): r["status"] for r in opened.db.execute('SELECT * FROM "check"')}
    assert status[("live", ids["/PaginaScript"])] == "error"  # plain HTTP sees an empty shell
    assert status[("browser", ids["/PaginaScript"])] == "available"
    assert status[("live", ids["/CruceSeguroUSA.Oficial"])] == status[("browser", ids["/CruceSeguroUSA.Oficial"])] == "available"

    shown = orjson.loads(invoke("show", case, str(ids["/PaginaScript"]), "--format", "json").stdout)
    (browser_check,) = [e for e in shown["events"] if e["event"] == "check" and e["method"] == "browser"]
    (shot,) = browser_check["attachments"]
    assert shot["role"] == "screenshot" and (case / shot["path"]).is_file()

    out = tmp_path / "report"
    made = invoke("report", case, "--screenshots", "--format", "html,md", "-o", out, "--quiet")
    assert made.exit_code == 0, made.output
    html = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3
    assert all(png_size(base64.b64decode(data)) == (1280, 900) for data in images)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a hostile page name
    assert "Screenshots of the last checks" in html and shot["path"] in html
    assert shot["path"] in (out / "report.md").read_text(encoding="utf-8")  # Markdown names the file
    plain = invoke("report", case, "--format", "html", "-o", tmp_path / "plain", "--quiet")
    assert plain.exit_code == 0 and "data:image/png" not in (tmp_path / "plain" / "report.html").read_text(encoding="utf-8")
    refused = invoke("report", case, "--screenshots", "--redact", "-o", tmp_path / "r2")
    assert refused.exit_code == 2 and "cannot go with a redacted report" in refused.stderr

    bundle = tmp_path / "case.zip"
    assert invoke("export", case, "--bundle", bundle).exit_code == 0
    with zipfile.ZipFile(bundle) as zf:
        assert shot["path"] in zf.namelist()
    checked = invoke("verify", "--bundle", bundle)
    assert checked.exit_code == 0 and "intact" in checked.stdout


@pytest.mark.slow
def test_a_canary_turning_into_a_login_wall_pauses_the_wave(case, invoke):
    require_browser()
    with BrowserServer(canary_live=1) as server:  # live at the first round, a login wall after
        ids = track(case, server.base, ["/CruceSeguroUSA.Oficial", "/groups/viajesnorte", "/PaginaScript",
                                        "/NombreViejo", "/PaginaLarga"])
        added = invoke("canary", "add", case, server.base + "/ControlCanario", "--platform", "facebook")
        assert added.exit_code == 0, added.output
        config = case / "case.toml"
        config.write_text(config.read_text().replace("every = 100", "every = 2"))
        result = invoke("recheck", case, "--all", "--wave", "w1", "--method", "browser", "--interval", "0")
        assert result.exit_code == 0, result.output
        message = " ".join(result.stderr.split())
        assert "the facebook session is logged out: run toolkit browser login" in message
        assert "3 item(s) not checked in this run" in message
        with open_case(case) as opened:
            checked = [r[0] for r in opened.db.execute('SELECT item_id FROM "check" ORDER BY id')]
            rounds = [tuple(r) for r in opened.db.execute("SELECT round, status FROM canary_check ORDER BY id")]
        assert checked == [ids["/CruceSeguroUSA.Oficial"], ids["/groups/viajesnorte"]]  # no wall recorded for the cohort
        assert rounds == [(1, "available"), (2, "login_required")]
        server.canary_live = 10  # the researcher logged in again
        again = invoke("recheck", case, "--all", "--wave", "w1", "--method", "browser", "--interval", "0")
        assert again.exit_code == 0, again.output
        assert "3 to go" in again.stderr
        with open_case(case) as opened:
            assert opened.db.execute('SELECT count(DISTINCT item_id) FROM "check"').fetchone()[0] == 5
            assert verify_case(opened).problems == []


@pytest.mark.slow
def test_browser_status_reads_the_canaries(case, invoke):
    require_browser()
    allow_local_hosts(case)  # canaries go through the address guard too; the server is on 127.0.0.1
    with BrowserServer(canary_live=1) as server:
        invoke("canary", "add", case, server.base + "/ControlCanario", "--platform", "facebook")
        first = invoke("browser", "status", case, "--format", "json")
        assert first.exit_code == 0, first.output
        assert [(r["platform"], r["status"], r["live"]) for r in orjson.loads(first.stdout)] == [("facebook", "available", True)]
        second = invoke("browser", "status", case, "--format", "json")
        assert [r["status"] for r in orjson.loads(second.stdout)] == ["login_required"]
        assert "toolkit browser login CASE --platform facebook" in " ".join(second.stderr.split())
    with open_case(case) as opened:  # a look, not a wave: nothing recorded
        assert opened.db.execute("SELECT count(*) FROM canary_check").fetchone()[0] == 0


def test_status_without_canaries_says_how_to_declare_them(case, invoke):
    result = invoke("browser", "status", case)
    assert result.exit_code == 2 and "no canaries declared" in result.stderr


def test_method_option_is_checked(case, invoke):
    result = invoke("recheck", case, "--method", "telepathy")
    assert result.exit_code == 2 and "unknown method" in result.stderr
    result = invoke("recheck", case, "--method", "browser", "--manual")
    assert result.exit_code == 2 and "separate ways to recheck" in result.stderr
    result = invoke("recheck", case, "--logged-out")
    assert result.exit_code == 2 and "--logged-out works with --method browser only" in result.stderr


@pytest.mark.slow
def test_purging_an_item_deletes_its_screenshots_and_keeps_the_log_verifiable(case, server, shared, invoke):
    ids = track(case, server.base, ["/CruceSeguroUSA.Oficial", "/PaginaScript"])
    _, checks, files = wave(shared, case, "w1")
    gone = files[checks[ids["/PaginaScript"]]["id"]][0]["sha256"]
    kept = files[checks[ids["/CruceSeguroUSA.Oficial"]]["id"]][0]["sha256"]
    result = invoke("purge", case, "--item", str(ids["/PaginaScript"]), "--reason", "request of the page's owner",
                    "--yes")
    assert result.exit_code == 0, result.output
    with open_case(case) as opened:
        assert not opened.evidence_path(gone).exists() and opened.evidence_path(kept).exists()
        assert verify_case(opened).problems == []
