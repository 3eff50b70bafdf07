"""Evidence bundles: a case in one zip that anyone can check, and the check.

`export_bundle` writes a consistent snapshot of case.db, every evidence file (refusing symbolic
links), the files in force (case.toml, lexicons, markers: everything a report needs to be made
again), a manifest of every entry's sha256 and size with the log's head, a receipt (signed with
the researcher's key when given one) and a README.

`verify_bundle` never trusts the zip: every entry is read as a stream through safeio's bounded ZIP
reader (the importers' own), at most the size the manifest gives it (and never past a compression
ratio no bundle of ours has), so a crafted zip costs neither memory nor disk; a bundle that lacks its manifest, its database or its head fails.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from toolkit import __version__
from toolkit import context as files_in_force
from toolkit import receipt as receipts
from toolkit.case import Case
from toolkit.custody import (
    CHUNK,
    FIX_DB,
    FIX_RECEIPT,
    VerifyResult,
    check_evidence_file,
    check_receipt,
    open_for_checking,
    verify_db,
)
from toolkit.dates import utcnow
from toolkit.errors import CaseError, InputError
from toolkit.safeio import open_zip_entry, read_zip_entry, unsafe_name
from toolkit.store import events as log
from toolkit.store.db import Connection, DatabaseError, connect_readonly, snapshot
from toolkit.store.evidence import referenced, stored_hashes

FORMAT = "toolkit-bundle-2"
FORMATS = ("toolkit-bundle-1", FORMAT)
MANIFEST = "manifest.json"
DB_ENTRY = "case.db"
RECEIPT = "receipt.json"
README = "README.txt"
CONTEXT_DIR = "context/"
# Reading a bundle: the manifest is small; no entry is taken past this many times its stored size
# (our bundles store entries uncompressed; gzip evidence inside does not compress again).
MANIFEST_MAX = 64 << 20
MAX_RATIO = 100
SMALL = 1 << 20  # below this, any ratio is harmless
FIX_BUNDLE = ("Ask for the bundle again (toolkit export CASE --bundle FILE.zip); this one is not the"
              " bundle that was exported")


def _context_entry(name: str) -> str:
    """Where a file in force goes in the bundle (`toolkit:` names under context/toolkit/)."""
    if name.startswith(files_in_force.SHIPPED):
        return CONTEXT_DIR + "toolkit/" + name.removeprefix(files_in_force.SHIPPED)
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return CONTEXT_DIR + "external/" + hashlib.sha256(name.encode()).hexdigest()[:12] + "-" + path.name
    return CONTEXT_DIR + "case/" + name


def _open_regular(path: Path) -> int:
    """A descriptor for a regular file, refusing a symbolic link (at the last step: O_NOFOLLOW)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():
            raise InputError(str(path), "is a symbolic link: a bundle holds only files the case kept itself",
                             "Replace the link with the file it points to (after checking it), then export again") from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(str(path), "is not a regular file", "Remove it from the case folder, then export again")
    return fd


def _add_file(zf: zipfile.ZipFile, path: Path, name: str, entries: dict[str, dict[str, Any]]) -> None:
    digest, size = hashlib.sha256(), 0
    with os.fdopen(_open_regular(path), "rb") as src, zf.open(name, "w", force_zip64=True) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    entries[name] = {"sha256": digest.hexdigest(), "size": size}


