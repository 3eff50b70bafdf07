"""Finding items by id, identity or URL. All SQL with bound parameters only."""

from __future__ import annotations

import sqlite3
from typing import Any

# SQLite integers are signed 64-bit: a larger number (a 20-digit platform id pasted as an item id)
# names no item, and binding it would raise OverflowError.
MAX_ID = 2**63 - 1


def item_by_id(conn: sqlite3.Connection, item_id: int) -> dict[str, Any] | None:
    """The item with this id, or None (also for a number no SQLite id can be)."""
    if not -MAX_ID <= item_id <= MAX_ID:
        return None
    row = conn.execute("SELECT id, platform, kind, key, url, name FROM item WHERE id = ?", (item_id,)).fetchone()
    return dict(row) if row is not None else None


def item_by_identity(conn: sqlite3.Connection, platform: str, kind: str, key: str) -> int | None:
    row = conn.execute("SELECT id FROM item WHERE platform = ? AND kind = ? AND key = ?", (platform, kind, key)).fetchone()
    return row[0] if row is not None else None


def items_by_url(conn: sqlite3.Connection, url: str) -> list[int]:
    """Ids of items whose canonical URL is exactly `url` (several kinds can share one URL)."""
    return [row[0] for row in conn.execute("SELECT id FROM item WHERE url = ? ORDER BY id", (url,))]


def item_count(conn: sqlite3.Connection) -> int:
    """How many items the case holds (from the largest id: instant, and exact as items are never deleted)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM item").fetchone()[0]


def platform_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Platform -> how many items the case holds of it, an item merged into another counted once, as
    `items` lists it (read off the identity index and the partial index of merged items: fast on any
    case)."""
    counts = {row[0]: row[1] for row in conn.execute("SELECT platform, count(*) FROM item GROUP BY platform ORDER BY platform")}
    for platform, merged in conn.execute("SELECT platform, count(*) FROM item WHERE merged_into IS NOT NULL GROUP BY platform"):
        counts[platform] -= merged
    return {platform: count for platform, count in counts.items() if count}
