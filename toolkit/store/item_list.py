"""The item listing: items filtered by platform, kind, status, verdict..., with their status. All
SQL with bound parameters only."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from toolkit.store.db import read_snapshot
from toolkit.store.notices import first_notice
from toolkit.store.status import first_seen_sql, latest_statuses
from toolkit.store.verdicts import LATEST_REVIEW_OF_ITEM, LATEST_REVIEW_OF_ROOT

# The stable `toolkit items --format json` fields, in order.
ITEM_FIELDS = (
    "id", "platform", "kind", "key", "url", "name", "parent", "first_seen", "score", "category",
    "verdict", "noticed_at", "channel", "status", "status_at", "followers", "members", "tags", "reason",
    "last_observed", "last_observed_at", "blind",
)

# Latest values per item, computed in SQL so listing 100,000 items stays one query.
ITEMS_SQL = """
WITH latest_capture AS (
    SELECT item_id, max(id) AS id FROM capture GROUP BY item_id
),
seen AS (
    SELECT cp.item_id, """ + first_seen_sql() + """ AS first_seen
    FROM capture cp LEFT JOIN source so ON so.id = cp.source_id GROUP BY cp.item_id
),
audience AS (
    SELECT c.item_id,
           (SELECT followers FROM capture WHERE item_id = c.item_id AND followers IS NOT NULL
            ORDER BY observed_at DESC, id DESC LIMIT 1) AS followers,
           (SELECT members FROM capture WHERE item_id = c.item_id AND members IS NOT NULL
            ORDER BY observed_at DESC, id DESC LIMIT 1) AS members
    FROM latest_capture c
),
latest_review AS (
    """ + LATEST_REVIEW_OF_ITEM + """
),
first_notice AS (
    """ + first_notice() + """
),
latest_score AS (
    SELECT item_id, max(id) AS id FROM score GROUP BY item_id
)
""" + (ITEMS_SELECT := """
SELECT i.id, i.platform, i.kind, i.key, i.url, i.name, i.parent_id AS parent, fs.first_seen,
       s.score, coalesce(r.category, s.category) AS category, r.verdict,
       n.noticed_at, n.channel,
       a.followers, a.members,
       json_extract(s.explanation, '$.summary') AS tags,
       lc.text AS text
FROM item i
LEFT JOIN latest_capture lcid ON lcid.item_id = i.id
LEFT JOIN seen fs ON fs.item_id = i.id
LEFT JOIN capture lc ON lc.id = lcid.id
LEFT JOIN audience a ON a.item_id = i.id
LEFT JOIN latest_review lr ON lr.item_id = i.id
LEFT JOIN review r ON r.id = lr.id
LEFT JOIN first_notice fn ON fn.item_id = i.id
LEFT JOIN notice n ON n.id = fn.id
LEFT JOIN latest_score ls ON ls.item_id = i.id
LEFT JOIN score s ON s.id = ls.id
""")

# The same listing when some items are merged into others through aliases (toolkit.store.aliases):
# every capture, check, review, notice and score counts for its item's canonical item, and the
# canonical item is the one listed. `root` is narrowed to the canonical items that have merged ones
# (and their members) when used, so the fold costs in proportion to the merged items only.
FOLDED_ITEMS_SQL = """
WITH root AS (
    SELECT id, coalesce(merged_into, id) AS root FROM item
),
cap AS (
    SELECT c.id, r.root AS item_id, c.observed_at, c.status, c.followers, c.members, c.date_source, c.source_id
    FROM capture c JOIN root r ON r.id = c.item_id
),
latest_capture AS (
    SELECT item_id, max(id) AS id FROM cap GROUP BY item_id
),
seen AS (
    SELECT cp.item_id, """ + first_seen_sql() + """ AS first_seen
    FROM cap cp LEFT JOIN source so ON so.id = cp.source_id GROUP BY cp.item_id
),
latest_followers AS (
    SELECT item_id, followers FROM (
        SELECT item_id, followers, row_number() OVER (PARTITION BY item_id ORDER BY observed_at DESC, id DESC) AS rn
        FROM cap WHERE followers IS NOT NULL
    ) WHERE rn = 1
),
latest_members AS (
    SELECT item_id, members FROM (
        SELECT item_id, members, row_number() OVER (PARTITION BY item_id ORDER BY observed_at DESC, id DESC) AS rn
        FROM cap WHERE members IS NOT NULL
    ) WHERE rn = 1
),
audience AS (
    SELECT c.item_id, f.followers, m.members
    FROM latest_capture c
    LEFT JOIN latest_followers f ON f.item_id = c.item_id
    LEFT JOIN latest_members m ON m.item_id = c.item_id
),
latest_review AS (
    """ + LATEST_REVIEW_OF_ROOT + """
),
first_notice AS (
    """ + first_notice("r.root", "notice_in_force n JOIN root r ON r.id = n.item_id") + """
),
latest_score AS (
    SELECT r.root AS item_id, max(s.id) AS id FROM score s JOIN root r ON r.id = s.item_id GROUP BY r.root
)""" + ITEMS_SELECT.replace(
    "i.parent_id AS parent", "(SELECT coalesce(p.merged_into, p.id) FROM item p WHERE p.id = i.parent_id) AS parent")


@dataclass
class ItemFilter:
    """Filters for listing items; None means no filter."""

    platform: str | None = None
    kind: str | None = None
    query: str | None = None
    min_score: float | None = None
    category: str | None = None
    verdict: str | None = None
    noticed: bool | None = None
    channel: str | None = None
    ids: list[int] | None = None


def item_clauses(where: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions for the filters every item listing shares (platform, kind, min_score,
    category), over `i` (item), `s` (latest score) and `r` (latest review)."""
    clauses: list[str] = []
    params: list[Any] = []
    for condition, value in (("i.platform = ?", where.platform), ("i.kind = ?", where.kind),
                             ("coalesce(s.score, 0) >= ?", where.min_score),
                             ("coalesce(r.category, s.category) = ?", where.category)):
        if value is not None and value != "":
            clauses.append(condition)
            params.append(value)
    return clauses, params


