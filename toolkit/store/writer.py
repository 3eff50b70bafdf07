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

from toolkit.models import Capture, DateSource, ItemRef, Kind, Status
from toolkit.store.aliases import aliased_items, record_aliases

# A capture as the writer stores it: (item identity, item URL, parent identity or None, parent URL,
# aliases, capture row without its ids). The row holds the capture table's columns from
# observed_at on, in table order, with `fields` and `raw` already as JSON text: everything the
# writer needs is plain data, cheap to build in a reader process and to send to the writer.
Ident = tuple[str, str, str]
Packed = tuple[Ident, str | None, Ident | None, str | None, tuple[str, ...], tuple]
_STATUSES = {str(status): status for status in Status}
_KINDS = {str(kind): kind for kind in Kind}
_DATE_SOURCES = {str(source): source for source in DateSource}

# Secondary indexes a large import may drop and build again before its commit (see defer_indexes).
DEFERRABLE_INDEXES = ("item_parent", "item_url", "capture_item", "capture_source")
CACHE_LIMIT = 200_000  # identities kept in memory; cleared when full so memory stays flat
IN_CHUNK = 400  # keys per IN (...) lookup (SQLite allows 32766 variables; smaller is faster to plan)


@dataclass(slots=True)
class WrittenCapture:
    capture_id: int
    item_id: int
    capture: Capture


def pack(cap: Capture) -> Packed:
    """The capture as the writer stores it (see `Packed`)."""
    item, parent, fields, raw = cap.item, cap.parent, cap.fields, cap.raw
    status = cap.status
    return (
        (item.platform, str(item.kind), item.key), item.url,
        None if parent is None else (parent.platform, str(parent.kind), parent.key),
        None if parent is None else parent.url,
        cap.aliases,
        (cap.observed_at, status and str(status), cap.status_marker, cap.status_place, cap.detector, cap.name,
         cap.text, cap.url, cap.followers, cap.members, cap.likes, cap.created_at, cap.country,
         _dumps(fields, option=_OPTION, default=str).decode() if fields else None,
         None if raw is None or raw == {} else _dumps(raw, option=_OPTION, default=str).decode(),
         cap.date_source and str(cap.date_source)),
    )


def unpack(record: Packed) -> Capture:
    """The capture a packed record was made from, as far as storing it kept it: `fields` and `raw`
    as JSON reads them back (tuples become lists, non-string keys strings)."""
    ident, url, pident, purl, aliases, row = record
    (observed_at, status, marker, place, detector, name, text, capture_url, followers, members, likes, created_at,
     country, fields, raw, date_source) = row
    return Capture(
        item=ItemRef(ident[0], _KINDS.get(ident[1], ident[1]), ident[2], url),
        status=_STATUSES.get(status, status) if status is not None else None,
        parent=ItemRef(pident[0], _KINDS.get(pident[1], pident[1]), pident[2], purl) if pident is not None else None,
        observed_at=observed_at, name=name, text=text, url=capture_url, followers=followers, members=members,
        likes=likes, created_at=created_at, country=country, status_marker=marker, status_place=place,
        detector=detector, fields=orjson.loads(fields) if fields is not None else {},
        raw=orjson.loads(raw) if raw is not None else None, aliases=aliases,
        date_source=_DATE_SOURCES.get(date_source, date_source) if date_source is not None else None,
    )


_dumps, _OPTION = orjson.dumps, orjson.OPT_NON_STR_KEYS


