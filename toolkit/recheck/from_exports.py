"""Rechecks from later exports: scan new exports and saved pages as usual, and turn every capture
of a tracked item into an `export` check of the wave.

- A capture that states the item's state (a saved page read by its detector, a row in a later
  CrowdTangle export) gives a check with that status, the capture's time, and the source file's
  sha256 as evidence. A capture that states nothing (a URL list) gives no check. A file that shows
  the item more than once (a HAR or WARC that loaded its page twice) gives a check per distinct
  observation (time and status), and the status rule decides the wave between them.
- A tracked item absent from an export that holds its parent (the page, group or channel it was
  posted in) gets `not_seen`: the export looked where the item was and did not show it. That is
  never read as gone; the export may simply not reach back far enough.
- Except a Telegram message whose channel or group the export holds around it: when one export
  file holds messages of that chat both before and after the tracked message (its first and last
  message ids bracket it), the chat's history there was exported whole and the message is no
  longer in it: `unavailable` (gone), reason `missing-from-full-export`, the file as evidence.
  (`unavailable`, not `removed`: a missing message does not say whether Telegram or the channel's
  owner deleted it.) An export that ends before or starts after the message keeps `not_seen`.
- Checks are recorded inside the file's import transaction, so a file is imported with its checks
  or not at all; a file imported before (by `scan` or an interrupted run) is matched from the
  store. Re-running adds nothing twice.
- A saved page of a canary (case.toml `[canary]`) is a canary reading of the run, placed before its
  checks: when it does not read live, the run's checks of that platform are blind
  (toolkit.recheck.canary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.case import Case
from toolkit.models import Method, Status
from toolkit.platforms import identify
from toolkit.recheck.canary import Canary, new_run
from toolkit.scan.pipeline import FileResult, Progress, Tagger, scan_paths
from toolkit.store import source_rows
from toolkit.store.aliases import known_keys, merged_map
from toolkit.store.canaries import CanaryRow, canary_reading_exists, insert_canary_rows, last_check_id
from toolkit.store.checks import (
    CheckRecord,
    TrackedItem,
    insert_check,
    run_scope,
    source_captures,
    source_message_ids,
)
from toolkit.store.db import Connection
from toolkit.store.writer import WrittenCapture


@dataclass
class ExportStats:
    files: list[FileResult] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    added: int = 0
    not_seen: int = 0
    missing: int = 0  # Telegram messages missing from an export that brackets them
    canaries: list[CanaryRow] = field(default_factory=list)  # canary readings recorded by this run


def dated_by_posts(rows: list[dict[str, Any]], item: str, parent: str) -> list[dict[str, Any]]:
    """The rows (captures of one file, in file order) with each capture dated at its post (a
    CrowdTangle account's counts "at posting": `at_posting`) dated instead by the next capture of a
    post under it: the export's time. As a look at the account in a wave, the export saw it when it
    was made, not when the post was written (months before: the wave would start then). `item` and
    `parent` name the keys holding a row's item and its parent."""
    out = []
    for index, row in enumerate(rows):
        if row.get("at_posting"):
            # Its post follows it (parents first, row by row): look a few captures ahead, no further.
            child = next((r for r in rows[index + 1:index + 4] if r[parent] == row[item]), None)
            if child is not None:
                row = {**row, "observed_at": child["observed_at"], "date_source": child["date_source"]}
        out.append(row)
    return out


def _record_capture(conn: Connection, wave_id: int, row: dict[str, Any]) -> bool:
    record = CheckRecord(
        item_id=row["item_id"], wave_id=wave_id, observed_at=row["observed_at"], method=str(Method.EXPORT),
        status=row["status"], reason=row.get("reason"), detector=row["detector"], final_url=None,
        evidence_sha256=row["sha256"],
        marker=row["status_marker"], place=row["status_place"], note=f"from {row['path']}",
        date_source=row.get("date_source"),
    )
    # One check per observation of the item in the export file: a file that holds the item twice (a
    # HAR or WARC that loaded the page behind a login wall, then logged in) gives both looks, and the
    # status rule decides between them (the latest known reading). Keeping only the file's first
    # capture dropped the later look. A resumed or repeated run adds nothing: the same file gives the
    # same observations.
    return insert_check(conn, record, unique_by=("evidence_sha256", "observed_at", "status"))


class _Matcher:
    """Finds the tracked item a capture shows: by item id (or the item it was merged into through an
    alias), else by the identity of its URLs or a key the tracked item is known by (a page saved
    under its numeric id is the same page a URL list tracked by its vanity name)."""

    def __init__(self, conn: Connection, items: Iterable[TrackedItem]):
        self.conn = conn
        self.tracked = {item.id: item for item in items}
        self.by_identity: dict[tuple[str, str, str], int] = {}
        for item in self.tracked.values():
            self.by_identity.setdefault((item.platform, item.kind, item.key), item.id)
            if item.url:
                self.by_identity.setdefault(identify(item.url, item.platform).identity, item.id)
            for key in known_keys(conn, item.id):
                self.by_identity.setdefault((item.platform, item.kind, key), item.id)
        self.refresh()

    def refresh(self) -> None:
        """Re-read which items are merged into which (a scan can link items as it goes)."""
        self.merged = merged_map(self.conn)

    def match(self, item_id: int, platform: str, urls: Iterable[str | None]) -> int | None:
        item_id = self.merged.get(item_id, item_id)
        if item_id in self.tracked:
            return item_id
        for url in urls:
            if url:
                found = self.by_identity.get(identify(url, platform).identity)
                if found is not None:
                    return found
        return None


class _Canaries:
    """Records the saved pages of canaries found in the exports as one round placed before the run's checks."""

    def __init__(self, conn: Connection, wave_id: int, canaries: Iterable[Canary], stats: ExportStats, run: str):
        self.conn, self.wave_id, self.stats, self.run = conn, wave_id, stats, run
        self.by_identity = {identify(c.url, c.platform).identity: c for c in canaries}
        self.after = last_check_id(conn)

    def see(self, platform: str, identities: Iterable[tuple[str, str, str]], urls: Iterable[str | None],
            row: dict[str, Any]) -> bool:
        """Record the capture `row` when it shows a canary; return whether it did."""
        if not self.by_identity or row["status"] is None:
            return False
        found = [*identities, *(identify(u, platform).identity for u in urls if u)]
        canary = next((self.by_identity[i] for i in found if i in self.by_identity), None)
        if canary is None:
            return False
        if not canary_reading_exists(self.conn, self.wave_id, str(Method.EXPORT), canary.url, row["sha256"]):
            record = CanaryRow(wave_id=self.wave_id, method=str(Method.EXPORT), run=self.run, round=1,
                               after_check=self.after, platform=canary.platform, url=canary.url,
                               observed_at=row["observed_at"], status=row["status"], reason=row.get("reason"),
                               detector=row["detector"], evidence_sha256=row["sha256"], note=f"from {row['path']}")
            insert_canary_rows(self.conn, [record])
            self.stats.canaries.append(record)
        return True


def recheck_from_exports(case: Case, wave_id: int, items: Iterable[TrackedItem], paths: list[str], *,
                         fmt: str | None = None, collected_at: str | None = None, tagger: Tagger | None = None,
                         progress: Callable[[Progress], None] | None = None,
                         canaries: Iterable[Canary] = ()) -> ExportStats:
    """Scan `paths` into the case and record export checks in the wave for the tracked `items`;
    saved pages of `canaries` become the run's canary readings."""
    # One run: its checks and its canary round carry its name, so a canary page that read a wall
    # blinds this run's checks and never those of a later run of the wave (toolkit.store.status).
    with run_scope(case.db, new_run()) as run:
        return _recheck(case, wave_id, items, paths, fmt=fmt, collected_at=collected_at, tagger=tagger,
                        progress=progress, canaries=canaries, run=run)


def _recheck(case: Case, wave_id: int, items: Iterable[TrackedItem], paths: list[str], *, fmt: str | None,
             collected_at: str | None, tagger: Tagger | None, progress: Callable[[Progress], None] | None,
             canaries: Iterable[Canary], run: str) -> ExportStats:
    matcher = _Matcher(case.db, items)
    stats = ExportStats()
    conn = case.db
    guard = _Canaries(conn, wave_id, canaries, stats, run)

    def add(row: dict[str, Any]) -> None:
        if _record_capture(conn, wave_id, row):
            stats.added += 1
            stats.counts[row["status"]] += 1

    def on_written(written: list[WrittenCapture]) -> None:
        # Runs inside the file's transaction: the checks commit (or roll back) with the import.
        matcher.refresh()
        rows = [{"observed_at": w.capture.observed_at, "date_source": w.capture.date_source and str(w.capture.date_source),
                 "at_posting": w.capture.fields.get("at_posting"), "identity": w.capture.item.identity,
                 "parent": w.capture.parent.identity if w.capture.parent else None} for w in written]
        source = None
        for w, dated in zip(written, dated_by_posts(rows, "identity", "parent"), strict=True):
            cap = w.capture
            if cap.status is None:
                continue
            if source is None:
                source = source_rows.of_capture(conn, w.capture_id)
            row = {"observed_at": dated["observed_at"], "status": str(cap.status), "detector": cap.detector,
                   "status_marker": cap.status_marker, "status_place": cap.status_place,
                   "reason": cap.fields.get("status_reason"), "sha256": source["sha256"], "path": source["path"],
                   "date_source": dated["date_source"]}
            if guard.see(cap.item.platform, [cap.item.identity], (cap.url,), row):
                continue
            tracked = matcher.match(w.item_id, cap.item.platform, (cap.url, cap.item.url))
            if tracked is None:
                continue
            add({**row, "item_id": tracked})

    stats.files = scan_paths(case, paths, fmt=fmt, collected_at=collected_at, tagger=tagger, progress=progress,
                             on_written=on_written)
    sources = [r.source_id for r in stats.files if r.outcome in {"imported", "already"} and r.source_id]
    matcher.refresh()
    captured: dict[int, dict[str, Any]] = {}  # item id (stored and tracked) -> a capture of it in these exports
    for source_id in sources:
        for row in dated_by_posts(source_captures(conn, source_id), "item_id", "parent_id"):
            captured.setdefault(matcher.merged.get(row["item_id"], row["item_id"]), row)
            if guard.see(row["platform"], [], (row["url"], row["item_url"]), row):
                continue
            tracked = matcher.match(row["item_id"], row["platform"], (row["url"], row["item_url"]))
            if tracked is None:
                continue
            captured.setdefault(tracked, row)
            if row["status"] is not None:
                # A file imported before this run (or by an interrupted one) is matched from the store;
                # for files imported just now this finds the checks already there and adds nothing.
                add({**row, "item_id": tracked})

    held = {source_id: source_message_ids(conn, [source_id]) for source_id in sources}
    for item in matcher.tracked.values():
        parent_id = matcher.merged.get(item.parent_id, item.parent_id) if item.parent_id is not None else None
        if item.id in captured or parent_id is None or parent_id not in captured:
            continue
        gone = _bracketing(conn, item, parent_id, held)
        if gone is not None:
            record = CheckRecord(
                item_id=item.id, wave_id=wave_id, observed_at=gone["observed_at"], method=str(Method.EXPORT),
                status=str(Status.UNAVAILABLE), reason="missing-from-full-export", evidence_sha256=gone["sha256"],
                note=f"missing from {gone['path']}, which holds messages {gone['first']} to {gone['last']} of its chat",
                date_source=gone.get("date_source"))
            if insert_check(conn, record, unique_by=("evidence_sha256",)):
                stats.added += 1
                stats.missing += 1
                stats.counts[record.status] += 1
            continue
        parent = captured[parent_id]
        record = CheckRecord(
            item_id=item.id, wave_id=wave_id, observed_at=parent["observed_at"], method=str(Method.EXPORT),
            status=str(Status.NOT_SEEN), reason="absent-from-export", evidence_sha256=parent["sha256"],
            note=f"absent from {parent['path']}, which holds its parent", date_source=parent.get("date_source"),
        )
        if insert_check(conn, record, unique_by=("evidence_sha256",)):
            stats.added += 1
            stats.not_seen += 1
            stats.counts[record.status] += 1
    return stats


def _bracketing(conn: Connection, item: TrackedItem, parent_id: int,
                held: dict[int, dict[int, list[int]]]) -> dict[str, Any] | None:
    """The export file that holds the tracked Telegram message's chat on both sides of it (and so
    would hold the message were it still there), with its first and last message ids; else None."""
    tail = item.key.rsplit("/", 1)[-1]
    if item.platform != "telegram" or item.kind != "message" or not tail.isdigit():
        return None
    number = int(tail)
    for source_id, chats in held.items():
        ids = chats.get(parent_id)
        if ids and ids[0] < number < ids[-1]:
            row = source_rows.first_capture_in(conn, source_id, parent_id)
            if row is not None:
                return {**dict(row), "first": ids[0], "last": ids[-1]}
    return None
