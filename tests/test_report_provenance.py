"""The methodology's check counts, drawn from one pass over the checks (`check_tally`), are what a
query per count gives: per detector and method, per date source, per wave and method (with first and
last observation, waves in the order they started), and the checks of no wave; all cut at as_of."""

from __future__ import annotations

import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_builder import CaseBuilder

from toolkit.store import report_queries as q

AS_OF = "2021-05-20T00:00:00Z"
CHECK = st.tuples(st.sampled_from([None, "w1", "w2", "w3"]), st.sampled_from(["live", "browser", "wayback", "manual"]),
                  st.sampled_from([None, "facebook-page@1", "tiktok@2"]), st.sampled_from([None, "clock", "given"]),
                  st.sampled_from(["2021-04-19T10:00:00Z", "2021-05-01T08:30:00Z", "2021-05-19T23:59:59Z",
                                   "2021-05-25T00:00:00Z"]))

# The queries the counts were read with before, one per count.
DETECTORS = """SELECT 'check' AS origin, coalesce(detector, '') AS detector, method, count(*) AS n
    FROM "check" WHERE observed_at <= :as_of GROUP BY detector, method
    UNION ALL SELECT 'capture', detector, '', count(*) FROM capture WHERE detector IS NOT NULL GROUP BY detector
    ORDER BY 1, 2, 3"""
WAVE_CHECKS = """SELECT w.name, ch.method, count(*) AS checks, min(ch.observed_at) AS first, max(ch.observed_at) AS last
    FROM "check" ch JOIN wave w ON w.id = ch.wave_id WHERE ch.observed_at <= :as_of
    GROUP BY w.id, ch.method ORDER BY w.started_at, w.id, ch.method"""
CHECK_SOURCES = """SELECT 'check' AS origin, coalesce(date_source, 'not recorded') AS source, count(*) AS n
    FROM "check" WHERE observed_at <= :as_of GROUP BY 2 ORDER BY 1, 2"""


def _rows(conn: sqlite3.Connection, sql: str) -> list[dict]:
    conn.row_factory = sqlite3.Row
    return [dict(row) for row in conn.execute(sql, {"as_of": AS_OF})]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CHECK, max_size=25))
def test_counts_from_one_pass_are_the_counts_of_one_query_each(tmp_path_factory, checks):
    case = CaseBuilder(tmp_path_factory.mktemp("case"))
    item = case.item("page.1")
    case.db.execute("UPDATE capture SET detector = 'facebook-page@1'")
    # Waves out of name order, one started on the same day as another (then by id).
    for name, started in (("w2", "2021-04-19T00:00:00Z"), ("w1", "2021-05-01T00:00:00Z"), ("w3", "2021-04-19T00:00:00Z")):
        case.wave(name, started)
    for wave, method, detector, source, at in checks:
        case.check(item, wave, at, "available", method=method, detector=detector)
        case.db.execute('UPDATE "check" SET date_source = ? WHERE id = (SELECT max(id) FROM "check")', (source,))
    conn = case.db
    tally = q.check_tally(conn, AS_OF)
    assert q.detectors(conn, AS_OF, tally) == q.detectors(conn, AS_OF) == _rows(conn, DETECTORS)
    assert q.wave_checks(conn, AS_OF, tally) == _rows(conn, WAVE_CHECKS)
    assert [row for row in q.date_sources(conn, AS_OF, tally) if row["origin"] == "check"] == _rows(conn, CHECK_SOURCES)
    assert q.unwaved_checks(conn, AS_OF, tally) == sum(
        1 for wave, *_, at in checks if wave is None and at <= AS_OF)
    case.close()
