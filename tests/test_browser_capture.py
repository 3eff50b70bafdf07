"""`toolkit capture`: each page loaded in the browser becomes a source read like a saved page, with
its screenshot and MHTML snapshot as evidence, resumable, polite, and verifiable afterwards.

One Chromium serves the library-level tests of the module; the CLI tests start their own, as a
real run does. Skipped, saying why, where Playwright or Chromium is missing.
"""

from __future__ import annotations

import socket

import orjson
import pytest
from _browser_server import BrowserServer, require_browser
from _recheck_server import allow_local_hosts

from toolkit.browser.capture import Target, pending, run_capture_async, targets_from_file
from toolkit.browser.engine import png_size
from toolkit.browser.options import BrowserOptions
from toolkit.case import open_case
from toolkit.custody import verify_case
from toolkit.recheck.fetch import FetchOptions
from toolkit.scan.pipeline import case_tagger
from toolkit.sources.browser_capture import split_capture
from toolkit.store.attachments import source_attachments
from toolkit.store.checks import source_captures

PATHS = {  # path -> status of the capture's main item
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


def capture(shared, case_path, targets, *, wall_streak=3, tagger=True):
    with open_case(case_path) as opened:
        options = BrowserOptions(**{**vars(shared.browser.options), "wall_streak": wall_streak})
        fetch = FetchOptions(per_host_interval=0.05, retries=0, concurrency=2)
        return shared.run(run_capture_async(opened, targets, options, fetch, browser=shared.browser,
                                            tagger=case_tagger(opened) if tagger else None))


@pytest.mark.slow
def test_each_capture_is_a_source_with_its_screenshot_and_snapshot(case, server, shared):
    targets = [Target(server.base + path, "facebook") for path in PATHS]
    stats = capture(shared, case, targets)
    assert (stats.captured, stats.failed, stats.paused) == (5, 0, 0)
    with open_case(case) as opened:
        sources = opened.db.execute("SELECT * FROM source ORDER BY id").fetchall()
        assert {row["path"] for row in sources} == {t.url for t in targets}
        for source in sources:
            path = source["path"][len(server.base):]
            assert source["format"] == "browser-capture" and source["importer"] == "browser-capture@1"
            (main, *_) = source_captures(opened.db, source["id"])
            assert main["status"] == PATHS[path], path
            header, html = split_capture(opened.read_evidence(source["evidence"]))
            assert header["url"] == source["path"] and header["captured_at"] == source["collected_at"]
            assert header["http_status"] == 200 and header["browser"].startswith(("Chrome/", "HeadlessChrome/"))
            assert header["toolkit"] and header["session"] == "none"
            attachments = {a["role"]: a for a in source_attachments(opened.db, source["id"])}
            assert set(attachments) == {"screenshot", "mhtml"}
            png = opened.read_evidence(attachments["screenshot"]["sha256"])
            assert png_size(png) == (1280, 900) == (attachments["screenshot"]["width"], attachments["screenshot"]["height"])
            assert header["screenshot"]["sha256"] == attachments["screenshot"]["sha256"]
            mhtml = opened.read_evidence(attachments["mhtml"]["sha256"])
            assert mhtml.startswith(b"From: <Saved by Blink>") and header["mhtml"]["sha256"] == attachments["mhtml"]["sha256"]
            if path == "/NombreViejo":
                assert header["final_url"] == server.base + "/CruceSeguroUSA.Oficial"
                assert header["redirects"] == [[301, server.base + "/CruceSeguroUSA.Oficial"]]
            if path == "/PaginaScript":
                assert b"Pasajes Sin Papeles" in html and main["platform"] == "facebook"
        # Tagged as a saved page is: the script-rendered page's WhatsApp number is an indicator.
        phones = {row[0] for row in opened.db.execute("SELECT value FROM indicator WHERE type = 'phone'")}
        assert {"+525555550101", "+525555550177"} <= phones
        assert verify_case(opened).problems == []


@pytest.mark.slow
def test_a_capture_file_scans_like_a_saved_page(case, tmp_path, server, shared, invoke):
    capture(shared, case, [Target(server.base + "/PaginaScript", "facebook")])
    with open_case(case) as opened:
        (source,) = opened.db.execute("SELECT evidence FROM source").fetchall()
        data = opened.read_evidence(source["evidence"])
    copy = tmp_path / "captura.html"
    copy.write_bytes(data)
    other = tmp_path / "other"
    assert invoke("init", other).exit_code == 0
    result = invoke("scan", other, copy)
    assert result.exit_code == 0, result.output
    assert "browser-capture, 1 records read, 1 mapped" in " ".join(result.stderr.split())
    with open_case(other) as opened:
        row = opened.db.execute("SELECT c.status, i.key FROM capture c JOIN item i ON i.id = c.item_id").fetchone()
    assert tuple(row) == ("available", "paginascript")


@pytest.mark.slow
def test_a_second_run_skips_known_states_and_retries_walls(case, server, shared):
    live, wall = Target(server.base + "/CruceSeguroUSA.Oficial", "facebook"), Target(server.base + "/groups/privado", "facebook")
    capture(shared, case, [live, wall])
    with open_case(case) as opened:
        todo, skipped = pending(opened, [live, wall, live])
        assert (todo, skipped) == ([wall], 1)
        again, none_skipped = pending(opened, [live, wall], again=True)
        assert (again, none_skipped) == ([live, wall], 0)
    capture(shared, case, todo)
    with open_case(case) as opened:
        counts = dict(opened.db.execute("SELECT path, count(*) FROM source GROUP BY path").fetchall())
    assert counts == {live.url: 1, wall.url: 2}  # a new capture of the wall, none of the live page


@pytest.mark.slow
def test_walls_in_a_row_pause_the_host_and_leave_its_urls_for_the_next_run(case, server, shared):
    targets = [Target(f"{server.base}/groups/privado?n={n}", "facebook") for n in range(4)]
    stats = capture(shared, case, targets, wall_streak=2, tagger=False)
    assert (stats.captured, stats.paused) == (2, 2)
    assert stats.paused_hosts == {server.base.split("//")[1]: "login_required"}
    with open_case(case) as opened:
        todo, _ = pending(opened, targets)
    assert len(todo) == 4  # walls say nothing: every URL is tried again next time


@pytest.mark.slow
def test_a_failed_load_stores_nothing(case, shared):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stats = capture(shared, case, [Target(f"http://127.0.0.1:{port}/CruceSeguroUSA.Oficial", "facebook")])
    assert (stats.captured, stats.failed) == (0, 1) and stats.counts == {"connect-error": 1}
    with open_case(case) as opened:
        assert opened.db.execute("SELECT count(*) FROM source").fetchone()[0] == 0
    assert list((case / "evidence").rglob("*.gz")) == []


def test_url_lists_give_targets_and_name_their_bad_lines(tmp_path):
    listed = tmp_path / "urls.csv"
    listed.write_text("url,platform\nhttps://www.facebook.com/CruceSeguroUSA.Oficial,\n"
                      "file:///etc/passwd,facebook\nwww.facebook.com/groups/viajesnorte,facebook\n")
    targets, problems = targets_from_file(listed, None)
    assert targets == [Target("https://www.facebook.com/CruceSeguroUSA.Oficial", None),
                       Target("https://www.facebook.com/groups/viajesnorte", "facebook")]
    assert len(problems) == 1 and f"{listed}:3" in problems[0] and "not a web address" in problems[0]


@pytest.mark.slow
def test_capture_command_end_to_end(case, server, invoke, tmp_path):
    require_browser()
    allow_local_hosts(case)  # the server is on 127.0.0.1 (tests/test_browser_addresses.py: refused by default)
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# captured on a local mirror\n{server.base}/groups/viajesnorte\n")
    result = invoke("capture", case, f"{server.base}/CruceSeguroUSA.Oficial", "--from", listed, "--platform",
                    "facebook", "--interval", "0", "--settle", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.stdout)
    assert sorted((row["outcome"], row["status"]) for row in rows) == [("captured", "available"), ("captured", "unavailable")]
    assert "No browser profile at" in result.stderr  # nobody logged in: captured logged out, and said so
    assert "2 captured, 0 failed" in result.stderr
    again = invoke("capture", case, f"{server.base}/CruceSeguroUSA.Oficial", "--platform", "facebook")
    assert again.exit_code == 0 and "1 URL(s) captured before with a known state are skipped" in again.stderr
    verify = invoke("verify", case)
    assert verify.exit_code == 0 and "intact" in verify.stdout
    shown = invoke("show", case, "1", "--format", "json")
    assert shown.exit_code == 0, shown.output
    (captured,) = [e for e in orjson.loads(shown.stdout)["events"] if e["event"] == "capture"]
    files = {a["role"]: a for a in captured["attachments"]}
    assert set(files) == {"screenshot", "mhtml"} and (files["screenshot"]["width"], files["screenshot"]["height"]) == (1280, 900)
    assert (case / files["screenshot"]["path"]).is_file() and files["screenshot"]["path"].startswith("evidence/")
    table = invoke("show", case, "1", "--format", "csv")
    assert f"screenshot {files['screenshot']['path']} (1280x900 PNG)" in table.stdout


def test_capture_refuses_what_is_not_a_web_page(case, invoke):
    result = invoke("capture", case, "file:///etc/passwd")
    assert result.exit_code == 1 and "not a web address" in result.stderr
    result = invoke("capture", case)
    assert result.exit_code == 2 and "no URL to capture" in result.stderr
    result = invoke("capture", case, "https://www.facebook.com/x", "--platform", "myspace")
    assert result.exit_code == 2 and "unknown platform" in result.stderr


@pytest.mark.slow
def test_a_capture_is_kept_even_where_exports_are_not(case, server, shared):
    config = case / "case.toml"
    config.write_text(config.read_text().replace("keep_evidence = true", "keep_evidence = false"))
    stats = capture(shared, case, [Target(server.base + "/CruceSeguroUSA.Oficial", "facebook")], tagger=False)
    assert stats.captured == 1
    with open_case(case) as opened:
        (source,) = opened.db.execute("SELECT evidence FROM source").fetchall()
        assert source["evidence"] and split_capture(opened.read_evidence(source["evidence"]))[0]["http_status"] == 200
        assert verify_case(opened).problems == []
