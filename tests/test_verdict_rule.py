"""One verdict rule (toolkit.store.verdicts): every command that reads an item's verdict takes its
latest review, by the date the verdict was given, reviews of merged items counting for the item
they were merged into. And one first notice (toolkit.store.notices.first_notice): the earliest given.

The case that would split them: a reviewer confirms an item on the review screen today; a
colleague's sheet of verdicts given last week is imported after it. The sheet's rows are recorded
last but were given first, so today's verdict stands, for the report's cohort, the recheck, the
flag, the listing, the review queue and lexicon precision alike.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from review_data import merge, populate, record_review

from toolkit.case import open_case
from toolkit.store.checks import tracked_items
from toolkit.store.item_list import ITEMS_SQL
from toolkit.store.notices import confirmed_not_noticed
from toolkit.store.report_queries import cohort_ids, cohort_items, prepare_cohort, review_summary
from toolkit.store.reviews import CandidateFilter, candidate_ids, latest_by_reviewer, reviewer_verdicts
from toolkit.store.term_precision import lexicon_stats
from toolkit.store.verdicts import LATEST_REVIEW, latest_review_id, latest_review_with


@pytest.fixture
def reviewed(case, invoke, tmp_path):
    """Items whose verdict by date differs from their verdict by order of recording."""
    ids = populate(case)
    # cruceseguro: confirmed on the screen on the 20th; a sheet with a verdict of the 12th imported after.
    record_review(case, ids["cruceseguro"], "violating", "2021-04-20T09:00:00Z", category="smuggling_offer")
    sheet = tmp_path / "luis.csv"
    sheet.write_text("item_id,verdict,category,reviewed_at\n"
                     f"{ids['cruceseguro']},not_violating,,2021-04-12\n"
                     f"{ids['tiktok']},violating,smuggling_offer,2021-04-12\n", encoding="utf-8")
    # tiktok: cleared on the 20th, before the sheet saying violating (given on the 12th) was imported.
    record_review(case, ids["tiktok"], "not_violating", "2021-04-20T09:00:00Z")
    imported = invoke("review", case, "--import", sheet, "--reviewer", "luis")
    assert imported.exit_code == 0, imported.output
    # viajesnorte: violating, then cleared later: date and recording order agree.
    record_review(case, ids["viajesnorte"], "violating", "2021-04-12T09:00:00Z")
    record_review(case, ids["viajesnorte"], "not_violating", "2021-04-20T09:00:00Z")
    # recetas is merged into noticias: recetas' later verdict counts for noticias.
    merge(case, ids["noticias"], ids["recetas"])
    record_review(case, ids["noticias"], "not_violating", "2021-04-12T09:00:00Z")
    record_review(case, ids["recetas"], "violating", "2021-04-20T09:00:00Z", category="smuggling_offer")
    return ids


def test_every_reader_of_verdicts_agrees(reviewed, case, invoke):
    ids = reviewed
    violating = sorted([ids["cruceseguro"], ids["noticias"]])
    listed = invoke("items", case, "--verdict", "violating", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == violating
    cleared = invoke("items", case, "--verdict", "not_violating", "--format", "json")
    assert sorted(row["id"] for row in json.loads(cleared.stdout)) == sorted([ids["viajesnorte"], ids["tiktok"]])
    with open_case(case) as opened:
        conn = opened.db
        prepare_cohort(conn)
        assert cohort_ids(conn) == violating  # the report's cohort
        assert {r["verdict"]: r["items"] for r in review_summary(conn)["verdicts"]} == {"violating": 2, "not_violating": 2}
        assert [item.id for item in tracked_items(conn)] == violating  # what recheck follows
        assert confirmed_not_noticed(conn) == violating  # what flag --cohort confirmed notices
        # The queue's category filter reads the verdict's category: cleared items keep their score's.
        assert ids["cruceseguro"] in candidate_ids(conn, CandidateFilter(category="smuggling_offer"))
        stats = {(row["lexicon"], row["term"]): row for row in lexicon_stats(conn)}
    # Lexicon precision: one item per merged group, with the group's verdict.
    assert (stats[("smuggling-es@1", None)]["reviewed"], stats[("smuggling-es@1", None)]["violating"]) == (4, 2)
    assert (stats[("slang-es@1", None)]["reviewed"], stats[("slang-es@1", None)]["violating"]) == (1, 1)


def test_flag_notices_the_same_cohort(reviewed, case, invoke):
    ids = reviewed
    result = invoke("flag", case, "--cohort", "confirmed", "--channel", "platform_request", "--at", "2021-04-22",
                    "--by", "ana")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    flagged = sorted(row[0] for row in conn.execute("SELECT item_id FROM notice"))
    conn.close()
    assert flagged == sorted([ids["cruceseguro"], ids["noticias"]])  # the canonical item, not the merged one


def test_each_reviewers_latest_verdict_by_date(reviewed, case):
    ids = reviewed
    record_review(case, ids["viajesnorte"], "violating", "2021-04-10T09:00:00Z")  # ana's old note, entered last
    with open_case(case) as opened:
        by_ana = latest_by_reviewer(opened.db, "ana", [ids["viajesnorte"]])
        by_luis = latest_by_reviewer(opened.db, "luis", [ids["cruceseguro"], ids["tiktok"]])
        verdicts = {(row["item_id"], row["reviewer"]): row["verdict"] for row in reviewer_verdicts(opened.db)}
    assert by_luis[ids["cruceseguro"]][0] == "not_violating"
    assert by_ana[ids["viajesnorte"]][0] == "not_violating"
    assert verdicts[(ids["cruceseguro"], "ana")] == "violating"
    assert verdicts[(ids["viajesnorte"], "ana")] == "not_violating"
    assert verdicts[(ids["tiktok"], "ana")] == "not_violating"
    assert verdicts[(ids["tiktok"], "luis")] == "violating"


def test_the_first_notice_is_the_earliest_given_not_the_first_recorded(reviewed, case, invoke, tmp_path):
    """`items` and the report name the same first notice: a list handed over on the 16th, entered
    from a notices sheet after an in-app report of the 20th was flagged."""
    ids = reviewed
    late = invoke("flag", case, str(ids["cruceseguro"]), "--channel", "in_app", "--at", "2021-04-20", "--by", "ana")
    assert late.exit_code == 0, late.output
    sheet = tmp_path / "notices.csv"
    sheet.write_text(f"item,noticed_at,channel,reference\n{ids['cruceseguro']},2021-04-16,platform_request,list-1\n"
                     f"{ids['recetas']},2021-04-15,platform_request,list-0\n", encoding="utf-8")
    earlier = invoke("flag", case, "--from", sheet, "--by", "ana")
    assert earlier.exit_code == 0, earlier.output
    invoke("flag", case, str(ids["noticias"]), "--channel", "in_app", "--at", "2021-04-21", "--by", "ana")
    listed = {row["id"]: row for row in json.loads(invoke("items", case, "--format", "json").stdout)}
    assert (listed[ids["cruceseguro"]]["noticed_at"], listed[ids["cruceseguro"]]["channel"]) == \
        ("2021-04-16T00:00:00Z", "platform_request")
    # noticias: its own notice of the 21st, and recetas' (merged into it) of the 15th, the first.
    assert (listed[ids["noticias"]]["noticed_at"], listed[ids["noticias"]]["channel"]) == \
        ("2021-04-15T00:00:00Z", "platform_request")
    with open_case(case) as opened:
        prepare_cohort(opened.db)
        columns, rows = cohort_items(opened.db, "2021-12-31T23:59:59Z")
    reported = {row[columns.index("item_id")]: (row[columns.index("noticed_at")], row[columns.index("channel")])
                for row in rows}
    assert reported == {ids["cruceseguro"]: ("2021-04-16T00:00:00Z", "platform_request"),
                        ids["noticias"]: ("2021-04-15T00:00:00Z", "platform_request")}


def test_the_listing_looks_verdicts_and_notices_up(reviewed, case):
    """The listing joins each item to its latest review and first notice by a look-up, not a scan of
    every item's (a scan per item made `items` on 100,000 items take minutes)."""
    conn = sqlite3.connect(case / "case.db")
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + ITEMS_SQL + " ORDER BY i.id")]
    conn.close()
    for name in ("lr", "fn", "fs"):
        assert any(step.startswith(f"SEARCH {name} ") for step in plan), (name, plan)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from(
    ["2021-04-12", "2021-04-12T00:00:00Z", "2021-04-12T09:00:00Z", "2021-04-20T09:00:00Z", "2021-04-03T23:59:59Z"])),
    min_size=1, max_size=12), st.sampled_from([None, 1, 2]))
