"""Crash safety of the other writers: `review --import`, `recheck --live` and `report`.

Each is SIGKILLed at random points (TOOLKIT_CRASH_ITERATIONS kills per command, default 3), then
finished. Afterwards the case verifies, nothing is duplicated, nothing committed is missing, and
the meaningful rows (not ids or timestamps) equal those of an uninterrupted run on a copy of the
same case. A full disk (RLIMIT_FSIZE) during a live recheck or a report fails with a clear
message and leaves no corruption and no half-written report.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item
from review_data import add_item as add_candidate
from test_crash import _cmd, _env, _limit_file_size

from toolkit.case import init_case, open_case
from toolkit.custody import verify_case

# Crash tests kill whole commands at random points, several times each: slow by nature.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ITERATIONS = int(os.environ.get("TOOLKIT_CRASH_ITERATIONS", "3"))
REPORT_FILES = {"audience.csv", "clusters.csv", "items.csv", "items.json", "report.html", "report.json",
                "report.md", "splits.csv", "stamp.json", "survival.csv", "waves.csv"}


def _rows(case: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _integrity(case: Path) -> str:
    return _rows(case, "PRAGMA integrity_check")[0][0]


def _intact(case: Path) -> None:
    with open_case(case) as opened:
        result = verify_case(opened)
    assert result.problems == []


def _kill_after(args: list, delay: float) -> int | None:
    """Start a command, SIGKILL it after `delay` seconds; its exit code if it finished first."""
    process = subprocess.Popen(_cmd(*args), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None


def _timed(args: list) -> float:
    started = time.monotonic()
    result = subprocess.run(_cmd(*args), env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


# review --import ---------------------------------------------------------------------------------

REVIEWS = ("SELECT i.key, r.verdict, r.category, r.reviewer, r.note, r.reviewed_at, r.origin"
           " FROM review r JOIN item i ON i.id = r.item_id ORDER BY 1, 7")


def _review_case(root: Path, items: int) -> Path:
    case = init_case(root)
    case.db.execute("BEGIN")
    for n in range(items):
        add_candidate(case.db, f"cruce.seguro.{n}", name=f"Cruce seguro {n}", text="Cruce seguro a USA, pago al llegar",
                      score=5.0 + n % 5, category="smuggling_offer", terms=("pago al llegar",))
    case.db.execute("COMMIT")
    case.close()
    sheet = root.parent / "sheet.csv"
    verdicts = ("violating", "not_violating", "unsure")
    with open(sheet, "w", encoding="utf-8") as out:
        out.write("item_id,verdict,category,note,reviewed_at\n")
        for n in range(items):
            out.write(f"{n + 1},{verdicts[n % 3]},{'smuggling_offer' if n % 3 == 0 else ''},"
                      f"nota {n},2021-04-{10 + n % 5}T12:00:00Z\n")
    return root


def test_review_import_killed_at_random_points_then_finished_equals_clean_run(tmp_path):
    rng = random.Random(20210417)
    items = 6_000
    clean = _review_case(tmp_path / "clean", items)
    crashed = tmp_path / "crashed"
    shutil.copytree(clean, crashed)
    sheet = tmp_path / "sheet.csv"
    took = _timed(["review", clean, "--import", sheet, "--reviewer", "ana"])
    for _ in range(ITERATIONS):
        _kill_after(["review", crashed, "--import", sheet, "--reviewer", "ana"], rng.uniform(0.4 * took, 1.1 * took))
        assert _integrity(crashed) == "ok"
        # One transaction: a kill keeps all of the sheet or none of it, and never twice.
        assert len(_rows(crashed, REVIEWS)) in (0, items)
    result = subprocess.run(_cmd("review", crashed, "--import", sheet, "--reviewer", "ana"), env=_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _rows(crashed, REVIEWS) == _rows(clean, REVIEWS)
    assert len(_rows(crashed, REVIEWS)) == items
    # Importing the same sheet again applies nothing: each row's origin is recorded.
    again = subprocess.run(_cmd("review", crashed, "--import", sheet, "--reviewer", "ana"), env=_env(),
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"0 verdicts applied as ana, {items:,} already applied".replace(",", "") in again.stderr.replace(",", "")
    assert len(_rows(crashed, REVIEWS)) == items
    _intact(crashed)


# recheck --live ----------------------------------------------------------------------------------

PATHS = ("/fb/live", "/fb/unavailable-es", "/gone404", "/web/live", "/fb/login-content", "/gone410")
CHECKS = ("SELECT i.url, w.name, c.method, c.status, c.reason, c.http_status, c.final_url, c.evidence_sha256,"
          " c.detector FROM \"check\" c JOIN item i ON i.id = c.item_id JOIN wave w ON w.id = c.wave_id ORDER BY 1")
LIVE_CAPTURES = ("SELECT i.url, c.name, c.status FROM capture c JOIN item i ON i.id = c.item_id"
                 " WHERE c.source_id IS NULL ORDER BY 1")


def _recheck_case(root: Path, server: RecheckServer, items: int) -> Path:
    init_case(root).close()
    for n in range(items):
        path = PATHS[n % len(PATHS)]
        add_item(root, "generic" if path in {"/gone404", "/web/live"} else "facebook",
                 f"{server.base(n % len(server.servers))}{path}?n={n}")
    return root


def _recheck(case: Path) -> list:
    return ["recheck", case, "--live", "--all", "--wave", "w1", "--interval", "0.01", "--concurrency", "3",
            "--retries", "0", "--quiet"]


def _duplicates(case: Path) -> list[tuple]:
    return _rows(case, 'SELECT item_id, count(*) FROM "check" GROUP BY item_id, wave_id, method HAVING count(*) > 1')


def test_live_recheck_killed_at_random_points_then_finished_equals_clean_run(tmp_path):
    rng = random.Random(20210418)
    items = 240
    with RecheckServer(hosts=3) as server:
        clean = _recheck_case(tmp_path / "clean", server, items)
        crashed = tmp_path / "crashed"
        shutil.copytree(clean, crashed)
        _timed(_recheck(clean))
        for _ in range(ITERATIONS):
            before = len(server.requests())
            already = {row[0] for row in _rows(crashed, CHECKS)}
            remaining = items - len(already)
            if remaining <= 1:
                break
            # Kill once the server has answered a random number of this run's requests.
            target = before + rng.randint(1, remaining - 1)
            process = subprocess.Popen(_cmd(*_recheck(crashed)), env=_env(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while len(server.requests()) < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            process.send_signal(signal.SIGKILL)
            process.wait()
            assert _integrity(crashed) == "ok"
            assert _duplicates(crashed) == []
            # Items checked before this run were not fetched again.
            fetched_again = {r.path for r in server.requests()[before:]}
            assert not {url.split("/", 3)[3] for url in already} & {p.lstrip("/") for p in fetched_again}
        result = subprocess.run(_cmd(*_recheck(crashed)), env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _duplicates(crashed) == []
    # Hosts differ between the two copies only by port, which the URLs carry: compare per path.
    def by_path(rows):
        return sorted((r[0].split("/", 3)[3], *r[1:]) for r in rows)

    assert by_path(_rows(crashed, CHECKS)) == by_path(_rows(clean, CHECKS))
    assert len(_rows(crashed, CHECKS)) == items
    assert by_path(_rows(crashed, LIVE_CAPTURES)) == by_path(_rows(clean, LIVE_CAPTURES))
    _intact(crashed)
    assert not (crashed / ".recheck.lock").exists()


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_during_live_recheck_fails_clearly_and_resumes(tmp_path):
    items = 240
    with RecheckServer(hosts=3) as server:
        case = _recheck_case(tmp_path / "case", server, items)
        limit = (case / "case.db").stat().st_size + 96 * 1024
        result = subprocess.run(_cmd(*_recheck(case)), env=_env(), capture_output=True, text=True,
                                preexec_fn=_limit_file_size(limit))
        assert result.returncode == 1, result.stderr
        assert "the disk is full (or a file size limit was reached)" in result.stderr
        assert "Traceback" not in result.stderr
        assert _integrity(case) == "ok"
        assert _duplicates(case) == []
        kept = len(_rows(case, CHECKS))
        assert kept < items
        _intact(case)
        again = subprocess.run(_cmd(*_recheck(case)), env=_env(), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(_rows(case, CHECKS)) == items
    assert _duplicates(case) == []
    _intact(case)


# report ------------------------------------------------------------------------------------------

def _report_case(root: Path, items: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from report_bench import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    generate(root, items, 2, screenshots=False)  # the bench writes no screenshot files: this case must verify
    conn = sqlite3.connect(root / "case.db")
    with conn:  # one redaction salt for both copies, so redacted reports compare byte for byte
        conn.execute("INSERT INTO meta(key, value) VALUES ('report_redaction_salt', '00112233445566778899aabbccddeeff')")
    conn.close()
    open_case(root).close()  # seal the generated rows once, so both copies share one custody log
    return root


def _report(case: Path) -> list:
    return ["report", case, "--as-of", "2021-05-01", "--redact", "--quiet"]


def _folders(case: Path) -> list[Path]:
    reports = case / "reports"
    return sorted(reports.iterdir()) if reports.is_dir() else []


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_report_killed_at_random_points_leaves_no_half_written_folder(tmp_path):
    rng = random.Random(20210419)
    clean = _report_case(tmp_path / "clean", 1_500)
    crashed = tmp_path / "crashed"
    shutil.copytree(clean, crashed)
    took = _timed(_report(clean))
    [reference] = _folders(clean)
    expected = _contents(reference)
    assert set(expected) == REPORT_FILES
    for _ in range(ITERATIONS):
        _kill_after(_report(crashed), rng.uniform(0.3 * took, 1.05 * took))
        assert _integrity(crashed) == "ok"
        for folder in _folders(crashed):
            if folder.name.startswith("."):
                assert ".staging-" in folder.name  # a killed run's hidden staging, never a visible folder
                continue
            assert _contents(folder) == expected, folder  # complete and right, or absent
    assert subprocess.run(_cmd(*_report(crashed)), env=_env()).returncode == 0
    visible = [f for f in _folders(crashed) if not f.name.startswith(".")]
    assert visible and all(_contents(f) == expected for f in visible)
    assert [f for f in _folders(crashed) if f.name.startswith(".")] == []  # leftovers of killed runs removed
    _intact(crashed)


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_during_report_fails_clearly_and_writes_nothing(tmp_path):
    case = _report_case(tmp_path / "case", 1_500)
    # Room for the database's own writes, not for the report's larger files.
    result = subprocess.run(_cmd(*_report(case)), env=_env(), capture_output=True, text=True,
                            preexec_fn=_limit_file_size(200 * 1024))
    assert result.returncode == 1, result.stderr
    assert "the disk is full (or a file size limit was reached)" in result.stderr
    assert "Traceback" not in result.stderr
    assert _folders(case) == []  # no report folder, no staging folder
    assert _integrity(case) == "ok"
    _intact(case)
    assert subprocess.run(_cmd(*_report(case)), env=_env()).returncode == 0
    [folder] = _folders(case)
    assert set(_contents(folder)) == REPORT_FILES
