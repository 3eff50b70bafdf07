"""Writing captures in batches: items resolved or created by identity, captures appended.

Runs inside the caller's transaction (one per source file). Ids are assigned explicitly from the
table maxima read when the writer starts: the transaction holds SQLite's write lock, so no other
writer can interleave, and the ids of new captures are known without reading them back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from toolkit.models import Capture, ItemRef

CACHE_LIMIT = 200_000  # identities kept in memory; cleared when full so memory stays flat
IN_CHUNK = 400  # keys per IN (...) lookup (SQLite allows 32766 variables; smaller is faster to plan)


def _json(value: object) -> str | None:
    if value is None or value == {}:
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


@dataclass
class WrittenCapture:
    capture_id: int
    item_id: int
    capture: Capture


class CaptureWriter:
    """Stores captures for one source inside an open transaction, counting new and seen items."""

    def __init__(self, conn: sqlite3.Connection, source_id: int | None, added_at: str):
        self.conn = conn
        self.source_id = source_id
        self.added_at = added_at
        self.cache: dict[tuple[str, str, str], int] = {}
        self.items_new = 0
        self.items_seen = 0
        self._seen_ids: set[int] = set()  # existing items touched (bounded by what existed before)
        self.captures = 0
        self.next_item = (conn.execute("SELECT coalesce(max(id), 0) FROM item").fetchone()[0]) + 1
        # Items with an id from here on were created by this writer: no set of them is needed.
        self.first_new_item = self.next_item
        self.next_capture = (conn.execute("SELECT coalesce(max(id), 0) FROM capture").fetchone()[0]) + 1

    def _resolve(self, refs: dict[tuple[str, str, str], ItemRef]) -> None:
        """Fill the cache with the ids of `refs` that already exist in the database."""
        missing = [ident for ident in refs if ident not in self.cache]
        by_group: dict[tuple[str, str], list[str]] = {}
        for platform, kind, key in missing:
            by_group.setdefault((platform, kind), []).append(key)
        for (platform, kind), keys in by_group.items():
            for start in range(0, len(keys), IN_CHUNK):
                chunk = keys[start : start + IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    f"SELECT id, key FROM item WHERE platform = ? AND kind = ? AND key IN ({marks})",
                    (platform, kind, *chunk),
                )
                for item_id, key in rows:
                    self.cache[(platform, kind, key)] = item_id

    def write(self, captures: Sequence[Capture]) -> list[WrittenCapture]:
        """Store a batch of captures; return each with its capture and item ids."""
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()
        refs: dict[tuple[str, str, str], ItemRef] = {}
        parents: dict[tuple[str, str, str], ItemRef] = {}
        for cap in captures:
            refs.setdefault(cap.item.identity, cap.item)
            if cap.parent is not None:
                refs.setdefault(cap.parent.identity, cap.parent)
                parents.setdefault(cap.item.identity, cap.parent)
        self._resolve(refs)

        # First and last capture time per item in this batch, for first_seen/last_seen.
        times: dict[tuple[str, str, str], list[str]] = {}
        names: dict[tuple[str, str, str], str] = {}
        for cap in captures:
            if cap.observed_at:
                span = times.setdefault(cap.item.identity, [cap.observed_at, cap.observed_at])
                span[0] = min(span[0], cap.observed_at)
                span[1] = max(span[1], cap.observed_at)
            if cap.name and cap.item.identity not in names:
                names[cap.item.identity] = cap.name

        new_rows = []
        created: set[int] = set()
        # Parents first, so a child's parent_id always points at an existing row.
        parent_idents = {p.identity for p in parents.values()}
        ordered = sorted(refs, key=lambda ident: ident not in parent_idents)
        for ident in ordered:
            if ident in self.cache:
                continue
            ref = refs[ident]
            item_id = self.next_item
            self.next_item += 1
            self.cache[ident] = item_id
            created.add(item_id)
            self.items_new += 1
            parent = parents.get(ident)
            span = times.get(ident, [None, None])
            new_rows.append(
                (item_id, ref.platform, str(ref.kind), ref.key, ref.url, names.get(ident),
                 self.cache[parent.identity] if parent else None, span[0], span[1], self.added_at)
            )
        if new_rows:
            self.conn.executemany(
                "INSERT INTO item (id, platform, kind, key, url, name, parent_id, first_seen, last_seen, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                new_rows,
            )
        updates = []
        for ident in refs:
            item_id = self.cache[ident]
            if item_id in created:
                continue
            parent = parents.get(ident)
            span = times.get(ident, [None, None])
            updates.append((refs[ident].url, names.get(ident), self.cache[parent.identity] if parent else None,
                            span[0], span[0], span[1], span[1], item_id))
        if updates:
            # The first name and URL seen are kept (first capture is canonical); times widen.
            self.conn.executemany(
                "UPDATE item SET url = coalesce(url, ?), name = coalesce(name, ?), parent_id = coalesce(parent_id, ?),"
                " first_seen = CASE WHEN first_seen IS NULL OR ? < first_seen THEN ? ELSE first_seen END,"
                " last_seen = CASE WHEN last_seen IS NULL OR ? > last_seen THEN ? ELSE last_seen END"
                " WHERE id = ?",
                updates,
            )

        rows = []
        written = []
        for cap in captures:
            item_id = self.cache[cap.item.identity]
            if item_id < self.first_new_item and item_id not in self._seen_ids:
                self._seen_ids.add(item_id)
                self.items_seen += 1
            capture_id = self.next_capture
            self.next_capture += 1
            rows.append(
                (capture_id, item_id, self.source_id, cap.observed_at, cap.status and str(cap.status), cap.status_marker,
                 cap.status_place, cap.detector, cap.name, cap.text, cap.url, cap.followers, cap.members,
                 cap.likes, cap.created_at, cap.country, _json(cap.fields), _json(cap.raw))
            )
            written.append(WrittenCapture(capture_id, item_id, cap))
        self.conn.executemany(
            "INSERT INTO capture (id, item_id, source_id, observed_at, status, status_marker, status_place, detector,"
            " name, text, url, followers, members, likes, created_at, country, fields, raw)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.captures += len(rows)
        return written
