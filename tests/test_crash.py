"""Crash safety: SIGKILL at random points, and a full disk, never corrupt or half-write a case.

The randomised kill test runs TOOLKIT_CRASH_ITERATIONS kills per command (default 4; set it
higher for a long soak). Afterwards the case verifies, nothing is duplicated or missing, and the
result equals an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolkit.case import open_case
from toolkit.custody import verify_case

# Crash tests kill whole commands at random points, several times each: slow by nature.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ITERATIONS = int(os.environ.get("TOOLKIT_CRASH_ITERATIONS", "4"))


def _cmd(*args) -> list[str]:
    return [sys.executable, "-m", "toolkit", *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _state(case: Path) -> dict:
    """What must be equal between an interrupted-then-finished run and a clean one."""
    conn = sqlite3.connect(case / "case.db")
    try:
        return {
            "sources": conn.execute("SELECT sha256, records_read, records_mapped, captures FROM source ORDER BY sha256").fetchall(),
            "items": conn.execute("SELECT platform, kind, key FROM item ORDER BY 1, 2, 3").fetchall(),
            "captures": conn.execute(
                "SELECT i.platform, i.kind, i.key, count(*) FROM capture c JOIN item i ON i.id = c.item_id"
                " GROUP BY c.item_id ORDER BY 1, 2, 3").fetchall(),
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
        }
    finally:
        conn.close()


def _url_list(path: Path, count: int) -> Path:
    with open(path, "w") as out:
        for n in range(count):
            out.write(f"https://www.facebook.com/groups/{100000 + n}/posts/{900000 + n}/\n")
    return path


def _run_killed(args: list[str], delay: float) -> None:
    process = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_scan_killed_at_random_points_then_finished_equals_clean_run(tmp_path, invoke):
    rng = random.Random(20210416)
    exports = tmp_path / "exports"
    exports.mkdir()
    for n in range(3):
        _url_list(exports / f"urls-{n}.txt", 8_000 + n)
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    for case in (clean, crashed):
        assert invoke("init", case).exit_code == 0
    assert subprocess.run(_cmd("scan", clean, exports, "--quiet"), env=_env()).returncode == 0
    for _ in range(ITERATIONS):
        _run_killed(_cmd("scan", crashed, exports, "--quiet"), rng.uniform(0.3, 1.5))
        assert _state(crashed)["integrity"] == "ok"
    result = subprocess.run(_cmd("scan", crashed, exports, "--quiet"), env=_env())
    assert result.returncode == 0
    assert _state(crashed) == _state(clean)
    with open_case(crashed) as opened:
        report = verify_case(opened)
    assert report.problems == []


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_fails_clearly_and_leaves_no_corruption(case, tmp_path):
    export = _url_list(tmp_path / "urls.txt", 20_000)
    result = subprocess.run(_cmd("scan", case, export), env=_env(), capture_output=True, text=True,
                            preexec_fn=_limit_file_size(256 * 1024))
    assert result.returncode == 1
    assert "the disk is full (or a file size limit was reached)" in result.stderr
    assert "Traceback" not in result.stderr
    state = _state(case)
    assert state["integrity"] == "ok"
    assert state["sources"] == []
    result = subprocess.run(_cmd("scan", case, export, "--quiet"), env=_env())
    assert result.returncode == 0
    assert len(_state(case)["items"]) == 40_000
