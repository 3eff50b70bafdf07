"""Audit of canaries across the runs of one wave: a canary that fails in one run blinds that run's
stretch of checks, never the checks of a later run of the same wave, method and platform.

Before: a run's last stretch had no upper end and checks did not record their run, so a canary
that failed at the end of run 1 (a live run's closing round, an export run's saved canary page)
blinded every later check of the wave for that method and platform: run 2's good readings were
counted as unknown. `waves`, `items` and the report read one status rule (toolkit/store/status.py)
and must agree on every item.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from _har import har as _har
from _recheck_server import FB_LIVE, FB_LOGIN, FB_UNAVAILABLE_ES, RecheckServer, add_item

PAGE_A = "https://www.facebook.com/CruceSeguroUSA.Oficial"
PAGE_B = "https://www.facebook.com/ViajesNorteMX"
CANARY = "https://www.facebook.com/SomeBigPublicPage"


def _live_page(url: str, name: str, number: int) -> str:
    """A public Facebook page as saved logged out: FB_LIVE (modelled on a genuine saved page) with
    this page's own og:url, name and numeric id."""
    return (FB_LIVE.replace("https://www.facebook.com/CruceSeguroUSA.Oficial", url)
            .replace("Cruce Seguro USA", name).replace("100064000000101", str(100064000000100 + number)))


def _confirm_all(case: Path) -> None:
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("INSERT INTO review (item_id, verdict, category, reviewer, reviewed_at)"
                     " SELECT id, 'violating', 'smuggling_offer', 'ana', '2021-04-10T00:00:00Z' FROM item")
    conn.close()


def _ok(result) -> None:
    assert result.exit_code == 0, result.output


def _agree(invoke, case: Path, tmp_path: Path, wave: str) -> tuple[dict, dict, dict]:
    """`waves --items` (rows of `wave`), `items`, and the report (its JSON and per-item appendix), by item id."""
    waves = invoke("waves", case, "--items", "--format", "json")
    _ok(waves)
    items = invoke("items", case, "--format", "json")
    _ok(items)
    out = tmp_path / f"report-{wave}"
    _ok(invoke("report", case, "--as-of", "2099-01-01", "-o", out, "--format", "json"))
    report = json.loads((out / "report.json").read_text())
    appendix = json.loads((out / "items.json").read_text())
    by_wave = {row["item"]: row for row in json.loads(waves.stdout) if row["wave"] == wave}
    by_item = {row["id"]: row for row in json.loads(items.stdout)}
    return by_wave, by_item, {"report": report, "appendix": {row["id"]: row for row in appendix}}


# -- rechecks from exports ---------------------------------------------------------------------------

def _export_case(case: Path, invoke, tmp_path: Path) -> dict[str, int]:
    urls = tmp_path / "tracked.txt"
    urls.write_text(f"{PAGE_A}\n{PAGE_B}\n", encoding="utf-8")
    _ok(invoke("scan", case, urls))
    _confirm_all(case)
    _ok(invoke("canary", "add", case, CANARY, "--platform", "facebook"))
    rows = json.loads(invoke("items", case, "--format", "json").stdout)
    return {row["url"]: row["id"] for row in rows}  # URLs as keyed: lower case


