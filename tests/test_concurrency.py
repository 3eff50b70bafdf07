"""Two commands writing one case: the second waits and says so, or refuses clearly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item

from toolkit.case import open_case
from toolkit.custody import verify_case

ROOT = Path(__file__).resolve().parent.parent

# Another process holding the case's write lock until the test releases it (a line on its stdin,
# or its stdin closed): the test decides when, from what the waiting command says, not a timer that
# a loaded machine can outrun.
HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""
WAITING = "Waiting: another toolkit command is writing to this case"


def _hold(case: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(case / "case.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(timeout=30)
    holder.stdout.close()


class _Lines:
    """A process's stderr read line by line in a thread, so a test can wait for a given line."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        with stream:
            for line in stream:
                with self.changed:
                    self.lines.append(line)
                    self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # end of output
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether a line holding `text` came within `timeout` seconds (False at end of output)."""
        with self.changed:
            return self.changed.wait_for(lambda: any(text in line for line in self.lines) or "" in self.lines,
                                         timeout) and any(text in line for line in self.lines)

    def text(self) -> str:
        self.thread.join(timeout=60)
        return "".join(self.lines)


def _start(*args, wait: float) -> subprocess.Popen:
    env = {**os.environ, "TOOLKIT_LOCK_WAIT": str(wait), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "toolkit", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _toolkit(*args, wait: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOOLKIT_LOCK_WAIT": str(wait), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "toolkit", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("https://www.facebook.com/CruceSeguroUSA\n")
    return path


@pytest.mark.slow
def test_second_writer_waits_then_goes_on(case, export):
    holder = _hold(case)
    process = _start("scan", case, export, wait=120)
    stderr = _Lines(process)
    try:
        said = stderr.wait_for(WAITING, timeout=120)
        time.sleep(1.0)
        waited = process.poll() is None  # still waiting a second later, neither failed nor done
    finally:
        _release(holder)
    process.wait(timeout=120)
    process.stdout.close()
    output = stderr.text()
    assert said, output
    assert waited, output
    assert process.returncode == 0, output
    assert "1 new items" in output


@pytest.mark.slow
def test_second_writer_refuses_clearly_after_its_wait(case, export):
    holder = _hold(case)
    try:
        result = _toolkit("scan", case, export, wait=0.5)
    finally:
        _release(holder)
    assert result.returncode == 1
    assert "another toolkit command has been writing to this case for more than 0.5 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert "database is locked" not in result.stderr


def _recheck_items(case: Path, server: RecheckServer, count: int) -> list[int]:
    paths = ("/fb/live", "/fb/unavailable-es", "/gone404", "/web/live")
    return [add_item(case, "generic" if p in {"/gone404", "/web/live"} else "facebook", f"{server.base(n % 2)}{p}?n={n}")
            for n, p in enumerate(paths[n % len(paths)] for n in range(count))]


def _recheck_args(case: Path, interval: float = 0.02) -> list:
    return ["recheck", case, "--live", "--all", "--wave", "w1", "--interval", str(interval), "--retries", "0"]


@pytest.mark.slow
def test_live_recheck_waits_for_another_writer_mid_run_and_says_so(case):
    """Another command takes the write lock while a live recheck is storing checks and evidence:
    the recheck waits (saying so) and goes on; nothing fails with "database is locked"."""
    with RecheckServer(hosts=2) as server:
        ids = _recheck_items(case, server, 40)
        process = _start(*_recheck_args(case, interval=0.1), wait=120)
        stderr = _Lines(process)
        deadline = time.monotonic() + 120
        while not server.requests() and time.monotonic() < deadline:
            time.sleep(0.01)
        holder = _hold(case)
        try:  # held until the recheck, trying to store a check, says it waits
            said = stderr.wait_for(WAITING, timeout=120)
        finally:
            _release(holder)
        process.wait(timeout=120)
        process.stdout.close()
        stderr = stderr.text()
    assert said, stderr
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "database is locked" not in stderr
    conn = sqlite3.connect(case / "case.db")
    checked = [r[0] for r in conn.execute('SELECT item_id FROM "check" ORDER BY item_id')]
    conn.close()
    assert checked == ids


@pytest.mark.slow
def test_recheck_scan_and_review_import_at_once_never_fail_on_the_lock(case, tmp_path):
    """Three real writers on one case at the same time: each finishes, none sees the lock."""
    export = tmp_path / "urls.txt"
    # One scan transaction long enough for the others to meet its lock.
    export.write_text("".join(f"https://www.facebook.com/groups/{200000 + n}/\n" for n in range(30_000)))
    with RecheckServer(hosts=2) as server:
        ids = _recheck_items(case, server, 60)
        sheet = tmp_path / "sheet.csv"
        sheet.write_text("item_id,verdict,reviewed_at\n"
                         + "".join(f"{i},violating,2021-04-12T12:00:00Z\n" for i in ids), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        commands = {
            "scan": ["scan", case, export],
            "recheck": _recheck_args(case),
            "review": ["review", case, "--import", sheet, "--reviewer", "ana"],
        }
        running = {name: subprocess.Popen([sys.executable, "-m", "toolkit", *map(str, args)], env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for name, args in commands.items()}
        results = {name: (process.communicate(timeout=300), process.returncode) for name, process in running.items()}
    for name, ((_, stderr), code) in results.items():
        assert code == 0, (name, stderr)
        assert "Traceback" not in stderr and "locked" not in stderr.lower(), (name, stderr)
    conn = sqlite3.connect(case / "case.db")
    try:
        assert conn.execute('SELECT count(DISTINCT item_id), count(*) FROM "check"').fetchone() == (len(ids), len(ids))
        assert conn.execute("SELECT count(*) FROM review WHERE reviewer = 'ana'").fetchone()[0] == len(ids)
        assert conn.execute("SELECT count(*) FROM item").fetchone()[0] == len(ids) + 30_000
    finally:
        conn.close()
    with open_case(case) as opened:
        assert verify_case(opened).problems == []
