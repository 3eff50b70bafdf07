"""Notices (reports made to the platform): append-only rows, their voids, and the confirmed cohort.

A notice is never edited or deleted; one recorded by mistake is voided by a `notice_void` row.
Everything that counts notices reads `notice_in_force` (the notices not voided). All SQL with
bound parameters only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from toolkit.store.aliases import member_of
from toolkit.store.verdicts import LATEST_REVIEW

# An item's first notice: the notice in force given earliest (`noticed_at`), notices given at the
# same moment in the order recorded. Notices are often recorded out of order (a platform's
# confirmation e-mails entered after a notice flagged on the day), so the first recorded is not it.
# `item` is the item a notice counts for, `source` the notices read (`n`, with any join), `where`
# an optional condition on them. One row per item: item_id, id of its first notice. (A GROUP BY
# with the bare column of min(), keyed like verdicts._RANKED, so that joins on it are look-ups.)
_FIRST_NOTICE = """SELECT {item} AS item_id, n.id, min(n.noticed_at || ' ' || printf('%020d', n.id)) AS first
    FROM {source}{where} GROUP BY {item}"""


def first_notice(item: str = "n.item_id", source: str = "notice_in_force n", where: str = "") -> str:
    """The first-notice subquery (see _FIRST_NOTICE) for the listing (`items`), its fold over merged
    items and the report's cohort, so that they name the same notice."""
    return _FIRST_NOTICE.format(item=item, source=source, where=f" WHERE {where}" if where else "")


def add_notice(conn: sqlite3.Connection, item_id: int, noticed_at: str, channel: str, reference: str | None,
               noticed_by: str | None, note: str | None, recorded_at: str) -> int:
    """Append one notice; returns its id. The caller owns the transaction."""
    cursor = conn.execute(
        "INSERT INTO notice(item_id, noticed_at, channel, reference, noticed_by, note, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, noticed_at, channel, reference, noticed_by, note, recorded_at),
    )
    return int(cursor.lastrowid or 0)


def find_notice(conn: sqlite3.Connection, item_id: int, noticed_at: str, channel: str,
                reference: str | None) -> dict[str, Any] | None:
    """This exact notice (item, moment, channel, reference) if already recorded, with `voided_at`
    set when it was voided (a voided notice given again is not recorded again)."""
    row = conn.execute(
        "SELECT n.id, v.voided_at, v.why FROM notice n LEFT JOIN notice_void v ON v.notice_id = n.id"
        " WHERE n.item_id = ? AND n.noticed_at = ? AND n.channel = ? AND n.reference IS ? ORDER BY n.id LIMIT 1",
        (item_id, noticed_at, channel, reference),
    ).fetchone()
    return dict(row) if row is not None else None


def notice_exists(conn: sqlite3.Connection, item_id: int, noticed_at: str, channel: str, reference: str | None) -> bool:
    """Whether this exact notice (item, moment, channel, reference) is already recorded (voided or not)."""
    return find_notice(conn, item_id, noticed_at, channel, reference) is not None


def notice_by_id(conn: sqlite3.Connection, notice_id: int) -> dict[str, Any] | None:
    """One notice with its item's URL and its void (voided_at, why, voided_by), or None."""
    row = conn.execute(
        "SELECT n.id, n.item_id, n.noticed_at, n.channel, n.reference, n.noticed_by, n.note, n.recorded_at,"
        " i.url, i.name, v.voided_at, v.why, v.voided_by"
        " FROM notice n JOIN item i ON i.id = n.item_id LEFT JOIN notice_void v ON v.notice_id = n.id"
        " WHERE n.id = ?",
        (notice_id,),
    ).fetchone()
    return dict(row) if row is not None else None


def add_void(conn: sqlite3.Connection, notice_id: int, why: str, voided_by: str | None, voided_at: str) -> int:
    """Append the void of one notice; returns its id. The caller owns the transaction."""
    cursor = conn.execute(
        "INSERT INTO notice_void(notice_id, why, voided_by, voided_at) VALUES (?, ?, ?, ?)",
        (notice_id, why, voided_by, voided_at),
    )
    return int(cursor.lastrowid or 0)


def notices_of(conn: sqlite3.Connection, item_id: int) -> list[dict[str, Any]]:
    """Every notice about an item, in the order they were made, voided ones included (`voided_at`)."""
    rows = conn.execute(
        "SELECT n.id, n.noticed_at, n.channel, n.reference, n.noticed_by, n.note, n.recorded_at, v.voided_at, v.why"
        " FROM notice n LEFT JOIN notice_void v ON v.notice_id = n.id"
        " WHERE n.item_id = ? ORDER BY n.noticed_at, n.id",
        (item_id,),
    )
    return [dict(row) for row in rows]


def confirmed_not_noticed(conn: sqlite3.Connection) -> list[int]:
    """Items whose latest verdict is violating (toolkit.store.verdicts) and that have no notice in
    force yet, by id: the report's cohort less the items noticed, a notice of an item merged into one
    counting for it."""
    rows = conn.execute(
        f"""SELECT lr.item_id FROM ({LATEST_REVIEW}) lr JOIN review r ON r.id = lr.id
           WHERE r.verdict = 'violating'
             AND NOT EXISTS (SELECT 1 FROM notice_in_force n WHERE {member_of("n.item_id", "lr.item_id")})
           ORDER BY lr.item_id"""
    )
    return [row[0] for row in rows]