@pytest.mark.parametrize("canary_in_run_2", [False, True], ids=["no-canary-page", "healthy-canary-page"])
def test_a_canary_wall_in_one_export_run_does_not_blind_the_next_run(case, invoke, tmp_path, canary_in_run_2):
    ids = _export_case(case, invoke, tmp_path)
    # Run 1: the researcher's browser saved A's page gone, then the canary behind a login wall.
    run_1 = _har(tmp_path / "run1.har", [(PAGE_A, "2021-05-17T10:00:00.000Z", FB_UNAVAILABLE_ES),
                                         (CANARY, "2021-05-17T10:01:00.000Z", FB_LOGIN)])
    result = invoke("recheck", case, "--wave", "w2", run_1)
    _ok(result)
    assert "this run's facebook checks are blind" in " ".join(result.stderr.split())
    # Run 2, the next day, logged in again: B's page live (and, in one variant, the canary live too).
    entries = [(PAGE_B, "2021-05-18T09:00:00.000Z", _live_page(PAGE_B, "Viajes Norte MX", 2))]
    if canary_in_run_2:
        entries.insert(0, (CANARY, "2021-05-18T08:59:00.000Z", _live_page(CANARY, "Some Big Public Page", 3)))
    _ok(invoke("recheck", case, "--wave", "w2", _har(tmp_path / "run2.har", entries)))

    a, b = ids[PAGE_A.lower()], ids[PAGE_B.lower()]
    by_wave, by_item, report = _agree(invoke, case, tmp_path, "w2")
    # Run 2's reading is judged: B is live in w2. Before: blind, unknown.
    assert by_wave[b]["status"] == "available" and by_wave[b]["state"] == "live", by_wave[b]
    assert not by_wave[b].get("blind")
    # Run 1's blinded stretch stays blind: A's gone reading counts as unknown.
    assert by_wave[a]["status"] == "unavailable" and by_wave[a]["state"] == "unknown", by_wave[a]
    # `items` and the report read the same rule.
    assert by_item[b]["status"] == "available" and by_item[a]["status"] == "unavailable"
    # ... and `items` says A's reading is blind, as waves and the report count it (before: nothing
    # told `unavailable` there from a removal).
    assert "canary" in by_item[a]["blind"] and by_item[b]["blind"] is None
    (wave,) = [w for w in report["report"]["waves"] if w["wave"] == "w2"]
    assert (wave["live"], wave["gone"], wave["unknown"]) == (1, 0, 1)
    assert wave["statuses"]["blind"] == 1
    assert (report["appendix"][a]["status"], report["appendix"][b]["status"]) == ({"w2": "blind"}, {"w2": "available"})
    shown = json.loads(invoke("show", case, str(b), "--format", "json").stdout)
    assert shown["waves"][0]["family"] == "live" and not shown["waves"][0]["blind"]


# -- live rechecks -----------------------------------------------------------------------------------

class _WallServer(RecheckServer):
    """The local server, whose canary shows a login wall once `wall_after` item pages were asked
    (the checker was logged out after its last check, before the closing round)."""

    wall_after: int | None = None

    @property
    def canary_wall(self) -> bool:  # read by the handler at each canary request
        if self.wall_after is None:
            return False
        return sum(1 for r in self.requests() if r.path.startswith("/fb/")) >= self.wall_after

    @canary_wall.setter
    def canary_wall(self, value: bool) -> None:
        pass


LIVE_FLAGS = ("--interval", "0.02", "--retries", "0", "--timeout", "1", "--connect-timeout", "1")


def test_a_live_run_whose_closing_canary_failed_does_not_blind_the_next_run(case, invoke, tmp_path):
    with _WallServer(hosts=2) as server:
        ids = [add_item(case, "facebook", server.base(0) + (f"/fb/live/{n}" if n % 2 == 0 else f"/fb/unavailable-es?n={n}"))
               for n in range(4)]
        _confirm_all(case)
        canary = server.base(1) + "/canary/main"
        _ok(invoke("canary", "add", case, canary, "--platform", "facebook"))
        # Run 1 checks the first two items; the canary reads live before them and a wall after them.
        server.wall_after = 2
        first = invoke("recheck", case, "--wave", "w1", "--item", ids[0], "--item", ids[1], *LIVE_FLAGS)
        _ok(first)
        # Run 2 (same wave, same method and platform) checks the other two, its canary live throughout.
        server.wall_after = None
        second = invoke("recheck", case, "--wave", "w1", *LIVE_FLAGS)
        _ok(second)
        assert len(server.requests(path="/canary/main")) == 4

    conn = sqlite3.connect(case / "case.db")
    rounds = conn.execute("SELECT run, round, after_check, status FROM canary_check ORDER BY id").fetchall()
    conn.close()
    assert [r[3] for r in rounds] == ["available", "login_required", "available", "available"]
    # Run 1's closing round and run 2's opening round stand at the same place among the checks.
    assert rounds[1][2] == rounds[2][2]
    by_wave, by_item, report = _agree(invoke, case, tmp_path, "w1")
    # Run 2's checks are judged (before: blind, held by run 1's unbounded last stretch).
    assert (by_wave[ids[2]]["state"], by_wave[ids[3]]["state"]) == ("live", "pending"), (by_wave[ids[2]], by_wave[ids[3]])
    # Run 1's checks lie between a good and a failed round: blind, unknown.
    assert by_wave[ids[0]]["state"] == by_wave[ids[1]]["state"] == "unknown"
    assert [by_item[i]["status"] for i in ids] == ["available", "unavailable", "available", "unavailable"]
    (wave,) = report["report"]["waves"]
    assert (wave["live"], wave["gone"], wave["unknown"]) == (1, 1, 2)
    assert wave["statuses"]["blind"] == 2
    assert [report["appendix"][i]["status"]["w1"] for i in ids] == ["blind", "blind", "available", "unavailable"]


