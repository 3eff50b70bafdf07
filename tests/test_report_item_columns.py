"""The report reads its cohort's items column by column (`report_queries.cohort_item_columns`,
through `column_reads`): the same values, types and order as the rows of `cohort_items`, whatever
the texts hold (a hostile name with the columns' own separator, an empty name beside a missing one)."""

from __future__ import annotations

import sqlite3

import pytest
from review_data import add_item, merge, record_review

from toolkit.case import open_case
from toolkit.report.frame import ITEM_COLUMNS, build_frame
from toolkit.store.report_queries import COHORT_ITEM_KINDS, cohort_item_columns, cohort_items, prepare_cohort

AS_OF = "2021-12-31T23:59:59Z"


def _cohort(case, name: str) -> dict[str, int]:
    """Four violating items (one under a page, one merged into another) and one cleared: names
    missing, empty, with the unit separator and a bidi override; one item without any text."""
    with open_case(case) as opened:
        conn = opened.db
        conn.execute("BEGIN")
        ids = {
            "page": add_item(conn, "Pagina", name=name, text="Cruce seguro\x1f=cmd|' /C calc'!A0", score=9.5,
                             category="smuggling_offer"),
            "empty": add_item(conn, "Vacia", name="", text="", score=None),
            "video": add_item(conn, "video1", name="cruce", text="pago al llegar", score=5.0, platform="tiktok",
                              kind="video", category="smuggling_offer", observed_at="2021-04-11T08:00:00Z"),
            "alias": add_item(conn, "Otra", name="Otra", text="otra", score=1.0),
            "cleared": add_item(conn, "Limpia", name="Limpia", text="nada", score=1.0),
        }
        conn.execute("UPDATE item SET name = NULL WHERE id = ?", (ids["empty"],))
        conn.execute("UPDATE capture SET text = NULL WHERE item_id = ?", (ids["alias"],))
        conn.execute("UPDATE item SET parent_id = ? WHERE id = ?", (ids["page"], ids["video"]))
        conn.execute("COMMIT")
    for key in ("page", "empty", "video", "alias"):
        record_review(case, ids[key], "violating", "2021-04-20T09:00:00Z", category="smuggling_offer")
    record_review(case, ids["cleared"], "not_violating", "2021-04-20T09:00:00Z")
    merge(case, ids["alias"], ids["empty"])
    return ids


@pytest.mark.parametrize("name", ["Cruce Seguro USA", "Cruce\x1fSeguro", "\u202eASU orugeS", ""])
def test_columns_are_the_rows(case, name):
    ids = _cohort(case, name)
    with open_case(case) as opened:
        prepare_cohort(opened.db)
        names, rows = cohort_items(opened.db, AS_OF)
        columns = cohort_item_columns(opened.db, AS_OF)
    assert list(columns) == list(COHORT_ITEM_KINDS) == [n for n in names if n != "score"]
    cohort = columns["item_id"].tolist()
    assert len(cohort) == 3 and cohort == sorted(cohort) and ids["page"] in cohort and ids["video"] in cohort
    for column, values in columns.items():
        expected = [row[names.index(column)] for row in rows]
        got = values.tolist()
        assert got == expected, column
        assert [type(v) for v in got] == [type(v) for v in expected], column
    parents = dict(zip(cohort, columns["parent"].tolist(), strict=True))
    assert parents[ids["video"]] == ids["page"] and parents[ids["page"]] is None and columns["parent"].dtype == object


def test_the_frame_keeps_missing_texts_as_none(case):
    _cohort(case, "Cruce Seguro USA")
    with open_case(case) as opened:
        frame = build_frame(opened.db, AS_OF)
    items = frame.items
    assert list(items.columns[:len(ITEM_COLUMNS)]) == ITEM_COLUMNS
    for column in ("key", "url", "name", "text", "first_seen", "parent_name", "parent_url", "reference"):
        assert items[column].dtype == object, column
        assert not any(isinstance(value, float) for value in items[column]), column  # None, never NaN
    assert items["reference"].tolist() == [None, None, None]  # no notice
    assert None in items["name"].tolist() and "" not in items["name"].tolist()
    assert items["item_id"].dtype == "int64"


def test_a_case_without_a_cohort(case):
    with open_case(case) as opened:
        prepare_cohort(opened.db)
        columns = cohort_item_columns(opened.db, AS_OF)
    assert all(len(values) == 0 for values in columns.values())
    assert sqlite3.sqlite_version  # the read ran on this SQLite
