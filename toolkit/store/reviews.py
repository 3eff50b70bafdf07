"""Reviews (verdicts on items): append-only rows, the candidate queue, and reviewer agreement data.

All SQL with bound parameters only. An item's latest review is its verdict (the one rule of
toolkit.store.verdicts); each reviewer's own latest review, by the same rule, is what agreement
between reviewers is computed from.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from toolkit.store.aliases import member_of
from toolkit.store.item_list import item_clauses
from toolkit.store.status import latest_statuses
from toolkit.store.verdicts import LATEST_REVIEW, latest_per_reviewer, latest_review_id


@dataclass
class CandidateFilter:
    """Which items the review screen and the review export walk; None means no filter.

    `unreviewed_by` keeps only items that reviewer has not given a verdict on yet.
    """

    min_score: float | None = None
    category: str | None = None
    platform: str | None = None
    kind: str | None = None
    unreviewed_by: str | None = None


# SQLite takes the bare columns of a max() aggregate from the row holding the maximum: one pass over
# score gives each item's latest score row (a join back to score per item costs a third more).
LATEST_SCORE = """
WITH s AS (SELECT item_id, max(id) AS id, score, category, capture_id FROM score GROUP BY item_id)
"""
SCORE_JOIN = " LEFT JOIN s ON s.item_id = i.id"
REVIEW_JOIN = f"""
LEFT JOIN review r ON r.id = {latest_review_id("coalesce(i.merged_into, i.id)")}
"""
CAPTURE_JOIN = """
LEFT JOIN (SELECT item_id, max(id) AS id FROM capture GROUP BY item_id) lc ON lc.item_id = i.id
LEFT JOIN capture c ON c.id = coalesce(s.capture_id, lc.id)
"""


def candidate_ids(conn: sqlite3.Connection, where: CandidateFilter) -> list[int]:
    """Item ids in review order: latest score, highest first (unscored items last), then id."""
    sql, params = _candidate_sql(where, "SELECT i.id FROM item i")
    return [row[0] for row in conn.execute(sql, params)]


def leading_candidates(conn: sqlite3.Connection, where: CandidateFilter, probe: int = 64) -> list[int]:
    """The first few candidates in review order, found without reading every item's latest score.

    Reads the `probe` highest score rows, keeps those that are their item's latest score and pass
    the filters: they are exactly the head of `candidate_ids(conn, where)` (any candidate ranked
    above a kept one has a higher score row, so it was read too). May be empty, never wrong.
    """
    raw = conn.execute(
        "SELECT id, item_id FROM score" + (" WHERE score >= ?" if where.min_score is not None else "")
        + " ORDER BY score DESC, item_id, id DESC LIMIT ?",
        ([where.min_score] if where.min_score is not None else []) + [probe],
    ).fetchall()
    if not raw:
        return []
    row_ids = {row[0] for row in raw}
    sql, params = _candidate_sql(where, "SELECT i.id, s.id AS score_id FROM item i", only=sorted({row[1] for row in raw}))
    return [item_id for item_id, score_id in conn.execute(sql, params) if score_id in row_ids]


def sheet_rows(conn: sqlite3.Connection, where: CandidateFilter) -> list[dict[str, Any]]:
    """The candidates as spreadsheet rows, in review order: id, URL, name, text, score, categories.

    `categories` lists the distinct hit categories of the scored capture (else the latest one);
    `text` is that capture's text.
    """
    select = """SELECT i.id AS item_id, i.url, i.platform, i.kind, coalesce(c.name, i.name) AS name, c.text,
       s.score, s.category AS suggested,
       (SELECT group_concat(category, '|') FROM (SELECT DISTINCT category FROM hit h
          WHERE h.capture_id = c.id AND h.category IS NOT NULL ORDER BY category)) AS categories