def defer_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes no write of a scan reads (DEFERRABLE_INDEXES); return the SQL that
    makes them again, for `restore_indexes` before the commit.

    Worth it for a file that adds more rows than the case holds: building an index once, from
    sorted keys, costs less than keeping it in order through a million scattered inserts. DDL is
    transactional in SQLite: a rolled-back import leaves the indexes as they were, and other
    connections never see them missing (they read the last commit).
    """
    marks = ",".join("?" * len(DEFERRABLE_INDEXES))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})"
                         " AND sql IS NOT NULL ORDER BY name", DEFERRABLE_INDEXES).fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def restore_indexes(conn: sqlite3.Connection, statements: list[str]) -> None:
    """Build again the indexes `defer_indexes` dropped (in the same transaction)."""
    for sql in statements:
        conn.execute(sql)


class CaptureWriter:
    """Stores captures for one source inside an open transaction, counting new and seen items."""

    def __init__(self, conn: sqlite3.Connection, source_id: int | None, added_at: str, *, hold_updates: bool = False):
        """`hold_updates`: changes to items that exist (a URL, name or parent gained, a wider time
        span) are gathered per item and written by `finish`, which the caller must then call before
        its commit: a profile seen on every line of a file is updated once, not once per batch."""
        self.conn = conn
        self._held: dict[int, list] | None = {} if hold_updates else None  # item id -> [url, name, parent, first, last]
        self.source_id = source_id
        self.added_at = added_at
        self.cache: dict[tuple[str, str, str], int] = {}
        self.items_new = 0
        self.items_seen = 0
        self._seen_ids: set[int] = set()  # existing items touched (bounded by what existed before)
        self._parents_done: set[tuple[str, str, str]] = set()  # parents whose URL was offered (cleared with the cache)
        self.captures = 0
        self.next_item = (conn.execute("SELECT coalesce(max(id), 0) FROM item").fetchone()[0]) + 1
        # Items with an id from here on were created by this writer: no set of them is needed.
        self.first_new_item = self.next_item
        self.next_capture = (conn.execute("SELECT coalesce(max(id), 0) FROM capture").fetchone()[0]) + 1
        self.merged = 0  # items linked to another one through an alias
        self.conflicts: list[dict] = []  # identity claims refused (see toolkit.store.aliases)
        self._alias_groups: dict[tuple[str, str], bool] = {}  # (platform, kind) -> any alias recorded
        self._aliases_done: set[tuple[int, str, str, str]] = set()  # recorded by this writer (cleared with the cache)
        self._any_alias = conn.execute("SELECT 1 FROM item_alias LIMIT 1").fetchone() is not None

    def _update(self, changes: list[tuple]) -> None:
        """Apply (url, name, parent id, first, last, item id) changes to existing items."""
        if changes:
            # The first name and URL seen are kept (first capture is canonical); times widen.
            self.conn.executemany(
                "UPDATE item SET url = coalesce(url, ?1), name = coalesce(name, ?2), parent_id = coalesce(parent_id, ?3),"
                " first_seen = CASE WHEN first_seen IS NULL OR ?4 < first_seen THEN ?4 ELSE first_seen END,"
                " last_seen = CASE WHEN last_seen IS NULL OR ?5 > last_seen THEN ?5 ELSE last_seen END"
                " WHERE id = ?6",
                changes,
            )

    def finish(self) -> None:
        """Write the item changes held back (with `hold_updates`); a no-op otherwise."""
        if self._held:
            self._update([(*change, item_id) for item_id, change in self._held.items()])
            self._held.clear()

    def _has_aliases(self, platform: str, kind: str) -> bool:
        """Whether any alias of this platform and kind exists (one index probe per writer and group)."""
        known = self._alias_groups.get((platform, kind))
        if known is None:  # no other writer interleaves: an answer holds until this writer adds one
            known = self.conn.execute("SELECT 1 FROM item_alias WHERE platform = ? AND kind = ? LIMIT 1",
                                      (platform, kind)).fetchone() is not None
            self._alias_groups[(platform, kind)] = known
        return known

    def _adopt(self, pending: dict[tuple[str, str, str], str | None]) -> dict[tuple[str, str, str], int]:
        """New idents whose key was recorded as another item's alias: ident -> that canonical item."""
        by_group: dict[tuple[str, str], list[str]] = {}
        for platform, kind, key in pending:
            by_group.setdefault((platform, kind), []).append(key)
        adopt = {}
        for (platform, kind), keys in by_group.items():
            if self._has_aliases(platform, kind):
                for key, root in aliased_items(self.conn, platform, kind, keys).items():
                    adopt[(platform, kind, key)] = root
        return adopt

    def _link_aliases(self, packed: Sequence[Packed], idents: list[tuple[str, str, str]]) -> None:
        """Record the alternative keys the batch's captures carry and link the items they name."""
        pairs = []
        done = self._aliases_done
        for record, ident in zip(packed, idents, strict=True):
            if aliases := record[4]:
                item_id = self.cache[ident]
                for key in aliases:
                    # A profile repeated on every record of a file gives its alias each time: once is enough.
                    pair = (item_id, ident[0], ident[1], key)
                    if key and key != ident[2] and pair not in done:
                        done.add(pair)
                        pairs.append(pair)
                self._alias_groups[(ident[0], ident[1])] = True
        if pairs:
            self._any_alias = True
            merged, conflicts = record_aliases(self.conn, pairs, self.source_id, self.added_at)
            self.merged += merged
            self.conflicts.extend(conflicts)

    def _resolve(self, pending: dict[tuple[str, str, str], str | None]) -> list[tuple[str, str, str]]:
        """Move the idents of `pending` that already exist in the database into the cache; return them."""
        by_group: dict[tuple[str, str], list[str]] = {}
        for platform, kind, key in pending:
            by_group.setdefault((platform, kind), []).append(key)
        found = []
        for (platform, kind), keys in by_group.items():
            for start in range(0, len(keys), IN_CHUNK):
                chunk = keys[start : start + IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    f"SELECT id, key FROM item WHERE platform = ? AND kind = ? AND key IN ({marks})",
                    (platform, kind, *chunk),
                )
                for item_id, key in rows:
                    ident = (platform, kind, key)
                    self.cache[ident] = item_id
                    found.append(ident)
        return found

    def write(self, captures: Sequence[Capture] | None, *, report: bool = True,
              packed: Sequence[Packed] | None = None) -> list[WrittenCapture]:
        """Store a batch of captures; return each with its capture and item ids (none unless `report`).

        `packed` is the same batch as `pack` makes it (a reader process sends batches that way);
        with it, `captures` may be None and is rebuilt with `unpack` only when `report` asks for it.
        The rows stored are the same either way; `report=False` only spares building the list when
        no one reads it (a scan without tagging or callback).
        """
        if packed is None:
            packed = [pack(cap) for cap in captures or ()]
        elif report and captures is None:
            captures = [unpack(record) for record in packed]
        cache = self.cache
        if len(cache) > CACHE_LIMIT:
            cache.clear()
            self._parents_done.clear()
            self._aliases_done.clear()
        # One pass over the batch: identities, the URLs of items not yet known, parents, time spans, names.
        idents: list[tuple[str, str, str]] = []
        pending: dict[tuple[str, str, str], str | None] = {}  # ident -> its URL as first given
        parent_idents: set[tuple[str, str, str]] = set()
        parent_of: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        spans: dict[tuple[str, str, str], tuple[str, str]] = {}
        names: dict[tuple[str, str, str], str] = {}
        observed: dict[tuple[str, str, str], str | None] = {}  # items with a capture here, known before it
        parents_done = self._parents_done
        any_alias = False
        for ident, url, pident, purl, aliases, row in packed:
            idents.append(ident)
            if pident is not None:
                parent_idents.add(pident)
                if pident in cache:
                    if pident not in parents_done and pident not in observed:
                        observed[pident] = purl  # once per writer: it may still lack a URL
                elif pident not in pending:
                    pending[pident] = purl
                if ident not in parent_of:
                    parent_of[ident] = pident
            if ident in cache:
                if ident not in observed:
                    observed[ident] = url
            elif ident not in pending:
                pending[ident] = url
            moment = row[0]
            if moment:
                span = spans.get(ident)
                if span is None:
                    spans[ident] = (moment, moment)
                elif moment < span[0]:
                    spans[ident] = (moment, span[1])
                elif moment > span[1]:
                    spans[ident] = (span[0], moment)
            if row[5] and ident not in names:
                names[ident] = row[5]
            if aliases:
                any_alias = True

        existing = self._resolve(pending) if pending else []
        # Items known before this batch that it observes, or that are older than this writer and
        # touched for the first time, may gain a URL, name or parent, and widen their time span.
        touched = {ident: pending.pop(ident) for ident in existing}
        adopt = self._adopt(pending) if pending and self._any_alias else {}
        touched.update(observed)
        parents_done.update(parent_idents)

        # New items, parents first so that a child's parent_id always points at an existing row.
        new_rows = []
        if pending:
            ordered = [i for i in pending if i in parent_idents] + [i for i in pending if i not in parent_idents]
            for ident in ordered:
                item_id = self.next_item
                self.next_item += 1
                cache[ident] = item_id
                pident = parent_of.get(ident)
                span = spans.get(ident) or (None, None)
                new_rows.append((item_id, ident[0], ident[1], ident[2], pending[ident], names.get(ident),
                                 cache[pident] if pident else None, span[0], span[1], self.added_at))
            self.items_new += len(new_rows)
            self.conn.executemany(
                "INSERT INTO item (id, platform, kind, key, url, name, parent_id, first_seen, last_seen, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                new_rows,
            )
            if adopt:
                # A key recorded before as another item's alias: the new item is merged into that one.
                self.conn.executemany("UPDATE item SET merged_into = ? WHERE id = ?",
                                      [(root, cache[ident]) for ident, root in adopt.items()])
                self.merged += len(adopt)

        held = self._held
        if held is None:
            self._update([(url, names.get(ident), cache[parent_of[ident]] if ident in parent_of else None,
                           *(spans.get(ident) or (None, None)), cache[ident]) for ident, url in touched.items()])
        else:
            for ident, url in touched.items():
                item_id = cache[ident]
                first, last = spans.get(ident) or (None, None)
                change = held.get(item_id)
                if change is None:
                    held[item_id] = [url, names.get(ident), cache[parent_of[ident]] if ident in parent_of else None,
                                     first, last]
                    continue
                # Folded as the UPDATEs one after another would have: first values kept, times widened.
                if change[0] is None:
                    change[0] = url
                if change[1] is None:
                    change[1] = names.get(ident)
                if change[2] is None and ident in parent_of:
                    change[2] = cache[parent_of[ident]]
                if first is not None and (change[3] is None or first < change[3]):
                    change[3] = first
                if last is not None and (change[4] is None or last > change[4]):
                    change[4] = last
            if len(held) >= CACHE_LIMIT:
                self.finish()

        rows = []
        written = []
        capture_id = self.next_capture
        first_new = self.first_new_item
        seen = self._seen_ids
        source_id = self.source_id
        for record, ident in zip(packed, idents, strict=True):
            item_id = cache[ident]
            if item_id < first_new and item_id not in seen:
                seen.add(item_id)
                self.items_seen += 1
            rows.append((capture_id, item_id, source_id, *record[5]))
            capture_id += 1
        if report and captures is not None:
            first = self.next_capture
            written = [WrittenCapture(first + n, cache[ident], cap)
                       for n, (cap, ident) in enumerate(zip(captures, idents, strict=True))]
        self.next_capture = capture_id
        self.conn.executemany(
            "INSERT INTO capture (id, item_id, source_id, observed_at, status, status_marker, status_place, detector,"
            " name, text, url, followers, members, likes, created_at, country, fields, raw, date_source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.captures += len(rows)
        if any_alias:
            self._link_aliases(packed, idents)
        return written
