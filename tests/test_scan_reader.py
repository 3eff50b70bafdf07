"""The scan's reader process (toolkit/scan/reader.py) and deferred indexes: same rows, same errors,
same guarantees as reading in the scan's own process."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from pacing import PACER

from toolkit.case import open_case
from toolkit.errors import ToolkitError
from toolkit.scan import pipeline as scan_module
from toolkit.scan.pipeline import scan_paths

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cases" / "example" / "exports"
WHEN = "2021-11-01T00:00:00Z"
HEADER = ("Page Name,User Name,Facebook Id,Page Category,Page Admin Top Country,Post Created,Type,Likes,Comments,"
          "URL,Message,Link\n")


def _crowdtangle(path: Path, posts: int, *, header: str = HEADER) -> Path:
    """A pages export of `posts` rows from 30 fictional pages, with a short row at line 3."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write(header)
        for n in range(posts):
            page = 100000111000000 + n % 30
            out.write(f'Cruce Seguro {n % 30},cruceseguro{n % 30},{page},TRAVEL_COMPANY,MX,'
                      f'2021-03-{1 + n % 28:02d} 10:{n % 60:02d}:00 EST,Photo,"{n % 7}.{n % 1000:03d}",{n % 50},'
                      f'https://www.facebook.com/{page}/posts/{5000000000000000 + n},'
                      f'"Salida semanal {n} desde Tijuana, WhatsApp +52 55 5555 {n % 10000:04d}",https://wa.me/525555550101\n')
            if n == 1:
                out.write("solo,dos\n")
    return path


def _ndjson(path: Path, records: int) -> Path:
    with open(path, "wb") as out:
        for i in range(records):
            out.write(orjson.dumps({
                "nav_index": f"1:1:{i}", "timestamp_collected": 1617019200000 + i, "source_platform": "tiktok.com",
                "data": {"id": str(6944300000000000000 + i), "desc": f"Salida numero {i} #cruce", "createTime": 1616371200,
                         "author": {"uniqueId": f"cuenta_{i % 40}", "nickname": "Cuenta", "id": str(680000 + i % 40)},
                         "stats": {"playCount": i}},
            }) + b"\n")
            if i == 10:
                out.write(b"{not json\n")
        out.write(b'{"nav_index": "1:1:x", "timestamp_coll')  # cut off mid-record
    return path