# -- cases from before checks named their run --------------------------------------------------------

def _legacy_case(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A case written before checks recorded their run (schema before V_CHECK_RUN): export wave w2,
    whose first run read A gone and a canary page behind a login wall, and whose second run, with
    no canary page, read B live. The canary's stretch had no end then, so both readings are blind."""
    from report_builder import CaseBuilder

    from toolkit.case import open_case
    from toolkit.store import db
    from toolkit.store.schema import MIGRATIONS, V_CHECK_RUN

    b = CaseBuilder(tmp_path / "case")
    ids = {"a": b.item("crucesegurousa.oficial"), "b": b.item("viajesnortemx"), "c": b.item("pasoseguro.mx")}
    for item in ids.values():
        b.review(item)
    wave = b.wave("w2", "2021-05-17T10:00:00Z", '["export"]')
    b.check(ids["a"], "w2", "2021-05-17T10:00:00Z", "unavailable", method="export")
    b.db.execute("INSERT INTO canary_check (wave_id, method, run, round, after_check, platform, url, observed_at,"
                 " status, reason) VALUES (?, 'export', '2021-05-17T11:00:00Z/4242', 1, 0, 'facebook', ?,"
                 " '2021-05-17T10:01:00Z', 'login_required', 'login-wall')", (wave, CANARY))
    b.check(ids["b"], "w2", "2021-05-18T09:00:00Z", "available", method="export")
    case = b.close()
    conn = sqlite3.connect(case / "case.db")  # take the schema back to what it was
    conn.execute("DROP INDEX check_run")
    conn.execute('ALTER TABLE "check" DROP COLUMN run')
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(V_CHECK_RUN)}")
    conn.commit()
    conn.close()
    with pytest.MonkeyPatch.context() as patch:  # and seal the rows as the toolkit of that time did
        patch.setattr(db, "LATEST", MIGRATIONS.index(V_CHECK_RUN))
        with open_case(case):
            pass
    return case, ids


def test_a_case_from_before_runs_were_recorded_keeps_its_reading_and_its_later_runs_are_judged(tmp_path, invoke):
    from toolkit.case import open_case
    from toolkit.store.schema import LATEST

    case, ids = _legacy_case(tmp_path)
    verified = invoke("verify", case)
    assert verified.exit_code == 0 and "intact" in verified.stdout, verified.output
    before = {row["item"]: row for row in json.loads(invoke("waves", case, "--items", "--format", "json").stdout)}
    with open_case(case) as opened:  # any command upgrades the case
        assert opened.db.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert {r[0] for r in opened.db.execute('SELECT run FROM "check"')} == {None}
    # Its old runs keep the reading they had: both blind.
    assert before[ids["a"]]["state"] == before[ids["b"]]["state"] == "unknown"
    assert before[ids["b"]]["blind"]
    # A run after the upgrade (no canary page in it) is judged: C is live, A and B unchanged.
    har = _har(tmp_path / "run3.har", [("https://www.facebook.com/pasoseguro.mx", "2021-05-19T09:00:00.000Z",
                                        _live_page("https://www.facebook.com/pasoseguro.mx", "Paso Seguro", 4))])
    _ok(invoke("recheck", case, "--wave", "w2", har))
    after = {row["item"]: row for row in json.loads(invoke("waves", case, "--items", "--format", "json").stdout)}
    assert after[ids["c"]]["state"] == "live" and not after[ids["c"]]["blind"], after[ids["c"]]
    assert after[ids["a"]] == before[ids["a"]] and after[ids["b"]] == before[ids["b"]]
    verified = invoke("verify", case)
    assert verified.exit_code == 0 and "intact" in verified.stdout, verified.output


