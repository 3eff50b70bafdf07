"""Notices (reports made to the platform): append-only rows and the confirmed cohort.

All SQL with bound parameters only.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def add_notice(conn: sqlite3.Connection, item_id: int, noticed_at: str, channel: str, reference: str | None,
               noticed_by: str | None, note: str | None, recorded_at: str) -> int:
    """Append one notice; returns its id. The caller owns the transaction."""
    cursor = conn.execute(
        "INSERT INTO notice(item_id, noticed_at, channel, reference, noticed_by, note, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, noticed_at, channel, reference, noticed_by, note, recorded_at),
    )
    return int(cursor.lastrowid or 0)


def notice_exists(conn: sqlite3.Connection, item_id: int, noticed_at: str, channel: str, reference: str | None) -> bool:
    """Whether this exact notice (item, moment, channel, reference) is already recorded."""
    row = conn.execute(
        "SELECT 1 FROM notice WHERE item_id = ? AND noticed_at = ? AND channel = ? AND reference IS ? LIMIT 1",
        (item_id, noticed_at, channel, reference),
    ).fetchone()
    return row is not None


def notices_of(conn: sqlite3.Connection, item_id: int) -> list[dict[str, Any]]:
    """Every notice about an item, in the order they were made."""
    rows = conn.execute(
        "SELECT id, noticed_at, channel, reference, noticed_by, note, recorded_at FROM notice"
        " WHERE item_id = ? ORDER BY noticed_at, id",
        (item_id,),
    )
    return [dict(row) for row in rows]


def confirmed_not_noticed(conn: sqlite3.Connection) -> list[int]:
    """Items whose latest verdict is violating and that have no notice yet, by id."""
    rows = conn.execute(
        """SELECT r.item_id FROM review r
           JOIN (SELECT item_id, max(id) AS id FROM review GROUP BY item_id) l ON l.id = r.id
           WHERE r.verdict = 'violating'
             AND NOT EXISTS (SELECT 1 FROM notice n WHERE n.item_id = r.item_id)
           ORDER BY r.item_id"""
    )
    return [row[0] for row in rows]
