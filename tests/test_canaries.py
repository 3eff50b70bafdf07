"""Canaries: a live wave against the local server whose canary turns into a login wall half-way
records the checks next to the failed rounds as blind, and the report leaves them out of the rates
with the reason shown; with healthy canaries the report's findings are those of a run without them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.recheck.canary import Canary, CanaryGuard, CanaryReading, declared, every
from toolkit.recheck.fetch import FetchOptions
from toolkit.recheck.live import run_live
from toolkit.store.checks import open_wave, tracked_items
from toolkit.store.status import check_judgements, wave_statuses

ITEMS = 12
EVERY = 4
WALL_AFTER = 6  # the canary shows a login wall once this many items were checked


def options() -> FetchOptions:
    return FetchOptions(per_host_interval=0.02, per_host_concurrency=1, concurrency=2, connect_timeout=1.0,
                        read_timeout=1.0, retries=0, backoff=0.01, allow_private_hosts=True)  # the server is local


@pytest.fixture
def server():
    with RecheckServer(hosts=2) as srv:
        yield srv


def _cohort(case: Path, server: RecheckServer) -> list[int]:
    """Twelve Facebook pages on one host, alternately live and gone, all confirmed and noticed."""
    ids = []
    for n in range(ITEMS):
        path = f"/fb/live/{n}" if n % 2 == 0 else f"/fb/unavailable-es?n={n}"
        ids.append(add_item(case, "facebook", server.base(0) + path))
    conn = sqlite3.connect(case / "case.db")
    with conn:
        for item in ids:
            conn.execute("INSERT INTO review (item_id, verdict, category, reviewer, reviewed_at) VALUES"
                         " (?, 'violating', 'smuggling_offer', 'ana', '2021-04-12T00:00:00Z')", (item,))
            conn.execute("INSERT INTO notice (item_id, noticed_at, channel, recorded_at) VALUES"
                         " (?, '2021-04-16T00:00:00Z', 'platform_request', '2021-04-16T00:00:00Z')", (item,))
    conn.close()
    return ids


def _declare(invoke, case: Path, server: RecheckServer) -> str:
    url = server.base(1) + "/canary/main"
    result = invoke("canary", "add", case, url, "--platform", "facebook")
    assert result.exit_code == 0, result.output
    again = invoke("canary", "add", case, url, "--platform", "facebook")
    assert "Already declared" in again.stderr
    config = case / "case.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("every = 100", f"every = {EVERY}"), encoding="utf-8")
    return url


def _live_wave(case: Path, server: RecheckServer, wall_after: int | None):
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        items = tracked_items(opened.db)

        def on_check(update) -> None:
            if wall_after is not None and update.done >= wall_after:
                server.canary_wall = True  # the checker was logged out half-way through

        stats = run_live(opened, wave, items, options(), on_check=on_check, canaries=declared(opened.config),
                         canary_every=every(opened.config))
    return wave, stats


def test_checks_next_to_a_failed_canary_round_are_blind_and_left_out_of_the_rates(case, server, invoke, tmp_path):
    ids = _cohort(case, server)
    canary = _declare(invoke, case, server)
    wave, stats = _live_wave(case, server, WALL_AFTER)

    # Rounds before the first check, after every 4 and after the last: the third and fourth read the wall.
    assert [list(r.blind) for r in stats.rounds] == [[], [], ["facebook"], ["facebook"]]
    assert len(server.requests(path="/canary/main")) == 4
    with open_case(case) as opened:
        judged = check_judgements(opened.db, ids)
        checks = {row["item_id"]: dict(row) for row in opened.db.execute('SELECT * FROM "check" WHERE wave_id = ?', (wave,))}
        decided = {r.item_id: r for r in wave_statuses(opened.db, wave_id=wave)}
    blind = {item for item in ids if judged[checks[item]["id"]][1]}
    # Checks 5-8 lie between a good round and the first failed one, 9-12 after it: all blind.
    assert blind == set(ids[EVERY:])
    # Recorded with the status observed, but counted as unknown.
    assert {checks[i]["status"] for i in ids[EVERY:]} == {"available", "unavailable"}
    assert all(decided[i].family == "unknown" and canary in decided[i].blind for i in ids[EVERY:])
    assert "login_required (login-wall)" in decided[ids[-1]].blind
    assert all(decided[i].blind is None and decided[i].family in {"live", "gone"} for i in ids[:EVERY])

    result = invoke("waves", case)
    assert result.exit_code == 0, result.output
    assert f"Wave w1: {ITEMS - EVERY} check(s) blind, counted as unknown: facebook canary {canary} read login_required" \
        in " ".join(result.stderr.split())

    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2099-01-01", "-o", out, "--format", "md,json")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text())
    counts = data["waves"][0]
    # Only the four checks made while the canary read live count: 2 live, 2 gone; 8 unknown (blind).
    assert (counts["live"], counts["gone"], counts["unknown"]) == (2, 2, ITEMS - EVERY)
    assert counts["statuses"]["blind"] == ITEMS - EVERY
    markdown = (out / "report.md").read_text()
    assert "w1: blind 8" in markdown
    assert f"Wave w1: 8 checks blind, counted as unknown (facebook canary {canary} read login_required" in markdown
    # The methodology lists the canary and its readings.
    methodology = markdown.split("### Canaries", 1)[1].split("###", 1)[0]
    assert canary in methodology and "available x2, login_required (login-wall) x2" in methodology
    # Canaries never enter the cohort.
    assert data["cohort"] == ITEMS


def _findings(folder: Path) -> dict[str, bytes]:
    """Every finding of a report: the Markdown up to its methodology, the JSON statistics and appendix, the CSVs."""
    files = {name: (folder / name).read_bytes() for name in
             ("report.json", "items.json", "items.csv", "waves.csv", "splits.csv", "survival.csv", "audience.csv",
              "clusters.csv")}
    files["report.md"] = (folder / "report.md").read_bytes().split(b"## Methodology", 1)[0]
    return files


def test_healthy_canaries_change_no_finding(case, server, invoke, tmp_path):
    _cohort(case, server)
    _declare(invoke, case, server)
    _live_wave(case, server, None)
    with open_case(case) as opened:
        assert {r["status"] for r in opened.db.execute("SELECT status FROM canary_check")} == {"available"}
    # The same case without the canary feature: its readings gone, nothing declared.
    bare = tmp_path / "bare"
    shutil.copytree(case, bare)
    conn = sqlite3.connect(bare / "case.db")
    with conn:
        conn.execute("DELETE FROM canary_check")
    conn.close()
    config = bare / "case.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("[canary]")], encoding="utf-8")
    for folder, out in ((case, tmp_path / "with"), (bare, tmp_path / "without")):
        result = invoke("report", folder, "--as-of", "2099-01-01", "-o", out)
        assert result.exit_code == 0, result.output
    assert _findings(tmp_path / "with") == _findings(tmp_path / "without")
    assert b"No canary was read" in (tmp_path / "without" / "report.md").read_bytes()


def test_a_saved_canary_page_that_shows_a_wall_blinds_that_export_run(case, invoke, tmp_path):
    """Rechecks from saved pages: the canary's own saved page is the run's round."""
    fixtures = Path(__file__).parent / "fixtures" / "singlefile"
    result = invoke("scan", case, fixtures / "page_cruce_seguro.html")
    assert result.exit_code == 0, result.output
    item = json.loads(invoke("items", case, "--format", "json").stdout)[0]["id"]
    assert invoke("review", case, "--import", _sheet(tmp_path, item), "--reviewer", "ana").exit_code == 0
    # The canary is the group whose saved page (saved that day) shows a login wall.
    assert invoke("canary", "add", case, "https://www.facebook.com/groups/viajesnorte2021/",
                  "--platform", "facebook").exit_code == 0
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(fixtures / "page_cruce_seguro_unavailable.html", later)
    shutil.copy(fixtures / "group_login_wall.html", later)
    result = invoke("recheck", case, "--wave", "w2", later)
    assert result.exit_code == 0, result.output
    assert "this run's facebook checks are blind" in " ".join(result.stderr.split())
    shown = json.loads(invoke("show", case, str(item), "--format", "json").stdout)
    assert shown["waves"][0]["status"] == "unavailable" and shown["waves"][0]["family"] == "unknown"
    assert "login_required" in shown["waves"][0]["blind"]
    listed = invoke("canary", "list", case, "--format", "json")
    assert [r["status"] for r in json.loads(listed.stdout)] == ["login_required"]


def _sheet(tmp_path: Path, item: int) -> Path:
    sheet = tmp_path / "verdicts.csv"
    sheet.write_text(f"item_id,verdict,category\n{item},violating,smuggling_offer\n", encoding="utf-8")
    return sheet


def test_the_guard_takes_any_way_of_looking(case):
    """CanaryGuard is method-agnostic: a plain function observing one URL is enough."""
    seen = []

    def observe(canary: Canary) -> CanaryReading:
        seen.append(canary.url)
        return CanaryReading("login_required", "2021-05-17T10:00:00Z", reason="login-wall")

    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "manual")
        guard = CanaryGuard(opened, wave, "manual", [Canary("facebook", "https://www.facebook.com/x")], observe, every=2)
        import asyncio

        result = asyncio.run(guard.round())
        rows = opened.db.execute("SELECT method, round, after_check, status FROM canary_check").fetchall()
    assert seen == ["https://www.facebook.com/x"]
    assert result.blind == {"facebook": "facebook canary https://www.facebook.com/x read login_required (login-wall) "
                                        "at 2021-05-17T10:00:00Z"}
    assert [tuple(r) for r in rows] == [("manual", 1, 0, "login_required")]
    assert guard.due(2) and not guard.due(1)
