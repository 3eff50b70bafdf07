"""Purging one person's personal data on request, keeping the custody log verifiable.

The item (and everything under it) loses its names, texts, URLs, raw records, matched spans,
contact values and aliases; checks, reviews and notices about it lose their notes (and a check its
final URL); a source holding only this person loses its file name, notes and failure details, and
any source whose file name holds one of its keys or names loses that name. Evidence fetched for
its checks alone (pages, browser screenshots) is deleted, and so is every earlier report the log knows of (a report event names
its folder and files): they were made from the data. The copies of whole exports in evidence/ (and a
browser capture's screenshot and snapshot) hold the data too: `delete_exports=True` deletes those copies (they hold everyone else's data as well,
so it is a choice).

The changes and the `purge` event are one transaction. The event names the removed values only
by keyed HMAC-SHA256 fingerprints; the key is the case's purge secret, a file in the case folder
that no log, report or bundle holds. With it, the researcher can show that a given value was
removed; without it, the log says nothing about the values, and a dictionary of phone numbers
cannot reverse them. A purge run again finds nothing left to remove and records nothing; it only
finishes deleting files an interrupted run had named.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from toolkit.case import Case
from toolkit.dates import utcnow
from toolkit.errors import UsageError
from toolkit.store import erasure as sql
from toolkit.store import events, source_rows, transaction

SECRET_NAME = "purge-secret"


@dataclass
class PurgeResult:
    items: list[int]
    removed_values: int
    evidence_deleted: list[str] = field(default_factory=list)
    reports_removed: list[str] = field(default_factory=list)  # folders of earlier reports deleted
    exports_kept: list[tuple[int, str]] = field(default_factory=list)  # sources whose copy still holds the data
    event_hash: str = ""  # empty when there was nothing left to purge (and no event was recorded)
    reports_not_found: list[str] = field(default_factory=list)  # recorded report folders not found from here


def case_secret(case: Case) -> bytes:
    """The case's purge secret (made on first use, readable by its owner only). It keys the
    fingerprints of removed values; it is never part of the log, a report or a bundle."""
    path = case.root / SECRET_NAME
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by a purge running at the same time
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    return secret


def fingerprinter(secret: bytes):
    def fingerprint(value: object) -> str:
        return hmac.new(secret, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return fingerprint


def purge_item(case: Case, item_id: int, *, reason: str, delete_exports: bool = False) -> PurgeResult:
    """Remove the personal data of `item_id` and its children; record a purge event with the
    changes, in one transaction; then delete the files the event names."""
    if not sql.item_exists(case.db, item_id):
        raise UsageError(f"no item {item_id} in this case", "Find the id with: toolkit items CASE --query TEXT")
    fingerprint = fingerprinter(case_secret(case))
    with transaction(case.db) as conn:
        items = sql.items_to_purge(conn, item_id)
        sources = source_rows.of_items(conn, items)
        changed = events.changed_facts(conn, sql.fact_rows(conn, items, sources))
        if changed:
            raise events.CustodyError(
                f"{', '.join(changed[:3])} changed outside toolkit since the custody log recorded them;"
                " nothing was purged", "Run: toolkit verify CASE, then restore case.db from a copy you trust")
        removed, sources, check_evidence, identifiers = sql.blank_personal_data(conn, items, fingerprint)
        removed += sql.blank_source_names(conn, sources, items, identifiers, fingerprint)
        to_delete = [sha for sha in check_evidence if not sql.evidence_shared_with_others(conn, sha, items)]
        kept: list[tuple[int, str]] = []
        for source_id, path, evidence in sql.source_evidence(conn, sources):
            if evidence and delete_exports:
                to_delete.append(evidence)
                to_delete.extend(sql.source_attachment_files(conn, source_id))
            elif evidence:
                kept.append((source_id, path))
        to_delete = sorted(set(to_delete) - events.purged_evidence(conn))
        reports, missing = _earlier_reports(conn, case.root) if removed else ([], [])
        digest = ""
        if removed or to_delete:
            detail = {"items": items, "reason": reason, "removed": sorted(set(removed)),
                      "fingerprints": "HMAC-SHA256 keyed with the case's purge secret (not in the log)",
                      "evidence_deleted": to_delete, "reports_deleted": reports}
            digest = events.record(conn, "purge", events.detail_hash(detail), utcnow(), detail)
        pending = _pending_files(conn, items)
    deleted_reports = _delete_files(case, pending)
    return PurgeResult(items, len(set(removed)), to_delete, deleted_reports, kept, digest, missing)


def report_folder(root: Path, report: dict) -> Path | None:
    """Where a report event (or a purge event's copy of it) says its files are, from the case
    folder `root`: inside the case (`in_case`), or an absolute path. Events written before reports
    were recorded so named a path as typed, relative to the directory the report was run in: such a
    path is trusted only when, from here, it lands inside this case (else it might be another
    case's identical report, a copy's original). None when the folder cannot be placed."""
    folder = Path(report.get("folder", ""))
    if report.get("in_case"):
        return root / folder
    if folder.is_absolute():
        return folder
    where = folder.resolve()
    return where if where.is_relative_to(root.resolve()) else None


def _earlier_reports(conn, root: Path) -> tuple[list[dict], list[str]]:
    """Every report the log knows of whose files are still where it wrote them (as recorded), and
    the folders of those that are not there or cannot be placed (a purge says so: they may hold
    the data elsewhere)."""
    found, missing = [], []
    for detail in sql.report_events(conn):
        report = orjson.loads(detail)
        if not report.get("files"):
            continue
        folder = report_folder(root, report)
        if folder is not None and folder.is_dir():
            found.append({key: report[key] for key in ("folder", "in_case", "files") if key in report})
        else:
            missing.append(report.get("folder", ""))
    return found, missing


def _pending_files(conn, items: list[int]) -> tuple[set[str], list[dict]]:
    """Evidence and report files that the purge events of these items name and that may still be
    on disk (a purge interrupted after its commit left them: running it again finishes the job)."""
    evidence: set[str] = set()
    reports: list[dict] = []
    for detail in sql.purge_events(conn):
        purge = orjson.loads(detail)
        if not set(purge.get("items", [])) & set(items):
            continue
        evidence.update(purge.get("evidence_deleted", []))
        reports.extend(purge.get("reports_deleted", []))
    return evidence, reports


def _delete_files(case: Case, pending: tuple[set[str], list[dict]]) -> list[str]:
    """Delete what purge events name: evidence files, and report files whose content is the one the
    report event recorded (a file changed since, or another file in the folder, is left alone)."""
    evidence, reports = pending
    for sha in sorted(evidence):
        case.evidence_path(sha).unlink(missing_ok=True)
    removed = []
    for report in reports:
        folder = report_folder(case.root, report)
        if folder is None or not folder.is_dir():
            continue
        for name, sha in report["files"].items():
            path = folder / name
            if path.is_file() and not path.is_symlink() and hashlib.sha256(path.read_bytes()).hexdigest() == sha:
                path.unlink()
        for sub in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
            _rmdir(sub)
        _rmdir(folder)
        removed.append(str(folder))
    return sorted(set(removed))


def _rmdir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # it holds files the report did not write: they are kept
        folder.rmdir()