def list_items(conn: sqlite3.Connection, where: ItemFilter | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Items with their latest score, verdict, notice, status and audience, ordered by id. An item
    merged into another through an alias is not listed: what was recorded for it counts for the
    item it was merged into. The status is the one status rule (toolkit.store.status), with the raw
    last observation beside it. One picture of the case (`db.read_snapshot`), though a recheck may
    be writing meanwhile."""
    with read_snapshot(conn):
        return _with_status(conn, _list_items(conn, where, limit))


def _with_status(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    statuses = latest_statuses(conn, ids if len(ids) <= 1000 else None)
    for row in rows:
        found = statuses.get(row["id"])
        # `blind`: why the check that decided is blind (it then counts as unknown, whatever it read).
        row.update(status=found and found.status, status_at=found and found.status_at, reason=found and found.reason,
                   last_observed=found and found.last_observed, last_observed_at=found and found.last_observed_at,
                   blind=found and found.blind)
    return rows


def _list_items(conn: sqlite3.Connection, where: ItemFilter | None, limit: int | None) -> list[dict[str, Any]]:
    where = where or ItemFilter()
    clauses, params = item_clauses(where)
    if where.query:
        clauses.append("(i.name LIKE ? ESCAPE '\\' OR i.url LIKE ? ESCAPE '\\' OR i.key LIKE ? ESCAPE '\\'"
                       " OR lc.text LIKE ? ESCAPE '\\')")
        like = "%" + where.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params.extend([like] * 4)
    if where.verdict:
        clauses.append("r.verdict = ?")
        params.append(where.verdict)
    if where.noticed is not None:
        clauses.append("n.id IS NOT NULL" if where.noticed else "n.id IS NULL")
    if where.channel:
        clauses.append("EXISTS (SELECT 1 FROM notice_in_force nn WHERE nn.item_id = i.id AND nn.channel = ?)")
        params.append(where.channel)
    if where.ids is not None:
        clauses.append(f"i.id IN ({','.join('?' * len(where.ids))})")
        params.extend(where.ids)
    roots = sorted(set(merged_roots(conn)))
    if not roots:
        sql = ITEMS_SQL + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY i.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(row) for row in conn.execute(sql, params)]
    # Items without merged ones come from the plain query; the few canonical items with merged ones
    # from the folded query, whose every CTE is narrowed to those items and their members.
    marks = ",".join("?" * len(roots))
    plain = ITEMS_SQL + " WHERE " + " AND ".join([*clauses, "i.merged_into IS NULL", f"i.id NOT IN ({marks})"])
    rows = [dict(row) for row in conn.execute(plain, [*params, *roots])]
    merged = dict(conn.execute("SELECT id, merged_into FROM item WHERE merged_into IS NOT NULL"))
    for row in rows:  # a post under a merged page is shown under the page it was merged into
        row["parent"] = merged.get(row["parent"], row["parent"])
    fold_clauses = [c.replace("nn.item_id = i.id", "nn.item_id IN (SELECT m.id FROM item m WHERE m.id = i.id OR m.merged_into = i.id)")
                    for c in clauses]
    folded = FOLDED_ITEMS_SQL.replace("FROM item\n),", f"FROM item WHERE id IN ({marks}) OR merged_into IN ({marks})\n),", 1)
    folded += " WHERE " + " AND ".join([*fold_clauses, f"i.id IN ({marks})"])
    rows += [dict(row) for row in conn.execute(folded, [*roots, *roots, *params, *roots])]
    rows.sort(key=lambda row: row["id"])
    return rows if limit is None else rows[:limit]


def merged_roots(conn: sqlite3.Connection) -> list[int]:
    """The canonical items that have items merged into them (a partial index: usually none)."""
    return [row[0] for row in conn.execute("SELECT DISTINCT merged_into FROM item WHERE merged_into IS NOT NULL")]


def source_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM source").fetchone()[0]
