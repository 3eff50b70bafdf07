"""Lexicon precision from verdicts: per term and per lexicon, how many reviewed items it hit and how
many of those were judged violating. All SQL with bound parameters only.

An item counts once per term (however many times the term hit it, in however many captures) and
once per lexicon; an item merged into another (toolkit.store.aliases) counts as that one. Its
verdict is its latest review (toolkit.store.verdicts). Lexicons are kept apart by name@version. An
offer model (toolkit/lexicon/model.py) has no terms: it gets one row, the reviewed items it raised
(a score of theirs was the model's points), under its name@version.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from toolkit.store.tags import MODEL_MADE, SCORE_MODEL
from toolkit.store.verdicts import LATEST_REVIEW

STATS_COLUMNS = ["lexicon", "term", "category", "reviewed", "violating", "not_violating", "unsure", "precision"]

STATS_SQL = f"""
WITH verdict AS (
    SELECT l.item_id, r.verdict FROM ({LATEST_REVIEW}) l JOIN review r ON r.id = l.id
),
pairs AS (SELECT DISTINCT coalesce(i.merged_into, i.id) AS item_id, h.lexicon, {{term}} AS term
           FROM hit h JOIN item i ON i.id = h.item_id)
SELECT p.lexicon, p.term,
       count(*) AS reviewed,
       sum(v.verdict = 'violating') AS violating,
       sum(v.verdict = 'not_violating') AS not_violating,
       sum(v.verdict = 'unsure') AS unsure
FROM pairs p JOIN verdict v ON v.item_id = p.item_id
GROUP BY p.lexicon, p.term
"""

# Items a score of which the offer model made: its explanation names the model (name@version#digest).
MODEL_SQL = f"""
WITH verdict AS (
    SELECT l.item_id, r.verdict FROM ({LATEST_REVIEW}) l JOIN review r ON r.id = l.id
),
raised AS (SELECT DISTINCT coalesce(i.merged_into, i.id) AS item_id, {SCORE_MODEL} AS model
            FROM score JOIN item i ON i.id = score.item_id WHERE {MODEL_MADE})
SELECT p.model AS lexicon,
       count(*) AS reviewed,
       sum(v.verdict = 'violating') AS violating,
       sum(v.verdict = 'not_violating') AS not_violating,
       sum(v.verdict = 'unsure') AS unsure
FROM raised p JOIN verdict v ON v.item_id = p.item_id
GROUP BY p.model
"""
MODEL_TERM = "(captures the offer model raised)"


def lexicon_stats(conn: sqlite3.Connection, min_reviewed: int = 1, lexicon: str | None = None) -> list[dict[str, Any]]:
    """One row per lexicon (term None: all its terms together), each followed by its terms.

    `precision` is the share of reviewed items judged violating. Terms are listed noisiest first
    (lowest precision, then most reviewed items), so the ones worth pruning lead; terms that hit
    fewer than `min_reviewed` reviewed items are left out. `lexicon` keeps one lexicon (its name,
    or name@version).
    """
    categories = {
        (row[0], row[1]): row[2]
        for row in conn.execute("SELECT lexicon, term, group_concat(DISTINCT category) FROM hit GROUP BY lexicon, term")
    }
    totals = [dict(row) for row in conn.execute(STATS_SQL.format(term="NULL"))]
    terms = [dict(row) for row in conn.execute(STATS_SQL.format(term="h.term"))]
    models: dict[str, dict[str, Any]] = {}
    for row in conn.execute(MODEL_SQL):  # one model may have been applied with several digests
        name = str(row["lexicon"]).split("#", 1)[0]
        merged = models.setdefault(name, {"lexicon": name, "term": MODEL_TERM, "reviewed": 0, "violating": 0,
                                          "not_violating": 0, "unsure": 0})
        for key in ("reviewed", "violating", "not_violating", "unsure"):
            merged[key] += row[key] or 0
    out: list[dict[str, Any]] = []
    for total in sorted(totals, key=lambda r: r["lexicon"]):
        name = total["lexicon"]
        if lexicon and lexicon not in (name, name.split("@", 1)[0]):
            continue
        out.append(_with_precision(total, None))
        mine = [t for t in terms if t["lexicon"] == name and t["reviewed"] >= min_reviewed]
        for term in sorted(mine, key=lambda r: (r["violating"] / r["reviewed"], -r["reviewed"], r["term"])):
            out.append(_with_precision(term, categories.get((name, term["term"]))))
    for name, row in sorted(models.items()):
        if row["reviewed"] >= min_reviewed and (not lexicon or lexicon in (name, name.split("@", 1)[0])):
            out.append(_with_precision(row, None))
    return out


def _with_precision(row: dict[str, Any], category: str | None) -> dict[str, Any]:
    return {**row, "category": category, "precision": round(row["violating"] / row["reviewed"], 4)}