FROM item i"""
    sql, params = _candidate_sql(where, select, with_capture=True)
    return [dict(row) for row in conn.execute(sql, params)]


def left_out(conn: sqlite3.Connection, where: CandidateFilter, shown: int | None = None) -> int:
    """How many items pass every filter but `min_score`, and score below it (unscored ones as 0):
    the candidates a threshold leaves out of review.

    With `shown`, the number of candidates `where` gives, and no category filter, the items passing
    the other filters are counted without reading scores (a fraction of the time on a large case)
    and the candidates taken away."""
    if where.min_score is None:
        return 0
    passing = passing_count(conn, where) if shown is not None else None
    if passing is not None and shown is not None:
        return passing - shown
    rest = CandidateFilter(category=where.category, platform=where.platform, kind=where.kind,
                           unreviewed_by=where.unreviewed_by)
    sql, params = _candidate_sql(rest, "SELECT count(*) FROM item i", below=where.min_score)
    return conn.execute(sql, params).fetchone()[0]


def passing_count(conn: sqlite3.Connection, where: CandidateFilter) -> int | None:
    """How many items pass the filters other than `min_score`, counted without reading scores;
    None when a category filter needs them."""
    if where.category is not None:
        return None
    clauses, params = item_clauses(CandidateFilter(platform=where.platform, kind=where.kind))
    if where.unreviewed_by is not None:
        clauses.append("i.id NOT IN (SELECT item_id FROM review WHERE reviewer = ?)")
        params.append(where.unreviewed_by)
    sql = "SELECT count(*) FROM item i" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    return conn.execute(sql, params).fetchone()[0]


def _candidate_sql(where: CandidateFilter, select: str, with_capture: bool = False,
                   only: list[int] | None = None, below: float | None = None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    latest = LATEST_SCORE
    if only is not None:
        marks = ",".join("?" * len(only))
        latest = latest.replace("FROM score GROUP BY", f"FROM score WHERE item_id IN ({marks}) GROUP BY")
        params.extend(only)
        clauses.append(f"i.id IN ({marks})")
        params.extend(only)
    shared, shared_params = item_clauses(where)
    clauses.extend(shared)
    params.extend(shared_params)
    if below is not None:
        clauses.append("coalesce(s.score, 0) < ?")
        params.append(below)
    if where.unreviewed_by is not None:
        clauses.append("i.id NOT IN (SELECT item_id FROM review WHERE reviewer = ?)")
        params.append(where.unreviewed_by)
    sql = latest + select + SCORE_JOIN + (REVIEW_JOIN if where.category else "") + (CAPTURE_JOIN if with_capture else "")
    sql += (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY s.score IS NULL, s.score DESC, i.id"
    return sql, params


def add_review(conn: sqlite3.Connection, item_id: int, verdict: str, category: str | None, reviewer: str,
               reviewed_at: str, note: str | None = None, origin: str | None = None) -> int:
    """Append one verdict; returns its id. The caller owns the transaction (or autocommit)."""
    cursor = conn.execute(
        "INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at, note, origin) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, verdict, category, reviewer, reviewed_at, note, origin),
    )
    return int(cursor.lastrowid or 0)


def reviews_of(conn: sqlite3.Connection, item_id: int) -> list[dict[str, Any]]:
    """Every verdict on an item, oldest first."""
    rows = conn.execute(
        "SELECT id, verdict, category, reviewer, reviewed_at, note, origin FROM review WHERE item_id = ? ORDER BY id",
        (item_id,),
    )
    return [dict(row) for row in rows]


def applied_origins(conn: sqlite3.Connection, reviewer: str, prefix: str) -> set[str]:
    """Origins (file sha256:line) of this reviewer's rows imported from the file with this sha256."""
    rows = conn.execute(
        "SELECT origin FROM review WHERE reviewer = ? AND origin LIKE ? ESCAPE '\\'",
        (reviewer, prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"),
    )
    return {row[0] for row in rows}


def latest_by_reviewer(conn: sqlite3.Connection, reviewer: str, item_ids: list[int]) -> dict[int, tuple[str, str | None, str | None]]:
    """This reviewer's latest (verdict, category, note) per item, for the given items."""
    found: dict[int, tuple[str, str | None, str | None]] = {}
    for start in range(0, len(item_ids), 400):
        chunk = item_ids[start : start + 400]
        rows = conn.execute(
            f"""SELECT r.item_id, r.verdict, r.category, r.note FROM review r
                JOIN ({latest_per_reviewer(f"v.reviewer = ? AND v.item_id IN ({','.join('?' * len(chunk))})")}) l
                ON l.id = r.id""",
            [reviewer, *chunk],
        )
        for row in rows:
            found[row[0]] = (row[1], row[2], row[3])
    return found


def reviewer_verdicts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each reviewer's latest verdict per item, with the item's URL and name, ordered by item then reviewer."""
    rows = conn.execute(
        f"""SELECT r.item_id, i.url, i.name, r.reviewer, r.verdict, r.category, r.reviewed_at
           FROM review r
           JOIN ({latest_per_reviewer()}) l ON l.id = r.id
           JOIN item i ON i.id = r.item_id
           ORDER BY r.item_id, r.reviewer"""
    )
    return [dict(row) for row in rows]


def candidate_detail(conn: sqlite3.Connection, item_id: int) -> dict[str, Any]:
    """Everything the review screen shows for one item.

    The capture shown is the one the latest score was computed on (so the hit spans fit its text),
    else the latest capture. Audience counts are the latest known ones across captures.
    """
    item = dict(conn.execute(
        "SELECT i.id, i.platform, i.kind, i.key, i.url, i.name, i.first_seen, p.name AS parent_name, p.url AS parent_url "
        "FROM item i LEFT JOIN item p ON p.id = i.parent_id WHERE i.id = ?", (item_id,)).fetchone())
    score = conn.execute(
        "SELECT score, category, explanation, lexicons, capture_id, scored_at FROM score WHERE item_id = ? ORDER BY id DESC LIMIT 1",
        (item_id,),
    ).fetchone()
    capture_id = score["capture_id"] if score is not None and score["capture_id"] is not None else None
    if capture_id is None:
        row = conn.execute("SELECT max(id) FROM capture WHERE item_id = ?", (item_id,)).fetchone()
        capture_id = row[0]
    capture = None
    if capture_id is not None:
        capture = conn.execute(
            "SELECT id, observed_at, status, name, text, url, created_at, country FROM capture WHERE id = ?", (capture_id,)
        ).fetchone()
    audience = {}
    for column in ("followers", "members", "created_at", "country"):
        row = conn.execute(
            f"SELECT {column} FROM capture WHERE item_id = ? AND {column} IS NOT NULL ORDER BY observed_at DESC, id DESC LIMIT 1",
            (item_id,),
        ).fetchone()
        audience[column] = row[0] if row is not None else None
    hits = [dict(r) for r in conn.execute(
        "SELECT lexicon, term, category, field, start, end, matched, weight FROM hit WHERE capture_id = ? ORDER BY field, start",
        (capture_id,))] if capture_id is not None else []
    indicators = [dict(r) for r in conn.execute(
        "SELECT type, value, matched FROM indicator WHERE item_id = ? ORDER BY type, value", (item_id,))]
    checks = [dict(r) for r in conn.execute(
        'SELECT observed_at, method, status, reason, http_status FROM "check" WHERE item_id = ? ORDER BY observed_at, id',
        (item_id,))]
    explanation: Any = None
    if score is not None and score["explanation"]:
        try:
            explanation = orjson.loads(score["explanation"])
        except orjson.JSONDecodeError:
            explanation = score["explanation"]
    return {
        **item,
        "capture": dict(capture) if capture is not None else None,
        **audience,
        "score": score["score"] if score is not None else None,
        "suggested_category": score["category"] if score is not None else None,
        "explanation": explanation,
        "hits": hits,
        "indicators": _distinct(indicators),
        "checks": checks,
        "status": latest_statuses(conn, [item_id]).get(item_id),
        "reviews": reviews_of(conn, item_id),
    }


def _distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators once per (type, value): the same phone in ten captures is one contact point."""
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:
        key = (row["type"], row["value"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def reviewed_texts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every item with a verdict (the one rule, toolkit.store.verdicts), as labelled text: its name,
    its latest captured text (by when it was seen, then recorded; an item merged into it counting),
    the verdict and the category the verdict gives (else its latest score's), the address of the
    page or group it belongs to (else its own) and its hits' most frequent language. By item id."""
    mine = member_of("x.item_id", "it.id")
    return [dict(row) for row in conn.execute(f"""
        SELECT it.id AS item_id, it.name, r.verdict,
               (SELECT x.text FROM capture x WHERE {mine} AND x.text IS NOT NULL AND x.text != ''
                ORDER BY x.observed_at DESC, x.id DESC LIMIT 1) AS text,
               coalesce(r.category, (SELECT x.category FROM score x WHERE {mine} ORDER BY x.id DESC LIMIT 1)) AS category,
               coalesce(p.url, it.url) AS source,
               (SELECT x.language FROM hit x WHERE {mine} AND x.language IS NOT NULL
                GROUP BY x.language ORDER BY count(*) DESC, x.language LIMIT 1) AS language
        FROM ({LATEST_REVIEW}) lr
        JOIN review r ON r.id = lr.id
        JOIN item it ON it.id = lr.item_id
        LEFT JOIN item pp ON pp.id = it.parent_id
        LEFT JOIN item p ON p.id = coalesce(pp.merged_into, pp.id)
        ORDER BY it.id""")]
