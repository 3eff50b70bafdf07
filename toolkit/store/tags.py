"""Writing and reading tags: lexicon hits, indicators and scores. All SQL with bound parameters only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

HitRow = tuple  # capture_id, item_id, lexicon, term, category, language, field, start, end, matched, weight
IndicatorRow = tuple  # capture_id, item_id, type, value, matched, field, start, end, extractor
ScoreRow = tuple  # item_id, capture_id, lexicons (JSON), score, category, explanation (JSON), scored_at

# A score the offer model made names the model (name@version#digest) in its explanation
# (toolkit.lexicon.model.ModelScore): that name, and the condition that keeps those scores (the
# LIKE spares the JSON functions the other rows).
SCORE_MODEL = "json_extract(explanation, '$.model.model')"
MODEL_MADE = f"explanation LIKE '%\"model\":{{%' AND json_valid(explanation) AND {SCORE_MODEL} IS NOT NULL"


def write_tags(conn: sqlite3.Connection, hits: list[HitRow], indicators: list[IndicatorRow], scores: list[ScoreRow]) -> None:
    """Append hit, indicator and score rows (inside the caller's transaction)."""
    if hits:
        conn.executemany(
            "INSERT INTO hit (capture_id, item_id, lexicon, term, category, language, field, start, end, matched, weight)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", hits)
    if indicators:
        conn.executemany(
            "INSERT INTO indicator (capture_id, item_id, type, value, matched, field, start, end, extractor)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", indicators)
    if scores:
        conn.executemany(
            "INSERT INTO score (item_id, capture_id, lexicons, score, category, explanation, scored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", scores)


def applied_lexicons(conn: sqlite3.Connection) -> dict[int, tuple[set[str], str]]:
    """Per tagged capture: every lexicon ident ever applied to it, and the JSON of its latest score's set."""
    out: dict[int, tuple[set[str], str]] = {}
    for capture_id, lexicons in conn.execute(
            "SELECT capture_id, lexicons FROM score WHERE capture_id IS NOT NULL ORDER BY id"):
        applied, _ = out.get(capture_id, (set(), ""))
        applied.update(orjson.loads(lexicons))
        out[capture_id] = (applied, lexicons)
    return out


def has_indicators(conn: sqlite3.Connection, capture_ids: list[int], extractor: str) -> set[int]:
    """The captures among `capture_ids` that already have indicator rows from `extractor`."""
    found: set[int] = set()
    for start in range(0, len(capture_ids), 500):
        chunk = capture_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in conn.execute(
            f"SELECT DISTINCT capture_id FROM indicator WHERE extractor = ? AND capture_id IN ({marks})",
            (extractor, *chunk)))
    return found


def iter_captures(conn: sqlite3.Connection, batch: int = 2000) -> Iterator[list[tuple[int, int, str | None, str | None]]]:
    """Every capture as (capture_id, item_id, name, text), in id order, in batches (keyset pagination)."""
    last = 0
    while True:
        rows = conn.execute("SELECT id, item_id, name, text FROM capture WHERE id > ? ORDER BY id LIMIT ?",
                            (last, batch)).fetchall()
        if not rows:
            return
        yield [tuple(r) for r in rows]
        last = rows[-1][0]


def capture_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM capture").fetchone()[0]


def item_tags(conn: sqlite3.Connection, item_id: int) -> dict[str, list[dict[str, Any]]]:
    """The hits and indicators of an item's latest capture, for review screens."""
    row = conn.execute("SELECT max(id) FROM capture WHERE item_id = ?", (item_id,)).fetchone()
    if row is None or row[0] is None:
        return {"hits": [], "indicators": []}
    capture_id = row[0]
    hits = [dict(r) for r in conn.execute(
        "SELECT lexicon, term, category, language, field, start, end, matched, weight FROM hit"
        " WHERE capture_id = ? ORDER BY field, start, id", (capture_id,))]
    indicators = [dict(r) for r in conn.execute(
        "SELECT type, value, matched, field, start, end, extractor FROM indicator WHERE capture_id = ?"
        " ORDER BY field, start, id", (capture_id,))]
    return {"hits": hits, "indicators": indicators}


def categories_for_sources(conn: sqlite3.Connection, source_ids: list[int]) -> dict[str | None, int]:
    """How many captures of these sources were scored into each category (None: no category)."""
    out: dict[str | None, int] = {}
    for start in range(0, len(source_ids), 500):
        chunk = source_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for category, count in conn.execute(
                "SELECT s.category, count(*) FROM score s JOIN capture c ON c.id = s.capture_id"
                f" WHERE c.source_id IN ({marks}) GROUP BY s.category", chunk):
            out[category] = out.get(category, 0) + count
    return out