def test_a_run_written_into_a_check_behind_the_log_is_caught_by_verify(tmp_path, invoke, case):
    """`check.run` bounds the stretches canaries blind: verify covers it on checks recorded with it,
    and on checks recorded before the column existed (where it must stay NULL)."""
    from toolkit.case import open_case

    ids = _export_case(case, invoke, tmp_path)
    run_1 = _har(tmp_path / "run1.har", [(PAGE_A, "2021-05-17T10:00:00.000Z", FB_UNAVAILABLE_ES),
                                         (CANARY, "2021-05-17T10:01:00.000Z", FB_LOGIN)])
    _ok(invoke("recheck", case, "--wave", "w2", run_1))
    conn = sqlite3.connect(case / "case.db")
    (check_id, run), = conn.execute('SELECT id, run FROM "check" WHERE item_id = ?', (ids[PAGE_A.lower()],))
    assert run is not None and run == conn.execute("SELECT run FROM canary_check").fetchone()[0]
    with conn:
        conn.execute('UPDATE "check" SET run = ? WHERE id = ?', (run + "-later", check_id))
    conn.close()
    result = invoke("verify", case)
    assert result.exit_code != 0 and f"check {check_id} was changed" in " ".join(result.output.split()), result.output

    legacy, legacy_ids = _legacy_case(tmp_path / "legacy")
    with open_case(legacy):  # upgraded: its old checks gain an empty run
        pass
    conn = sqlite3.connect(legacy / "case.db")
    with conn:  # a run given to an old check would end the old canary's stretch there
        conn.execute('UPDATE "check" SET run = \'2021-05-17T11:00:00Z/4242\' WHERE item_id = ?', (legacy_ids["a"],))
    conn.close()
    result = invoke("verify", legacy)
    assert result.exit_code != 0 and "was changed after it was recorded" in " ".join(result.output.split()), result.output


def test_a_run_that_checked_nothing_ends_before_the_next_run(tmp_path):
    """An export run whose files held only the canary's page (behind a wall) checked nothing: its
    stretch ends before the next run's first check, which it must not blind."""
    from report_builder import CaseBuilder

    from toolkit.store.status import wave_statuses

    b = CaseBuilder(tmp_path / "case")
    item = b.item("viajesnortemx")
    wave = b.wave("w2", "2021-05-17T10:00:00Z", '["export"]')
    b.db.execute("INSERT INTO canary_check (wave_id, method, run, round, after_check, platform, url, observed_at,"
                 " status, reason) VALUES (?, 'export', 'run-0', 1, 0, 'facebook', ?, '2021-05-17T10:01:00Z',"
                 " 'login_required', 'login-wall')", (wave, CANARY))
    b.db.execute('INSERT INTO "check" (item_id, wave_id, observed_at, method, status, run) VALUES'
                 " (?, ?, '2021-05-18T09:00:00Z', 'export', 'available', 'run-1')", (item, wave))
    b.close()
    conn = sqlite3.connect(tmp_path / "case" / "case.db")
    (decided,) = wave_statuses(conn)
    conn.close()
    assert (decided.family, decided.blind) == ("live", None)
