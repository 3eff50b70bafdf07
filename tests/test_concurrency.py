"""Two commands writing one case: the second waits and says so, or refuses clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold(case: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(case / "case.db"), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _toolkit(*args, wait: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOOLKIT_LOCK_WAIT": str(wait), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("https://www.facebook.com/CruceSeguroUSA\n")
    return path


def test_second_writer_waits_then_goes_on(case, export):
    holder = _hold(case, 1.5)
    started = time.monotonic()
    result = _toolkit("scan", case, export, wait=30)
    holder.wait(timeout=30)
    holder.stdout.close()
    assert result.returncode == 0, result.stderr
    assert "Waiting: another toolkit command is writing to this case" in result.stderr
    assert "1 new items" in result.stderr
    assert time.monotonic() - started >= 1.0


def test_second_writer_refuses_clearly_after_its_wait(case, export):
    holder = _hold(case, 5)
    try:
        result = _toolkit("scan", case, export, wait=0.5)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert result.returncode == 1
    assert "another toolkit command has been writing to this case for more than 0.5 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert "database is locked" not in result.stderr
