"""Custody: checking that a case is intact, and bundling it for someone else to check.

`verify_case` recomputes the custody log (toolkit.store.events) and the sha256 of every evidence
file, and compares each source file still on disk with the hash it was imported under.
`export_bundle` writes a self-describing zip (a consistent database snapshot, the evidence files,
a manifest of every sha256 and the head hash, a README); `verify_bundle` checks one on any machine.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import orjson

from toolkit import __version__
from toolkit.case import Case, utcnow
from toolkit.errors import CaseError, InputError
from toolkit.store import events as log
from toolkit.store.db import connect

CHUNK = 1 << 20
MANIFEST = "manifest.json"
DB_ENTRY = "case.db"


@dataclass
class VerifyResult:
    """What verification found. `intact` is False when any problem was found."""

    events: int = 0
    head: str = log.GENESIS
    data_head: str = log.GENESIS  # ignoring report events: the head report stamps carry
    evidence_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def gz_sha256(stream: io.BufferedIOBase) -> str:
    """sha256 of the decompressed content of a gzip stream, read in bounded chunks."""
    digest = hashlib.sha256()
    with gzip.GzipFile(fileobj=stream) as gz:
        while chunk := gz.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_evidence_file(name: str, opener) -> str | None:
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


def _stored_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT sha256, stored_sha256 FROM evidence")}


def _referenced_evidence(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT evidence FROM source WHERE evidence IS NOT NULL"
        ' UNION SELECT evidence_sha256 FROM "check" WHERE evidence_sha256 IS NOT NULL'
        " UNION SELECT sha256 FROM attachment"
    )
    return {r[0] for r in rows}


def _verify_db(conn: sqlite3.Connection, result: VerifyResult) -> None:
    result.events, breaks = log.verify_chain(conn)
    result.head = log.head(conn)[1]
    result.data_head = log.data_head(conn)[1]
    result.problems.extend(b.what for b in breaks)
    pending = log.unsealed(conn)
    if pending:
        result.notes.append(f"{pending} row(s) recorded after the last seal (run any toolkit command to seal them)")


def verify_case(case: Case) -> VerifyResult:
    """Check the custody log, every evidence file, and source files still on disk."""
    result = VerifyResult()
    _verify_db(case.db, result)
    present: set[str] = set()
    stored = _stored_hashes(case.db)
    if case.evidence_dir.is_dir():
        for path in sorted(case.evidence_dir.rglob("*.gz")):
            if path.name.startswith(".tmp-"):
                continue
            sha = path.name.removesuffix(".gz")
            present.add(sha)
            result.evidence_checked += 1
            problem = _check_evidence_file(path.name, path.open)
            if problem is None and sha in stored and _sha_file(path) != stored[sha]:
                problem = f"evidence {sha[:12]}... was changed (the stored file's bytes differ from when it was kept)"
            if problem:
                result.problems.append(problem)
    for sha in sorted((_referenced_evidence(case.db) | set(stored)) - present - log.purged_evidence(case.db)):
        result.problems.append(f"evidence {sha[:12]}... is referenced by the case but missing from evidence/")
    for row in case.db.execute("SELECT id, path, sha256 FROM source ORDER BY id"):
        path = Path(row["path"])
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != row["sha256"]:
                result.notes.append(f"source {row['id']}: the file at {row['path']} has changed since it was imported "
                                    "(the imported copy is in evidence/)")
    return result


def export_bundle(case: Case, target: Path) -> tuple[str, int]:
    """Write a verifiable zip of the case; return (head hash, number of files). Atomic: temp + rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".bundle-") as tmp:
        snapshot = Path(tmp) / DB_ENTRY
        # The backup API copies a consistent snapshot even while another process writes.
        dest = sqlite3.connect(snapshot)
        case.db.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
        dest.close()
        count, head = log.head(case.db)
        entries: dict[str, str] = {}
        partial = Path(tmp) / "bundle.zip"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            entries[DB_ENTRY] = _sha_file(snapshot)
            zf.write(snapshot, DB_ENTRY)
            if case.evidence_dir.is_dir():
                for path in sorted(case.evidence_dir.rglob("*.gz")):
                    if path.name.startswith(".tmp-"):
                        continue
                    name = f"evidence/{path.relative_to(case.evidence_dir).as_posix()}"
                    entries[name] = _sha_file(path)
                    zf.write(path, name)
            manifest = {
                "format": "toolkit-bundle-1",
                "toolkit": __version__,
                "case": case.name,
                "exported_at": utcnow(),
                "events": count,
                "head": head,
                "files": dict(sorted(entries.items())),
            }
            zf.writestr(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            zf.writestr("README.txt", _bundle_readme(manifest))
        partial.replace(target)
    return head, len(entries)


def _bundle_readme(manifest: dict) -> str:
    return (
        f"Evidence bundle of the toolkit case {manifest['case']!r}, exported {manifest['exported_at']}.\n\n"
        "Contents: case.db (SQLite snapshot of the whole case), evidence/ (gzip copies of every imported\n"
        "file and fetched page, each named by the sha256 of its uncompressed content), manifest.json\n"
        "(the sha256 of every file in this bundle and the head hash of the case's custody log).\n\n"
        f"Custody log: {manifest['events']} events, head hash {manifest['head']}.\n\n"
        "To check it: pip install toolkit, then: toolkit verify --bundle THIS.zip\n"
        "It recomputes every hash in the manifest, the custody log's hash chain inside case.db, and the\n"
        "content of every evidence file; any change to any byte is reported.\n"
    )


def _sha_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_bundle(bundle: Path) -> VerifyResult:
    """Check a bundle: manifest hashes, custody chain, evidence content, head hash."""
    result = VerifyResult()
    try:
        zf = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(str(bundle), f"not a readable bundle ({exc})", "Check the file; bundles are made by toolkit export") from exc
    with zf:
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                result.problems.append(f"bundle entry {info.filename!r} has an unsafe path")
        try:
            manifest = orjson.loads(zf.read(MANIFEST))
        except (KeyError, orjson.JSONDecodeError) as exc:
            raise InputError(str(bundle), "no readable manifest.json", "This is not a toolkit bundle") from exc
        names = set(zf.namelist())
        for name, expected in manifest.get("files", {}).items():
            if name not in names:
                result.problems.append(f"{name} is listed in the manifest but missing from the bundle")
                continue
            digest = hashlib.sha256()
            with zf.open(name) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != expected:
                result.problems.append(f"{name} does not match its manifest hash")
        for name in sorted(names - set(manifest.get("files", {})) - {MANIFEST, "README.txt"}):
            result.problems.append(f"{name} is in the bundle but not in the manifest")
        for name in sorted(n for n in names if n.startswith("evidence/") and n.endswith(".gz")):
            result.evidence_checked += 1
            problem = _check_evidence_file(name, lambda mode, n=name: zf.open(n))
            if problem:
                result.problems.append(problem)
        if any(p.startswith(f"{DB_ENTRY} ") for p in result.problems) or DB_ENTRY not in names:
            return result  # a database that is not the one exported is not worth opening
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / DB_ENTRY
            db_path.write_bytes(zf.read(DB_ENTRY))
            try:
                conn = connect(db_path)
            except (CaseError, sqlite3.DatabaseError) as exc:
                result.problems.append(f"{DB_ENTRY} cannot be opened ({exc})")
                return result
            try:
                _verify_db(conn, result)
                for sha, stored_sha in _stored_hashes(conn).items():
                    entry = f"evidence/{sha[:2]}/{sha}.gz"
                    if manifest.get("files", {}).get(entry, stored_sha) != stored_sha:
                        result.problems.append(f"{entry} differs from the file the case kept")
            finally:
                conn.close()
    if result.head != manifest.get("head"):
        result.problems.append(f"the database's head hash {result.head[:12]}... differs from the manifest's")
    return result
