"""Item aliases: one page or account known under several keys is one item when read.

The rule (also in docs/detectors.md, "URL identity"):

- a source that knows two keys of one item (a page's vanity name and its numeric id) says so with
  `Capture.aliases`; the writer records each alternative key in `item_alias` with the item it was
  given for;
- when two items turn out to be the same (an alias names another existing item, or an item is
  created under a key already recorded as an alias), they are *linked*: the one the case recorded
  first (lowest id) stays canonical and the other gets `item.merged_into` = that id. Links are
  transitive and kept flat: `merged_into` always names a canonical item;
- merges need agreement: two items are linked only when what the case knows of them does not
  contradict the claim. Each item's keys and aliases are sorted into ids (numeric, `id:<n>`) and
  names (vanity names, handles); when both items know ids and none is shared, or both know names
  and none is shared, they are different accounts (a page that says it is another page's id, a
  hostile copy, or a rename the researcher must decide). The claim is then recorded in
  `identity_conflict` instead: no alias row, no merge, each item keeps its own captures and
  checks, so a status seen on the claiming page never becomes the other item's;
- nothing is rewritten: captures, reviews, notices and checks keep the item id they were recorded
  with (captures are custody-chained); every reader folds a merged item into its canonical item.

All SQL with bound parameters only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

IN_CHUNK = 400  # keys per IN (...) lookup, as in the writer


def member_of(column: str, item: str) -> str:
    """An SQL condition: the item id in `column` is the item `item` names (an SQL expression) or an
    item merged into it (through the partial index on `merged_into`)."""
    return f"({column} = {item} OR {column} IN (SELECT m.id FROM item m WHERE m.merged_into = {item}))"


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


def key_class(key: str) -> str:
    """What a key is, for agreement: `id` (numeric, or `id:<n>`), `url` (share links keyed by
    their URL: an item has several) or `name` (vanity names, handles, slugs)."""
    if key.isdigit() or (key.startswith("id:") and key[3:].isdigit()):
        return "id"
    return "url" if "://" in key else "name"


def identities(conn: sqlite3.Connection, item_id: int) -> dict[str, set[str]]:
    """The ids and names the case knows an item by (its merged items' and aliases' too)."""
    found: dict[str, set[str]] = {"id": set(), "name": set()}
    for key in known_keys(conn, item_id):
        cls = key_class(key)
        if cls in found:
            found[cls].add(key)
    return found


def disagreement(a: dict[str, set[str]], b: dict[str, set[str]]) -> str | None:
    """What contradicts merging two items' identities, or None when they agree: both know ids
    and share none, or both know names and share none."""
    for cls, label in (("id", "ids"), ("name", "names")):
        if a[cls] and b[cls] and not a[cls] & b[cls]:
            return f"{label} differ: {', '.join(sorted(a[cls])[:3])} / {', '.join(sorted(b[cls])[:3])}"
    return None


def record_aliases(conn: sqlite3.Connection, pairs: Iterable[tuple[int, str, str, str]], source_id: int | None,
                   added_at: str) -> tuple[int, list[dict]]:
    """Record alternative keys and link items: each pair is (item id, platform, kind, alias key).

    An alias key that is another item's own key, or an alias recorded before for another item,
    links the two items when their identities agree (see the module docstring); when they
    contradict, the claim is recorded as an identity conflict and neither the alias nor the link
    is made. Returns how many items were merged and the conflicts recorded (as dicts).
    """
    by_group: dict[tuple[str, str], dict[str, list[int]]] = {}
    for item_id, platform, kind, key in pairs:
        by_group.setdefault((platform, kind), {}).setdefault(key, []).append(item_id)
    merged = 0
    conflicts: list[dict] = []

    def join(claimant: int, other: int, platform: str, kind: str, key: str) -> bool:
        """Link `claimant` (claiming `key`) and `other` (known by it) when they agree."""
        nonlocal merged
        if canonical_id(conn, claimant) == canonical_id(conn, other):
            return True
        # What each item is known by before this claim: the claimed key itself proves nothing.
        reason = disagreement(identities(conn, claimant), identities(conn, other))
        if reason is not None:
            conflict = record_conflict(conn, platform, kind, key, claimant, other, source_id, reason, added_at)
            if conflict is not None:
                conflicts.append(conflict)
            return False
        merged += link(conn, claimant, other) is not None
        return True

    for (platform, kind), keyed in by_group.items():
        keys = list(keyed)
        refused: set[tuple[str, int]] = set()
        for start in range(0, len(keys), IN_CHUNK):
            chunk = keys[start : start + IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            others: list[tuple[str, int]] = list(conn.execute(
                f"SELECT key, id FROM item WHERE platform = ? AND kind = ? AND key IN ({marks})"
                f" UNION ALL SELECT key, item_id FROM item_alias WHERE platform = ? AND kind = ? AND key IN ({marks})",
                (platform, kind, *chunk, platform, kind, *chunk)))
            for key, other in others:
                for item_id in keyed[key]:
                    if not join(item_id, other, platform, kind, key):
                        refused.add((key, item_id))
            rows = []
            for key in chunk:
                # The alias belongs to the first claimant that does not contradict what it names.
                owner = next((i for i in keyed[key] if (key, i) not in refused), None)
                if owner is not None:
                    rows.append((platform, kind, key, owner, source_id, added_at))
            conn.executemany(
                "INSERT OR IGNORE INTO item_alias (platform, kind, key, item_id, source_id, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", rows)
        # Several items given the same alias in this batch are one item too, when they agree.
        for key, ids in keyed.items():
            for other in ids[1:]:
                if (key, ids[0]) not in refused and (key, other) not in refused:
                    join(other, ids[0], platform, kind, key)
    return merged, conflicts


def record_conflict(conn: sqlite3.Connection, platform: str, kind: str, key: str, item_id: int, other_id: int,
                    source_id: int | None, reason: str, added_at: str) -> dict | None:
    """Record that `item_id` claimed `key`, which names `other_id`, against what the case knows.
    Returns the conflict (with both items' keys) when it is new, None when recorded before."""
    item_id, other_id = canonical_id(conn, item_id), canonical_id(conn, other_id)
    cursor = conn.execute(
        "INSERT OR IGNORE INTO identity_conflict (platform, kind, key, item_id, other_id, source_id, reason, added_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (platform, kind, key, item_id, other_id, source_id, reason, added_at))
    if not cursor.rowcount:
        return None
    keys = dict(conn.execute("SELECT id, key FROM item WHERE id IN (?, ?)", (item_id, other_id)).fetchall())
    return {"platform": platform, "kind": kind, "key": key, "item_id": item_id, "item_key": keys.get(item_id),
            "other_id": other_id, "other_key": keys.get(other_id), "reason": reason}


def conflicts_of(conn: sqlite3.Connection, item_ids: Iterable[int] | None = None) -> list[dict]:
    """Recorded identity conflicts (of these items, either side, when given), oldest first, with
    both items' keys and the claiming source's path."""
    sql = ("SELECT c.id, c.platform, c.kind, c.key, c.item_id, i.key AS item_key, c.other_id, o.key AS other_key,"
           " c.reason, c.added_at, s.path AS source FROM identity_conflict c JOIN item i ON i.id = c.item_id"
           " JOIN item o ON o.id = c.other_id LEFT JOIN source s ON s.id = c.source_id")
    params: list[int] = []
    if item_ids is not None:
        wanted = sorted(set(item_ids))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        sql += f" WHERE c.item_id IN ({marks}) OR c.other_id IN ({marks})"
        params = [*wanted, *wanted]
    return [dict(row) for row in conn.execute(sql + " ORDER BY c.id", params)]


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
