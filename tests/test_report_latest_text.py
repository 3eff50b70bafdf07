"""The report's latest text and latest score of a cohort item (`report_queries.COHORT_ITEM_TABLES`)
are what a ranking of its captures (`observed_at DESC, id DESC`) and of its scores (`id DESC`)
picks, merged items' included: the query finds them by a maximum over one key, and this holds it to
the ranking in the cases where a key could go wrong (captures without a time, a time that is a
prefix of another, equal times, a time that would sort below the key's separators)."""

from __future__ import annotations

from review_data import add_item, merge, record_review

from toolkit.case import open_case
from toolkit.store.report_queries import cohort_item_columns, cohort_items, prepare_cohort

AS_OF = "2021-12-31T23:59:59Z"

# The rule as a ranking window (what the query said before it took one pass over the captures).
RANKED = """
SELECT c.item_id,
       (SELECT text FROM (SELECT cp.text, ROW_NUMBER() OVER (ORDER BY cp.observed_at DESC, cp.id DESC) AS rn
                          FROM capture cp JOIN temp.member m ON m.id = cp.item_id
                          WHERE m.item_id = c.item_id AND cp.text IS NOT NULL) WHERE rn = 1) AS text,
       (SELECT score FROM (SELECT s.score, ROW_NUMBER() OVER (ORDER BY s.id DESC) AS rn
                           FROM score s JOIN temp.member m ON m.id = s.item_id
                           WHERE m.item_id = c.item_id) WHERE rn = 1) AS score
FROM temp.cohort c ORDER BY c.item_id
"""

# Per item: its captures' (observed_at, text) after the one add_item made, in the order recorded.
CAPTURES = {
    "undated": [(None, "sin fecha 1"), (None, "sin fecha 2")],  # no time at all: the last recorded
    "dated_then_undated": [("2021-04-11T00:00:00Z", "con fecha"), (None, "sin fecha")],  # a time beats none
    "prefix": [("2021-04-10T12:00:00Z+", "más larga"), ("2021-04-10T12:00:00", "prefijo")],  # longer time later
    "equal": [("2021-05-01T00:00:00Z", "igual 1"), ("2021-05-01T00:00:00Z", "igual 2")],  # equal: the last id
    "low": [("2021-05-01T00:00:00Z\x02", "baja"), ("2021-05-01T00:00:00Z", "sin baja")],  # below the separator
    "no_text": [("2022-01-01T00:00:00Z", None)],  # a later capture without text does not count
    "merged": [("2021-06-01T00:00:00Z", "raíz")],
    "alias": [("2021-07-01T00:00:00Z", "del alias, más reciente")],  # merged into "merged": its text counts
}


def test_latest_text_and_score_are_the_ranked_ones(case):
    with open_case(case) as opened:
        conn = opened.db
        conn.execute("BEGIN")
        ids = {key: add_item(conn, key.replace("_", ""), name=key, text=f"primera {key}", score=1.0,
                             category="smuggling_offer") for key in CAPTURES}
        for key, captures in CAPTURES.items():
            for observed_at, text in captures:
                conn.execute("INSERT INTO capture(item_id, observed_at, status, text) VALUES (?, ?, 'available', ?)",
                             (ids[key], observed_at, text))
        # A later score of one item, and the alias's score (the merged item's latest is the alias's).
        for key, score in (("equal", 7.5), ("alias", 3.25)):
            conn.execute("INSERT INTO score(item_id, lexicons, score, category, scored_at)"
                         " VALUES (?, '[]', ?, 'smuggling_offer', '2021-04-10T12:00:00Z')", (ids[key], score))
        conn.execute("UPDATE capture SET observed_at = NULL WHERE item_id = ? AND text = 'primera undated'",
                     (ids["undated"],))
        conn.execute("COMMIT")
    for key in CAPTURES:
        record_review(case, ids[key], "violating", "2021-04-20T09:00:00Z", category="smuggling_offer")
    merge(case, ids["alias"], ids["merged"])
    with open_case(case) as opened:
        prepare_cohort(opened.db)
        expected = opened.db.execute(RANKED).fetchall()
        names, rows = cohort_items(opened.db, AS_OF)
        columns = cohort_item_columns(opened.db, AS_OF)
    texts = dict(zip(columns["item_id"].tolist(), columns["text"].tolist(), strict=True))
    assert texts == {item_id: text for item_id, text, _ in expected}
    assert [(row[names.index("item_id")], row[names.index("text")], row[names.index("score")]) for row in rows] \
        == [tuple(row) for row in expected]
    assert texts[ids["undated"]] == "sin fecha 2"
    assert texts[ids["dated_then_undated"]] == "con fecha"
    assert texts[ids["prefix"]] == "más larga"
    assert texts[ids["equal"]] == "igual 2"
    assert texts[ids["low"]] == "baja"
    assert texts[ids["no_text"]] == "primera no_text"
    assert texts[ids["merged"]] == "del alias, más reciente"
    scores = {row[names.index("item_id")]: row[names.index("score")] for row in rows}
    assert scores[ids["equal"]] == 7.5 and scores[ids["merged"]] == 3.25
