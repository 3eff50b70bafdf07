"""`toolkit recheck` end to end: cohort, waves, resume, the lock, and the summary."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item

FAST = ["--interval", "0.05", "--timeout", "1", "--connect-timeout", "1", "--retries", "0"]


@pytest.fixture
def server():
    with RecheckServer(hosts=2) as srv:
        yield srv


def count_checks(case) -> int:
    conn = sqlite3.connect(case / "case.db")
    count = conn.execute('SELECT count(*) FROM "check"').fetchone()[0]
    conn.close()
    return count


def test_live_wave_summary_and_rerun(case, invoke, server):
    for path in ("/fb/live", "/fb/unavailable-es", "/gone404"):
        add_item(case, "facebook", server.base(0) + path)
    add_item(case, "generic", server.base(1) + "/web/live", kind="page")
    result = invoke("recheck", case, "--all", "--wave", "2021-05-17", *FAST, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["platform"], r["kind"], r["items"], r["available"], r["unavailable"]) for r in rows] == [
        ("facebook", "page", 3, 1, 2), ("generic", "page", 1, 1, 0)]
    assert all(r["wave"] == "2021-05-17" for r in rows)
    assert not (case / ".recheck.lock").exists()

    again = invoke("recheck", case, "--all", "--wave", "2021-05-17", *FAST)
    assert again.exit_code == 0, again.output
    assert "4 of 4 item(s) already checked (live), 0 to go" in again.stderr
    assert count_checks(case) == 4
    assert "Wave 2021-05-17" in again.stdout


def test_default_cohort_is_the_violating_items(case, invoke, server):
    first = add_item(case, "facebook", server.base(0) + "/fb/live")
    add_item(case, "facebook", server.base(0) + "/fb/unavailable-es")
    result = invoke("recheck", case, *FAST)
    assert result.exit_code == 1
    assert "no items to recheck: no item has the verdict violating" in result.output
    assert "--all" in result.output
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 'a', 'x')", (first,))
    conn.close()
    result = invoke("recheck", case, "--wave", "w1", *FAST)
    assert result.exit_code == 0, result.output
    assert count_checks(case) == 1 and len(server.requests()) == 1


def test_retry_errors_appends_a_new_check(case, invoke, server):
    add_item(case, "facebook", server.base(0) + "/always503")
    assert invoke("recheck", case, "--all", "--wave", "w1", *FAST).exit_code == 0
    assert invoke("recheck", case, "--all", "--wave", "w1", *FAST).exit_code == 0
    assert count_checks(case) == 1
    assert invoke("recheck", case, "--all", "--wave", "w1", "--retry-errors", *FAST).exit_code == 0
    assert count_checks(case) == 2


def test_a_second_recheck_is_refused_and_a_stale_lock_taken_over(case, invoke, server):
    add_item(case, "facebook", server.base(0) + "/fb/live")
    lock = case / ".recheck.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started_at": "2021-05-17T10:00:00Z"}))
    busy = invoke("recheck", case, "--all", *FAST)
    assert busy.exit_code == 1
    assert f"another recheck is running on this case (pid {os.getpid()}" in busy.output
    assert count_checks(case) == 0 and lock.exists()

    lock.write_text(json.dumps({"pid": 2**22 + 12345, "host": socket.gethostname(), "started_at": "x"}))
    taken = invoke("recheck", case, "--all", *FAST)
    assert taken.exit_code == 0, taken.output
    assert count_checks(case) == 1 and not lock.exists()


def test_modes_do_not_mix(case, invoke, tmp_path):
    result = invoke("recheck", case, tmp_path, "--manual")
    assert result.exit_code == 2
    assert "PATH and --manual are separate ways to recheck" in result.output


@pytest.mark.slow
def test_ctrl_c_mid_wave_then_the_same_command_finishes_it(case, server):
    ids = [add_item(case, "facebook", f"{server.base(0)}/interrupt/{n}") for n in range(10)]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    # One request a second: the wave lasts ~10 s, so the Ctrl-C lands mid-wave even when a loaded
    # machine (parallel test workers) leaves this process unscheduled for a few seconds.
    command = [sys.executable, "-m", "toolkit", "recheck", str(case), "--all", "--wave", "w1", "--interval", "1",
               "--retries", "0"]
    # The command must hear Ctrl-C as a terminal's user would: a suite started as a background job
    # (`.ci/run &`) passes an ignored SIGINT on to its children, and Python then installs no handler.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 20
    while count_checks(case) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stderr
    assert "Run the same command again to continue" in stderr
    assert 3 <= count_checks(case) < 10
    assert not (case / ".recheck.lock").exists()
    requested = len(server.requests())

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert finished.returncode == 0, finished.stderr
    conn = sqlite3.connect(case / "case.db")
    per_item = dict(conn.execute('SELECT item_id, count(*) FROM "check" GROUP BY item_id').fetchall())
    conn.close()
    assert per_item == dict.fromkeys(ids, 1)
    # Only what was not finished was fetched again (at most the one in flight at Ctrl-C twice).
    assert len(server.requests()) <= requested + (10 - 3)
    paths = [r.path for r in server.requests()]
    assert len(paths) - len(set(paths)) <= 1


def test_lock_waits_for_the_other_run_to_finish(tmp_path):
    import threading

    from toolkit.recheck.waves import RecheckBusy, RecheckLock

    first = RecheckLock(tmp_path)
    first.acquire()
    with pytest.raises(RecheckBusy):
        RecheckLock(tmp_path).acquire()
    timer = threading.Timer(0.3, first.release)
    timer.start()
    started = time.monotonic()
    with RecheckLock(tmp_path, wait=5, poll=0.05):
        assert time.monotonic() - started >= 0.25
        assert json.loads((tmp_path / ".recheck.lock").read_text())["pid"] == os.getpid()
    timer.join()
    assert not (tmp_path / ".recheck.lock").exists()
