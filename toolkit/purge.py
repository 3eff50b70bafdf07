"""Purging one person's personal data on request, keeping the custody log verifiable.

The item (and everything under it) loses its names, texts, URLs, raw records, matched spans and
contact values; evidence fetched for its checks alone (pages, browser screenshots) is deleted. The
copies of whole exports in evidence/ (and a browser capture's screenshot and snapshot) also hold the
data: `delete_exports=True` deletes those copies too (they hold everyone else's data as well, so it
is a choice). A `purge` event in the log records what changed: the new
content hash of each rewritten source, the sha256 of every removed value (so a later dispute can
prove what was removed without keeping it) and the evidence files deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.case import Case, utcnow
from toolkit.errors import UsageError
from toolkit.store import events, transaction
from toolkit.store import purge as sql


@dataclass
class PurgeResult:
    items: list[int]
    removed_values: int
    evidence_deleted: list[str] = field(default_factory=list)
    exports_kept: list[tuple[int, str]] = field(default_factory=list)  # sources whose copy still holds the data
    event_hash: str = ""


def purge_item(case: Case, item_id: int, *, reason: str, delete_exports: bool = False) -> PurgeResult:
    """Remove the personal data of `item_id` and its children; record a purge event."""
    if case.db.execute("SELECT 1 FROM item WHERE id = ?", (item_id,)).fetchone() is None:
        raise UsageError(f"no item {item_id} in this case", "Find the id with: toolkit items CASE --query TEXT")
    if events.unsealed(case.db):
        events.seal(case.db, utcnow())
    with transaction(case.db) as conn:
        items = sql.items_to_purge(conn, item_id)
        removed, sources, check_evidence = sql.blank_personal_data(conn, items)
        to_delete = [sha for sha in check_evidence if not sql.evidence_shared_with_others(conn, sha, items)]
        kept: list[tuple[int, str]] = []
        for source_id, path, evidence in sql.source_evidence(conn, sources):
            if evidence and delete_exports:
                to_delete.append(evidence)
                to_delete.extend(sql.source_attachment_files(conn, source_id))
            elif evidence:
                kept.append((source_id, path))
        rewritten = [["source", s, events.content_hash(conn, "source", s)] for s in sources]
    for sha in to_delete:
        case.evidence_path(sha).unlink(missing_ok=True)
    detail = {
        "items": items,
        "reason": reason,
        "rewritten": rewritten,
        "removed": removed,
        "evidence_deleted": sorted(set(to_delete)),
    }
    digest = events.record(case.db, "purge", events.detail_hash(detail), utcnow(), detail)
    return PurgeResult(items, len(removed), sorted(set(to_delete)), kept, digest)
