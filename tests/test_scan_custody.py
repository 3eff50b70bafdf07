"""Scans and custody: two scans of the same bytes, and a file that changes while it is read.

Two scans of one file at once used to end with `IntegrityError: UNIQUE constraint failed:
source.sha256` for the loser, which then deleted the winner's evidence copy; a file appended to
during its scan was imported with 62,000 records under the hash of its first 60,000.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from toolkit.case import open_case
from toolkit.custody import verify_case
from toolkit.scan.pipeline import _claim, scan_paths

ROOT = Path(__file__).resolve().parent.parent


def _urls(path: Path, count: int, start: int = 0) -> Path:
    path.write_text("".join(f"https://www.facebook.com/groups/{300000 + n}/\n" for n in range(start, start + count)))
    return path


def _rows(case: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_two_scans_of_the_same_bytes_at_once_import_once_and_keep_the_evidence(case, tmp_path):
    export = _urls(tmp_path / "groups.txt", 60_000)  # a transaction long enough for the two to meet
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for attempt in range(2):
        scans = [subprocess.Popen([sys.executable, "-m", "toolkit", "scan", str(case), str(export)], env=env,
                                  text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        outputs = [(scan.communicate(timeout=300), scan.returncode) for scan in scans]
        for (_, stderr), code in outputs:
            assert code == 0, stderr
            assert "Traceback" not in stderr and "IntegrityError" not in stderr, stderr
        said = " ".join(stderr for (_, stderr), _ in outputs)
        if attempt == 0:
            assert said.count("60,000 new items") == 1, said
            assert "already being imported" in said or "already imported" in said, said
        else:
            assert said.count("already") >= 2, said  # a third and a fourth scan add nothing either
        assert _rows(case, "SELECT count(*) FROM source") == [(1,)]
        evidence = list((case / "evidence").rglob("*.gz"))
        assert len(evidence) == 1, evidence
    with open_case(case) as opened:
        assert verify_case(opened).problems == []


def test_a_scan_while_another_holds_the_same_bytes_says_so_and_keeps_nothing(case, tmp_path):
    export = _urls(tmp_path / "groups.txt", 10)
    with open_case(case) as opened:
        from toolkit.scan.pipeline import file_sha256

        sha, _ = file_sha256(export)
        with _claim(opened, sha) as mine:
            assert mine
            (result,) = scan_paths(opened, [str(export)])
    assert result.outcome == "already" and result.source_id is None
    assert result.notes == ["the same bytes are being imported by another toolkit command right now"]
    assert _rows(case, "SELECT count(*) FROM source") == [(0,)]
    assert list((case / "evidence").rglob("*.gz")) == []


def test_the_cli_says_already_being_imported(case, tmp_path, invoke):
    export = _urls(tmp_path / "groups.txt", 10)
    from toolkit.scan.pipeline import file_sha256

    sha, _ = file_sha256(export)
    with open_case(case) as opened, _claim(opened, sha):
        result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    assert "already being imported, nothing added" in result.stderr


def test_a_file_appended_to_while_it_is_read_is_refused_and_nothing_kept(case, tmp_path):
    export = _urls(tmp_path / "groups.txt", 20_000)
    appended = []

    def grow(update) -> None:
        if not appended:  # the first batch is stored: the file grows under the scan
            with open(export, "a") as handle:
                handle.write("".join(f"https://www.facebook.com/groups/{900000 + n}/\n" for n in range(2_000)))
            appended.append(True)

    with open_case(case) as opened:
        (result,) = scan_paths(opened, [str(export)], progress=grow)
    assert appended
    assert result.outcome == "failed"
    assert "changed while it was read" in result.error and str(export) in result.error
    assert "Scan it again once nothing writes to it" in result.hint
    assert _rows(case, "SELECT count(*) FROM source") == [(0,)]
    assert _rows(case, "SELECT count(*) FROM item") == [(0,)]
    assert list((case / "evidence").rglob("*.gz")) == []
    with open_case(case) as opened:
        assert verify_case(opened).problems == []
        (again,) = scan_paths(opened, [str(export)])  # once it is quiet, it imports whole
    assert again.outcome == "imported" and again.read == 22_000


def test_a_file_rewritten_in_place_while_it_is_read_is_refused(case, tmp_path):
    """Same size, the modification time put back: the inode's change time (or the copy's hash) tells."""
    export = _urls(tmp_path / "groups.txt", 20_000)
    stat = export.stat()
    changed = []

    def rewrite(update) -> None:
        if not changed:
            _urls(export, 20_000, start=1)  # other numbers, the same length
            os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            changed.append(True)

    with open_case(case) as opened:
        (result,) = scan_paths(opened, [str(export)], progress=rewrite)
    assert changed and result.outcome == "failed"
    assert "changed while it was read" in result.error
    assert _rows(case, "SELECT count(*) FROM source") == [(0,)]
    assert list((case / "evidence").rglob("*.gz")) == []
