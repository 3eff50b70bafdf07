"""Item aliases: one page or account known under several keys is one item when read.

The rule (also in the README, "URL identity"):

- a source that knows two keys of one item (a page's vanity name and its numeric id) says so with
  `Capture.aliases`; the writer records each alternative key in `item_alias` with the item it was
  given for;
- when two items turn out to be the same (an alias names another existing item, or an item is
  created under a key already recorded as an alias), they are *linked*: the one the case recorded
  first (lowest id) stays canonical and the other gets `item.merged_into` = that id. Links are
  transitive and kept flat: `merged_into` always names a canonical item;
- nothing is rewritten: captures, reviews, notices and checks keep the item id they were recorded
  with (captures are custody-chained); every reader folds a merged item into its canonical item.

All SQL with bound parameters only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

IN_CHUNK = 400  # keys per IN (...) lookup, as in the writer


def canonical_id(conn: sqlite3.Connection, item_id: int) -> int:
    """The canonical item of `item_id` (itself when it was never merged)."""
    row = conn.execute("SELECT merged_into FROM item WHERE id = ?", (item_id,)).fetchone()
    return row[0] if row is not None and row[0] is not None else item_id


def merged_map(conn: sqlite3.Connection) -> dict[int, int]:
    """Every merged item id -> its canonical id (usually empty; read from a partial index)."""
    return dict(conn.execute("SELECT id, merged_into FROM item WHERE merged_into IS NOT NULL"))


def members(conn: sqlite3.Connection, item_id: int) -> list[int]:
    """The canonical item of `item_id` and every item merged into it, in id order."""
    root = canonical_id(conn, item_id)
    rows = conn.execute("SELECT id FROM item WHERE merged_into = ? ORDER BY id", (root,))
    return [root, *(row[0] for row in rows)]


def alias_target(conn: sqlite3.Connection, platform: str, kind: str, key: str) -> int | None:
    """The canonical item a recorded alias key names, or None."""
    row = conn.execute("SELECT item_id FROM item_alias WHERE platform = ? AND kind = ? AND key = ?",
                       (platform, kind, key)).fetchone()
    return canonical_id(conn, row[0]) if row is not None else None


def known_keys(conn: sqlite3.Connection, item_id: int) -> list[str]:
    """Every key the item is known by: its own, its merged items' and its aliases' (sorted, unique)."""
    ids = members(conn, item_id)
    marks = ",".join("?" * len(ids))
    keys = {row[0] for row in conn.execute(f"SELECT key FROM item WHERE id IN ({marks})", ids)}
    keys |= {row[0] for row in conn.execute(f"SELECT key FROM item_alias WHERE item_id IN ({marks})", ids)}
    return sorted(keys)


def link(conn: sqlite3.Connection, a: int, b: int) -> int | None:
    """Make items `a` and `b` one: the lower canonical id stays canonical. Returns the id that was
    merged (None when they already were one). Runs in the caller's transaction."""
    ra, rb = canonical_id(conn, a), canonical_id(conn, b)
    if ra == rb:
        return None
    keep, merge = min(ra, rb), max(ra, rb)
    # Items already merged into the one being merged follow it, so every link stays one step.
    conn.execute("UPDATE item SET merged_into = ? WHERE id = ? OR merged_into = ?", (keep, merge, merge))
    return merge


def record_aliases(conn: sqlite3.Connection, pairs: Iterable[tuple[int, str, str, str]], source_id: int | None,
                   added_at: str) -> int:
    """Record alternative keys and link items: each pair is (item id, platform, kind, alias key).

    An alias key that is another item's own key, or an alias recorded before for another item,
    links the two items. Returns how many items were merged.
    """
    by_group: dict[tuple[str, str], dict[str, list[int]]] = {}
    for item_id, platform, kind, key in pairs:
        by_group.setdefault((platform, kind), {}).setdefault(key, []).append(item_id)
    merged = 0
    for (platform, kind), keyed in by_group.items():
        keys = list(keyed)
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            others: list[tuple[str, int]] = list(conn.execute(
                f"SELECT key, id FROM item WHERE platform = ? AND kind = ? AND key IN ({marks})"
                f" UNION ALL SELECT key, item_id FROM item_alias WHERE platform = ? AND kind = ? AND key IN ({marks})",
                (platform, kind, *chunk, platform, kind, *chunk)))
            for key, other in others:
                for item_id in keyed[key]:
                    merged += link(conn, item_id, other) is not None
            conn.executemany(
                "INSERT OR IGNORE INTO item_alias (platform, kind, key, item_id, source_id, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(platform, kind, key, keyed[key][0], source_id, added_at) for key in chunk])
        # Several items given the same alias in this batch are one item too.
        for ids in keyed.values():
            for other in ids[1:]:
                merged += link(conn, ids[0], other) is not None
    return merged


def aliased_items(conn: sqlite3.Connection, platform: str, kind: str, keys: list[str]) -> dict[str, int]:
    """For keys recorded as aliases of (platform, kind) items: key -> the canonical item id."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT a.key, coalesce(i.merged_into, i.id) FROM item_alias a JOIN item i ON i.id = a.item_id"
            f" WHERE a.platform = ? AND a.kind = ? AND a.key IN ({marks})", (platform, kind, *chunk))
        found.update(rows)
    return found