def test_the_keyed_rule_orders_as_date_then_recording(reviews, merged_into_of_3):
    """LATEST_REVIEW picks, per item (item 3 possibly merged into 1 or 2), the review a sort by
    (reviewed_at, id) puts last: dates of both lengths, ties, any order of recording."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, merged_into INTEGER)")
    conn.execute("CREATE TABLE review (id INTEGER PRIMARY KEY, item_id INTEGER, reviewed_at TEXT NOT NULL)")
    conn.executemany("INSERT INTO item VALUES (?, ?)", [(1, None), (2, None), (3, merged_into_of_3), (4, None)])
    conn.executemany("INSERT INTO review (item_id, reviewed_at) VALUES (?, ?)", reviews)
    got = dict(conn.execute(f"SELECT item_id, id FROM ({LATEST_REVIEW})"))
    expected: dict[int, tuple[str, int]] = {}
    for review_id, (item, at) in enumerate(reviews, start=1):
        root = merged_into_of_3 if item == 3 and merged_into_of_3 else item
        expected[root] = max(expected.get(root, (at, review_id)), (at, review_id))
    assert got == {root: review_id for root, (_, review_id) in expected.items()}
    for root in got:  # the correlated form agrees
        row = conn.execute(f"SELECT {latest_review_id(str(root))}").fetchone()
        assert row[0] == got[root]
    # The form carrying the review's own columns (the report's cohort) takes them from that review.
    conn.execute("ALTER TABLE review ADD COLUMN verdict TEXT")
    conn.execute("UPDATE review SET verdict = 'verdict ' || id")
    carried = {item: (review_id, verdict) for item, review_id, verdict, _ in
               conn.execute(latest_review_with("v.verdict"))}
    assert carried == {root: (review_id, f"verdict {review_id}") for root, review_id in got.items()}