def _stored(case: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return {
            "source": conn.execute("SELECT sha256, format, collected_at, records_read, records_mapped, records_failed,"
                                   " items_new, items_seen, captures, failures, notes FROM source ORDER BY id").fetchall(),
            "item": conn.execute("SELECT id, platform, kind, key, url, name, parent_id, first_seen, last_seen,"
                                 " merged_into FROM item ORDER BY id").fetchall(),
            "capture": conn.execute("SELECT * FROM capture ORDER BY id").fetchall(),
            "alias": conn.execute("SELECT platform, kind, key, item_id, source_id FROM item_alias ORDER BY 1, 2, 3").fetchall(),
            "hit": conn.execute("SELECT * FROM hit ORDER BY id").fetchall(),
            "schema": conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall(),
        }
    finally:
        conn.close()


def _scan_both(tmp_path, invoke, monkeypatch, *paths) -> tuple[dict, dict, list[str]]:
    """Scan `paths` into two fresh cases, in this process and through a reader process."""
    outputs, stored = [], []
    for label, setting in (("local", "off"), ("process", "0")):
        case = tmp_path / label
        assert invoke("init", case).exit_code == 0
        monkeypatch.setenv("TOOLKIT_READER_PROCESS_BYTES", setting)
        result = invoke("scan", case, *map(str, paths), "--collected-at", WHEN)
        outputs.append(result.output)
        stored.append(_stored(case))
    return stored[0], stored[1], outputs


def test_reader_process_stores_the_same_rows(tmp_path, invoke, monkeypatch):
    csv = _crowdtangle(tmp_path / "paginas.csv", 5300)  # more than one batch
    ndjson = _ndjson(tmp_path / "tiktok.ndjson", 200)
    local, process, outputs = _scan_both(tmp_path, invoke, monkeypatch, EXAMPLE, csv, ndjson)
    assert local == process
    assert len(local["capture"]) > 5500 and local["hit"]  # tagged as a scan tags, through the unpacked captures
    assert outputs[0].replace(str(tmp_path / "local"), "") == outputs[1].replace(str(tmp_path / "process"), "")
    assert "1 x short-row: 2 cells for 12 columns (file cut off, or a quote left open?) (line 4)" in outputs[1]


def test_reader_process_carries_failures_notes_and_errors(tmp_path, invoke, monkeypatch):
    ndjson = _ndjson(tmp_path / "tiktok.ndjson", 50)
    broken = _crowdtangle(tmp_path / "sin-url.csv", 10, header=HEADER.replace("URL,", "Enlace,"))
    zone = tmp_path / "zona.csv"
    zone.write_text(_crowdtangle(tmp_path / "z.csv", 3).read_text(encoding="utf-8-sig").replace(" EST,", " QQT,"),
                    encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_READER_PROCESS_BYTES", "0")
    case = tmp_path / "case"
    assert invoke("init", case).exit_code == 0
    result = invoke("scan", case, ndjson, broken, zone)
    assert result.exit_code == 0, result.output
    assert f"{ndjson}: zeeschuimer, 50 records read, 50 mapped, 90 new items, 0 seen before, 100 captures, 2 failed" \
        in result.output
    assert "1 x truncated-line: the last line is cut off mid-record (the export did not finish) (line 52)" in result.output
    assert f"Error: {broken}:1: CrowdTangle Facebook CSV without the column(s) URL" in result.output
    source = _stored(case)["source"]
    assert len(source) == 2
    _, _, collected_at, read, mapped, failed, *_, failures, notes = source[0]
    assert (collected_at, read, mapped, failed, notes) == ("2021-03-29T12:00:00Z", 50, 50, 2, "[]")
    assert orjson.loads(failures) == {
        "not-json": {"count": 1, "first": "line is not JSON (unexpected character, expected a string key) (line 12)"},
        "truncated-line": {"count": 1, "first": "the last line is cut off mid-record (the export did not finish) (line 52)"},
    }
    *_, failures, notes = source[1]
    assert orjson.loads(notes) == ["line 2: time zone 'QQT' is unknown: its times are kept as local times, "
                                   "without conversion to UTC"]
    assert set(orjson.loads(failures)) == {"short-row"}


def test_reader_process_feeds_the_callback_what_was_written(tmp_path, invoke, monkeypatch):
    csv = _crowdtangle(tmp_path / "paginas.csv", 120)
    seen = {}
    for setting in ("off", "0"):
        case = tmp_path / setting
        assert invoke("init", case).exit_code == 0
        monkeypatch.setenv("TOOLKIT_READER_PROCESS_BYTES", setting)
        got: list[tuple] = []

        def keep(written, got=got) -> None:
            got.extend((w.capture_id, w.item_id, w.capture.item, w.capture.parent, w.capture.status, w.capture.text,
                        w.capture.fields, w.capture.observed_at) for w in written)

        with open_case(case) as opened:
            results = scan_paths(opened, [str(csv)], collected_at=WHEN, on_written=keep)
        assert results[0].outcome == "imported", results[0].error
        seen[setting] = got
    assert seen["off"] == seen["0"] and len(seen["off"]) > 120


def _indexes(case: Path) -> list[tuple]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()
    finally:
        conn.close()


def test_deferred_indexes_are_back_after_a_file_and_after_a_failed_one(tmp_path, invoke, monkeypatch):
    csv = _crowdtangle(tmp_path / "paginas.csv", 3000)  # larger than the case: its indexes are deferred
    other = _crowdtangle(tmp_path / "otras.csv", 3001)
    case = tmp_path / "case"
    assert invoke("init", case).exit_code == 0
    before = _indexes(case)
    assert {"item_url", "item_parent", "capture_item", "capture_source"} <= {name for name, _ in before}
    monkeypatch.setattr(scan_module, "DEFER_INDEXES_BYTES", 0)
    monkeypatch.setenv("TOOLKIT_READER_PROCESS_BYTES", "0")  # and the reader process stopped on the failure
    with open_case(case) as opened:
        conn = opened.db
        dropped = []

        def during(written) -> None:
            dropped.append(conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'item_url'").fetchone()[0])

        (result,) = scan_paths(opened, [str(csv)], on_written=during)
        assert result.outcome == "imported" and dropped and set(dropped) == {0}  # deferred while importing

        def failing(written) -> None:
            raise ToolkitError("stopped on purpose", "none")

        (failed,) = scan_paths(opened, [str(other)], on_written=failing)
        assert failed.outcome == "failed" and failed.error == "stopped on purpose"
    assert _indexes(case) == before
    conn = sqlite3.connect(case / "case.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM source").fetchone()[0] == 1
        plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM item WHERE url = 'x'"))
        assert "item_url" in plan
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}  # ended (a zombie waits for a reaper that may not come in a container)




@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_killed_scan_stops_its_reader_process_and_rerun_finishes(case, tmp_path):
    export = _ndjson(tmp_path / "grande.ndjson", 12_000)
    pacer = tmp_path / "pacer"
    pacer.mkdir()
    (pacer / "sitecustomize.py").write_text(PACER)
    marker = tmp_path / "first-batch-stored"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pacer), str(ROOT)]), "TOOLKIT_TEST_PACE": str(marker),
           "TOOLKIT_READER_PROCESS_BYTES": "0"}
    command = [sys.executable, "-m", "toolkit", "scan", str(case), str(export), "--quiet"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists() and proc.poll() is None, proc.communicate()
    children = _children(proc.pid)
    assert children  # the reader process (and multiprocessing's resource tracker)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in children)
    conn = sqlite3.connect(case / "case.db")
    try:
        assert conn.execute("SELECT count(*) FROM source").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM capture").fetchone()[0] == 0
    finally:
        conn.close()

    env.pop("TOOLKIT_TEST_PACE")
    done = subprocess.run(command[:-1], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{export}: zeeschuimer, 12,000 records read, 12,000 mapped, 12,040 new items" in done.stderr


def _reader_of(pid: int) -> int | None:
    """The scan's reader process (a spawned multiprocessing child), once it has started."""
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            return child
    return None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc")
def test_a_scan_killed_at_random_points_leaves_no_reader_behind(tmp_path):
    """Issue 16: SIGKILL of `scan` left the reader child hanging forever once it had read the whole
    file (its queue's feeder thread blocked on a pipe only the child itself still held open),
    keeping the caller's stderr open. The scan is paced (a pause after each stored batch), so the
    reader is done long before the writer, and killed at a random point from its first batch on."""
    export = _ndjson(tmp_path / "grande.ndjson", 6_000)  # three batches of captures: all fit in the queue
    pacer = tmp_path / "pacer"
    pacer.mkdir()
    (pacer / "sitecustomize.py").write_text(PACER)
    root = os.environ.get("TOOLKIT_TEST_ROOT", str(ROOT))  # another checkout, to show the failure
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pacer), root]), "TOOLKIT_READER_PROCESS_BYTES": "1000"}
    rng = random.Random(16)
    for attempt in range(4):
        case = tmp_path / f"case{attempt}"
        subprocess.run([sys.executable, "-m", "toolkit", "init", str(case)], env=env, check=True, capture_output=True,
                       cwd=root)
        marker = tmp_path / f"first-batch-{attempt}"
        proc = subprocess.Popen([sys.executable, "-m", "toolkit", "scan", str(case), str(export), "--quiet"],
                                env={**env, "TOOLKIT_TEST_PACE": str(marker)}, cwd=root,  # `-m` reads the cwd first
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.4))
        children = _children(proc.pid)
        assert proc.poll() is None and _reader_of(proc.pid) is not None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        # stderr closes when the last process holding it is gone: a reader left behind keeps it open.
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=15)
        deadline = time.monotonic() + 5
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in children if not _gone(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        proc.communicate()
        assert not left, f"attempt {attempt}: processes left behind after SIGKILL: {left}"
