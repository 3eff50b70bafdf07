"""Custody: checking that a case is intact, against its own log and against a receipt.

`verify_case` opens case.db read-only (a case made by an older toolkit is checked in a migrated
temporary copy) and never writes anything: it recomputes the custody log (toolkit.store.events),
every covered row, the sha256 of every evidence file, the files in force (case.toml, lexicons,
markers) against those the log last recorded, and, given a receipt, whether the log still holds
the receipt's head. Bundles are made and checked by toolkit.bundle.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from toolkit import context as files_in_force
from toolkit import receipt as receipts
from toolkit.case import DB_NAME, EVIDENCE_DIR, Case, load_config
from toolkit.errors import CaseError
from toolkit.store import events as log
from toolkit.store import evidence as evidence_rows
from toolkit.store import source_rows
from toolkit.store.db import Connection, DatabaseError
from toolkit.store.db import open_for_checking as _open_checked
from toolkit.store.logcheck import check_log
from toolkit.store.schema import LATEST

CHUNK = 1 << 20

FIX_DB = ("Restore case.db from a copy you trust (an exported bundle holds one) or find out who changed it;"
          " the log names what each row held when it was recorded")
FIX_EVIDENCE = "Restore the file from a bundle you exported: its name is the sha256 of what it must hold"
FIX_CONTEXT = ("Put the file back as it was, or record the new one with a command that writes to the case"
               " (scan, review, report, export...): the log then shows that it changed, and when")
FIX_RECEIPT = ("This is not the case the receipt was made for, or its log was rewritten since:"
               " ask whoever gave you the case for the one the receipt names")


@dataclass
class VerifyResult:
    """What verification found. `intact` is False when any problem was found; each problem has
    a fix (same position in `fixes`)."""

    events: int = 0
    head: str = log.GENESIS
    data_head: str = log.GENESIS  # ignoring report events: the head report stamps carry
    evidence_checked: int = 0
    problems: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signer: str | None = None  # fingerprint of the key that signed the receipt checked
    since_receipt: int | None = None  # events appended after the receipt's head

    @property
    def intact(self) -> bool:
        return not self.problems

    def problem(self, what: str, fix: str) -> None:
        self.problems.append(what)
        self.fixes.append(fix)


def gz_sha256(stream: io.BufferedIOBase) -> str:
    """sha256 of the decompressed content of a gzip stream, read in bounded chunks."""
    import gzip

    digest = hashlib.sha256()
    with gzip.GzipFile(fileobj=stream) as gz:
        while chunk := gz.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_evidence_file(name: str, opener) -> str | None:
    """None when the file's content matches the sha256 in its name, else what is wrong.

    `opener(mode)` opens the compressed file for binary reading.
    """
    expected = PurePosixPath(name).name.removesuffix(".gz")
    try:
        with opener("rb") as stream:
            actual = gz_sha256(stream)
    except (OSError, EOFError, zlib.error) as exc:
        return f"evidence {expected[:12]}... is corrupt ({exc.__class__.__name__}: {exc})"
    if actual != expected:
        return f"evidence {expected[:12]}... was changed (its content hashes to {actual[:12]}...)"
    return None


def sha_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def open_for_checking(path: Path) -> Iterator[tuple[Connection, str | None]]:
    """A read-only connection to a case database, and a note when it had to be migrated first.

    A database at an older schema version is copied into a temporary folder and migrated there
    (toolkit.store.db.open_for_checking): the file itself is never written."""
    with _open_checked(path) as (conn, version):
        yield conn, (None if version is None else
                     f"case.db is at schema version {version} (this toolkit writes {LATEST}):"
                     " a migrated copy was checked; the file was not changed")


def verify_db(conn: Connection, result: VerifyResult) -> None:
    """The log and every covered row, into `result`."""
    found = check_log(conn)
    result.events = found.events
    result.head = log.head(conn)[1]
    result.data_head = log.data_head(conn)[1]
    for brk in found.problems:
        result.problem(brk.what, FIX_DB)
    result.notes.extend(found.notes)


def check_receipt(conn: Connection, result: VerifyResult, receipt: dict[str, Any], key: Path | None,
                  where: str) -> None:
    """Does the log hold the receipt's head at the receipt's position (and is it signed as asked)?"""
    result.signer, problem = receipts.check_signature(receipt, key)
    if problem:
        result.problem(f"{where}: {problem}", FIX_RECEIPT)
        return
    position, expected = receipt["events"], receipt["head"]
    found = log.GENESIS if position == 0 else log.event_at(conn, position)
    if found is None:
        result.problem(f"{where}: the log has {result.events} events, fewer than the {position} the receipt"
                       " names (events were removed)", FIX_RECEIPT)
    elif found != expected:
        result.problem(f"{where}: event {position} of the log is not the receipt's head {expected[:12]}..."
                       " (the log was rewritten or recomputed)", FIX_RECEIPT)
    else:
        result.since_receipt = result.events - position


def verify_case(case: Case | Path, *, receipt: Path | None = None, key: Path | None = None) -> VerifyResult:
    """Check a case folder without writing to it: the log and every covered row, the evidence
    files, the files in force, source files still on disk and, given one, a receipt."""
    root = case.root if isinstance(case, Case) else Path(case)
    result = VerifyResult()
    given = receipts.load(receipt) if receipt is not None else None
    config = None
    try:
        config = load_config(root)
    except CaseError as exc:
        result.problem(exc.message, FIX_CONTEXT)
    with open_for_checking(root / DB_NAME) as (conn, note):
        if note:
            result.notes.append(note)
        try:
            verify_db(conn, result)
            recorded = log.context_event(conn)
            if recorded is not None:
                problems, notes = files_in_force.compare(recorded[1], root, config)
                for problem in problems:
                    result.problem(problem, FIX_CONTEXT)
                result.notes.extend(notes)
            _check_evidence_dir(conn, root / EVIDENCE_DIR, result)
            _check_sources_on_disk(conn, result)
            if given is not None:
                check_receipt(conn, result, given, key, str(receipt))
        except DatabaseError as exc:  # a table the checks read was dropped or changed: a break, not a crash
            result.problem(f"case.db cannot be read as the log recorded it ({exc})", FIX_DB)
    return result


def _check_evidence_dir(conn: Connection, folder: Path, result: VerifyResult) -> None:
    present: set[str] = set()
    stored = evidence_rows.stored_hashes(conn)
    if folder.is_dir():
        for path in sorted(folder.rglob("*.gz")):
            if path.name.startswith(".tmp-"):
                continue
            sha = path.name.removesuffix(".gz")
            present.add(sha)
            result.evidence_checked += 1
            if path.is_symlink():
                result.problem(f"evidence {sha[:12]}... is a symbolic link, not a file the case kept", FIX_EVIDENCE)
                continue
            problem = check_evidence_file(path.name, path.open)
            if problem is None and sha in stored and sha_file(path) != stored[sha]:
                problem = f"evidence {sha[:12]}... was changed (the stored file's bytes differ from when it was kept)"
            if problem:
                result.problem(problem, FIX_EVIDENCE)
    for sha in sorted((evidence_rows.referenced(conn) | set(stored)) - present - log.purged_evidence(conn)):
        result.problem(f"evidence {sha[:12]}... is referenced by the case but missing from evidence/", FIX_EVIDENCE)


def _check_sources_on_disk(conn: Connection, result: VerifyResult) -> None:
    for source_id, given, sha256 in source_rows.all_files(conn):
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            if path.is_file() and sha_file(path) != sha256:
                result.notes.append(f"source {source_id}: the file at {given} has changed since it was imported "
                                    "(the imported copy is in evidence/)")
        except OSError:
            continue