def export_bundle(case: Case, target: Path, *, sign: Path | None = None) -> tuple[dict[str, Any], int]:
    """Write a verifiable zip of the case; return (its receipt, number of files). Atomic: temp + rename.

    Refuses symbolic links under evidence/ and among the files in force. With `sign`, the
    bundle's receipt is signed with that private key."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    files = files_in_force.case_files(case.root, case.config)
    log.record_context(case.db)  # an edited case.toml is recorded (and shows in the log) before it is bundled
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".bundle-") as tmp:
        copy = Path(tmp) / DB_ENTRY
        # The backup API copies a consistent snapshot even while another process writes.
        snapshot(case.db, copy)
        check = connect_readonly(copy)
        try:
            count, head = log.head(check)  # the snapshot's own head, not the live case's
        finally:
            check.close()
        receipt = receipts.make(case.name, count, head, utcnow(), __version__, sign)
        entries: dict[str, dict[str, Any]] = {}
        partial = Path(tmp) / "bundle.zip"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            _add_file(zf, copy, DB_ENTRY, entries)
            if case.evidence_dir.is_dir():
                for path in sorted(case.evidence_dir.rglob("*.gz")):
                    if not path.name.startswith(".tmp-"):
                        _add_file(zf, path, f"evidence/{path.relative_to(case.evidence_dir).as_posix()}", entries)
            context = {}
            for name, path in sorted(files.items()):
                if path.exists() or path.is_symlink():
                    context[name] = _context_entry(name)
                    _add_file(zf, path, context[name], entries)
            manifest = {
                "format": FORMAT,
                "toolkit": __version__,
                "case": case.name,
                "exported_at": receipt["made_at"],
                "events": count,
                "head": head,
                "context": context,
                "files": dict(sorted(entries.items())),
            }
            zf.writestr(MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
            zf.writestr(RECEIPT, receipts.dumps(receipt))
            zf.writestr(README, _readme(manifest, receipt))
        partial.replace(target)
    return receipt, len(entries)


def _readme(manifest: dict, receipt: dict) -> str:
    signed = receipt.get("signature")
    who = (f"It is signed with the Ed25519 key {receipts.fingerprint(__import__('base64').b64decode(signed['public_key']))};"
           " check it with: toolkit verify --bundle THIS.zip --key THEIR_KEY.pub\n" if signed else
           "It is not signed: compare its head with one the researcher gave you apart from this bundle.\n")
    return (
        f"Evidence bundle of the toolkit case {manifest['case']!r}, exported {manifest['exported_at']}"
        f" by toolkit {manifest['toolkit']}.\n\n"
        "Contents: case.db (SQLite snapshot of the whole case), evidence/ (gzip copies of every imported\n"
        "file and fetched page, each named by the sha256 of its uncompressed content), context/ (case.toml,\n"
        "the lexicons and markers in force: with case.db, what a report is made from), manifest.json (the\n"
        "sha256 and size of every file here and the head of the case's custody log), receipt.json.\n\n"
        f"Custody log: {manifest['events']} events, head {manifest['head']}.\n"
        f"{who}\n"
        "To check it: pip install toolkit, then: toolkit verify --bundle THIS.zip [--key KEY.pub]\n"
        "It recomputes the hash of every file in the manifest, the custody log's chain inside case.db and\n"
        "every row it covers (sources and their captures, evidence, waves, verdicts, notices, checks, and\n"
        "the derived items, aliases, hits, indicators and scores), the content of every evidence file, and\n"
        "the files in force against those the log recorded. A change to any of them is reported, unless\n"
        "whoever made it also rebuilt the whole log: only a head kept apart from the case (a receipt the\n"
        "researcher signed or handed over) tells a rebuilt log from the original. See docs/custody.md.\n"
    )


# -- checking a bundle ---------------------------------------------------------------------------------

def _safe(info: zipfile.ZipInfo) -> str | None:
    """Why an entry may not be read (unsafe name, a link, an implausible expansion), or None."""
    if unsafe_name(info.filename) or "\\" in info.filename:
        return "has an unsafe path"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    if info.file_size > SMALL and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"would expand {info.file_size:,} bytes from {info.compress_size:,}"
                " (no bundle entry is compressed that far: a zip bomb)")
    return None


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, sink=None) -> tuple[str, int, bool]:
    """Stream an entry through safeio's bounded ZIP reader: (sha256, bytes read, whether it went
    past `limit`), each chunk handed to `sink` when given."""
    digest, size = hashlib.sha256(), 0
    try:
        with open_zip_entry(zf, info, limit) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                digest.update(chunk)
                if sink is not None:
                    sink(chunk)
    except ValueError:  # more than `limit` bytes when inflated
        return digest.hexdigest(), limit + 1, True
    return digest.hexdigest(), size, False


def _expected(entry: Any) -> tuple[str | None, int | None]:
    if isinstance(entry, str):  # toolkit-bundle-1: name -> sha256
        return entry, None
    if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
        size = entry.get("size")
        return entry["sha256"], size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
    return None, None


def verify_bundle(bundle: Path, *, key: Path | None = None, receipt: Path | None = None) -> VerifyResult:
    """Check a bundle: every entry against the manifest, the log and every covered row inside its
    case.db, the evidence, the files in force, the head against the manifest and the receipt(s)."""
    result = VerifyResult()
    given = receipts.load(receipt) if receipt is not None else None
    try:
        zf = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(str(bundle), f"not a readable bundle ({exc})", "Check the file; bundles are made by toolkit export") from exc
    with zf, tempfile.TemporaryDirectory(prefix="toolkit-bundle-") as tmp:
        infos = {}
        for info in zf.infolist():
            reason = _safe(info)
            if reason:
                result.problem(f"bundle entry {info.filename!r} {reason}", FIX_BUNDLE)
            elif info.filename in infos:
                result.problem(f"bundle entry {info.filename!r} appears twice", FIX_BUNDLE)
            else:
                infos[info.filename] = info
        manifest = _manifest(zf, infos.get(MANIFEST), bundle)
        listed: dict[str, Any] = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
        if manifest.get("format") not in FORMATS or not isinstance(manifest.get("head"), str) or DB_ENTRY not in listed:
            result.problem("manifest.json does not describe a toolkit bundle (no format, head or case.db)", FIX_BUNDLE)
        db_path = Path(tmp) / DB_ENTRY
        for name, entry in sorted(listed.items()):
            sha, size = _expected(entry)
            info = infos.get(name)
            if info is None:
                result.problem(f"{name} is listed in the manifest but missing from the bundle", FIX_BUNDLE)
                continue
            if sha is None:
                result.problem(f"{name} has no sha256 in the manifest", FIX_BUNDLE)
                continue
            limit = info.file_size if size is None else size
            if name == DB_ENTRY:
                with open(db_path, "wb") as out:
                    actual, read, over = _read_bounded(zf, info, limit, out.write)
            else:
                actual, read, over = _read_bounded(zf, info, limit)
            if over or actual != sha or (size is not None and read != size):
                result.problem(f"{name} does not match its manifest hash", FIX_BUNDLE)
                if name == DB_ENTRY:
                    db_path.unlink(missing_ok=True)
            elif name.startswith("evidence/") and name.endswith(".gz"):
                result.evidence_checked += 1
                problem = check_evidence_file(name, lambda mode, i=info, most=limit: open_zip_entry(zf, i, most))
                if problem:
                    result.problem(problem, FIX_BUNDLE)
        for name in sorted(set(infos) - set(listed) - {MANIFEST, README, RECEIPT}):
            result.problem(f"{name} is in the bundle but not in the manifest", FIX_BUNDLE)
        inner = _inner_receipt(zf, infos.get(RECEIPT), bundle, result)
        if key is not None and inner is None and given is None:
            result.problem("the bundle holds no receipt, so no signature to check against the key given", FIX_RECEIPT)
        if db_path.is_file():
            _verify_inner_db(db_path, manifest, listed, zf, infos, result, inner, key, given, receipt)
        elif DB_ENTRY in infos or DB_ENTRY in listed:
            pass  # its problem is already reported
        else:
            result.problem("the bundle holds no case.db", FIX_BUNDLE)
    if not result.problems and result.events == 0:
        result.problem("the bundle's log is empty: nothing in it can be checked", FIX_BUNDLE)
    return result


def _manifest(zf: zipfile.ZipFile, info: zipfile.ZipInfo | None, bundle: Path) -> dict[str, Any]:
    if info is None or info.file_size > MANIFEST_MAX:
        raise InputError(str(bundle), "no readable manifest.json", "This is not a toolkit bundle")
    try:
        manifest = orjson.loads(read_zip_entry(zf, info, MANIFEST_MAX))
    except (ValueError, orjson.JSONDecodeError):  # past the bound, or not JSON
        manifest = None
    if not isinstance(manifest, dict):
        raise InputError(str(bundle), "no readable manifest.json", "This is not a toolkit bundle")
    return manifest


def _inner_receipt(zf: zipfile.ZipFile, info: zipfile.ZipInfo | None, bundle: Path,
                   result: VerifyResult) -> dict[str, Any] | None:
    if info is None:
        return None
    try:
        with open_zip_entry(zf, info, receipts.MAX_BYTES + 1) as stream:
            return receipts.parse(stream.read(receipts.MAX_BYTES + 1), f"{bundle}!{RECEIPT}")
    except InputError as exc:
        result.problem(exc.message, FIX_BUNDLE)
        return None


def _verify_inner_db(db_path: Path, manifest: dict, listed: dict, zf: zipfile.ZipFile,
                     infos: dict[str, zipfile.ZipInfo], result: VerifyResult, inner: dict | None,
                     key: Path | None, given: dict | None, receipt: Path | None) -> None:
    try:
        with open_for_checking(db_path) as (conn, note):
            if note:
                result.notes.append(note)
            verify_db(conn, result)
            # Every file the case kept or refers to must be in the bundle, where export puts it: the
            # manifest is not signed, so a file left out of both zip and manifest is caught here.
            stored = stored_hashes(conn)
            for sha in sorted((set(stored) | referenced(conn)) - log.purged_evidence(conn)):
                entry = f"evidence/{sha[:2]}/{sha}.gz"
                if entry not in infos or entry not in listed:
                    result.problem(f"evidence {sha[:12]}... is referenced by the case but missing from the bundle",
                                   FIX_BUNDLE)
                elif sha in stored and _expected(listed[entry])[0] != stored[sha]:
                    result.problem(f"{entry} differs from the file the case kept", FIX_BUNDLE)
            _check_context(conn, manifest, listed, zf, infos, result)
            if result.head != manifest.get("head"):
                result.problem(f"the database's head {result.head[:12]}... differs from the manifest's", FIX_BUNDLE)
            # --key checks the receipt given apart when there is one, else the bundle's own.
            if inner is not None:
                check_receipt(conn, result, inner, key if given is None else None, RECEIPT)
                if inner.get("head") != result.head:
                    result.problem(f"{RECEIPT} names head {str(inner.get('head'))[:12]}..., not the database's",
                                   FIX_BUNDLE)
            if given is not None:
                check_receipt(conn, result, given, key, str(receipt))
    except (CaseError, DatabaseError) as exc:
        result.problem(f"{DB_ENTRY} cannot be opened ({exc})", FIX_DB)


def _check_context(conn: Connection, manifest: dict, listed: dict, zf: zipfile.ZipFile,
                   infos: dict[str, zipfile.ZipInfo], result: VerifyResult) -> None:
    """The files in force the bundle carries must be those the log last recorded."""
    recorded = log.context_event(conn)
    carried = manifest.get("context") if isinstance(manifest.get("context"), dict) else {}
    if recorded is None:
        if manifest.get("format") == FORMAT:
            result.notes.append("the log records no files in force (a case last written by an older toolkit)")
        return
    for name, sha in sorted(recorded[1].get("files", {}).items()):
        if sha is None:
            continue
        entry = carried.get(name)
        if entry is None or entry not in infos:
            result.problem(f"{name}, in force at the last command, is missing from the bundle", FIX_BUNDLE)
        elif _expected(listed.get(entry))[0] != sha:
            result.problem(f"{name} in the bundle is not the one in force at the last command", FIX_BUNDLE)
