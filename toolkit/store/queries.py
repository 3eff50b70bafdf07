"""Read queries over the case database. All SQL with bound parameters only."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

# The stable `toolkit items --format json` fields, in order.
ITEM_FIELDS = (
    "id", "platform", "kind", "key", "url", "name", "parent", "first_seen", "score", "category",
    "verdict", "noticed_at", "channel", "status", "status_at", "followers", "members", "tags",
)

# Latest values per item, computed in SQL so listing 100,000 items stays one query.
ITEMS_SQL = """
WITH latest_capture AS (
    SELECT item_id, max(id) AS id FROM capture GROUP BY item_id
),
latest_stated AS (
    -- The latest observation, not the latest import: an older saved copy scanned later must not
    -- hide a newer one.
    SELECT item_id, id FROM (
        SELECT item_id, id, row_number() OVER (PARTITION BY item_id ORDER BY observed_at DESC, id DESC) AS rn
        FROM capture WHERE status IS NOT NULL
    ) WHERE rn = 1
),
audience AS (
    SELECT c.item_id,
           (SELECT followers FROM capture WHERE item_id = c.item_id AND followers IS NOT NULL
            ORDER BY observed_at DESC, id DESC LIMIT 1) AS followers,
           (SELECT members FROM capture WHERE item_id = c.item_id AND members IS NOT NULL
            ORDER BY observed_at DESC, id DESC LIMIT 1) AS members
    FROM latest_capture c
),
latest_check AS (
    -- A Wayback check dates an archived copy; it never says what the item shows now.
    SELECT item_id, id FROM (
        SELECT item_id, id, row_number() OVER (PARTITION BY item_id ORDER BY observed_at DESC, id DESC) AS rn
        FROM "check" WHERE method != 'wayback'
    ) WHERE rn = 1
),
latest_review AS (
    SELECT item_id, max(id) AS id FROM review GROUP BY item_id
),
first_notice AS (
    SELECT item_id, min(id) AS id FROM notice GROUP BY item_id
),
latest_score AS (
    SELECT item_id, max(id) AS id FROM score GROUP BY item_id
)
SELECT i.id, i.platform, i.kind, i.key, i.url, i.name, i.parent_id AS parent, i.first_seen,
       s.score, coalesce(r.category, s.category) AS category, r.verdict,
       n.noticed_at, n.channel,
       coalesce(ch.status, cs.status) AS status,
       CASE WHEN ch.id IS NOT NULL THEN ch.observed_at ELSE cs.observed_at END AS status_at,
       a.followers, a.members,
       json_extract(s.explanation, '$.summary') AS tags,
       lc.text AS text
FROM item i
LEFT JOIN latest_capture lcid ON lcid.item_id = i.id
LEFT JOIN capture lc ON lc.id = lcid.id
LEFT JOIN latest_stated lsid ON lsid.item_id = i.id
LEFT JOIN capture cs ON cs.id = lsid.id
LEFT JOIN audience a ON a.item_id = i.id
LEFT JOIN latest_check lch ON lch.item_id = i.id
LEFT JOIN "check" ch ON ch.id = lch.id
LEFT JOIN latest_review lr ON lr.item_id = i.id
LEFT JOIN review r ON r.id = lr.id
LEFT JOIN first_notice fn ON fn.item_id = i.id
LEFT JOIN notice n ON n.id = fn.id
LEFT JOIN latest_score ls ON ls.item_id = i.id
LEFT JOIN score s ON s.id = ls.id
"""


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


def list_items(conn: sqlite3.Connection, where: ItemFilter | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Items with their latest score, verdict, notice, status and audience, ordered by id."""
    where = where or ItemFilter()
    clauses, params = [], []
    if where.platform:
        clauses.append("i.platform = ?")
        params.append(where.platform)
    if where.kind:
        clauses.append("i.kind = ?")
        params.append(where.kind)
    if where.query:
        clauses.append("(i.name LIKE ? ESCAPE '\\' OR i.url LIKE ? ESCAPE '\\' OR i.key LIKE ? ESCAPE '\\'"
                       " OR lc.text LIKE ? ESCAPE '\\')")
        like = "%" + where.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params.extend([like] * 4)
    if where.min_score is not None:
        clauses.append("coalesce(s.score, 0) >= ?")
        params.append(where.min_score)
    if where.category:
        clauses.append("coalesce(r.category, s.category) = ?")
        params.append(where.category)
    if where.verdict:
        clauses.append("r.verdict = ?")
        params.append(where.verdict)
    if where.noticed is not None:
        clauses.append("n.id IS NOT NULL" if where.noticed else "n.id IS NULL")
    if where.channel:
        clauses.append("EXISTS (SELECT 1 FROM notice nn WHERE nn.item_id = i.id AND nn.channel = ?)")
        params.append(where.channel)
    if where.ids is not None:
        clauses.append(f"i.id IN ({','.join('?' * len(where.ids))})")
        params.extend(where.ids)
    sql = ITEMS_SQL + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY i.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(row) for row in conn.execute(sql, params)]


def source_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM source").fetchone()[0]
