"""A later CrowdTangle export given to a wave dates its looks at the pages by the export.

The page (account) capture of a CrowdTangle row is dated at the post, because its counts are
"Followers at Posting": a recheck dated the page's check in the wave by a post written months before
the export, so the wave seemed to start then and could sort before an earlier wave. The export is
tests/fixtures/crowdtangle/pages.csv (which imitates the dashboard's search export, see
test_crowdtangle.py), under a dashboard-style file name that says when it was made.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crowdtangle"


def test_a_pages_check_from_a_later_export_is_dated_by_the_export(case, invoke, tmp_path):
    first = tmp_path / "2021-03-20-09-00-00-EST-search-csv-export.csv"
    first.write_bytes((FIXTURES / "pages.csv").read_bytes())
    assert invoke("scan", case, first).exit_code == 0
    later = tmp_path / "2021-05-17-10-00-00-EST-search-csv-export.csv"
    # Another file (other bytes): the same rows, saved again two months later.
    later.write_bytes((FIXTURES / "pages.csv").read_bytes() + b"\n")
    result = invoke("recheck", case, "--all", "--wave", "w2", later)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    rows = conn.execute("""SELECT i.kind, c.observed_at, c.date_source FROM "check" c JOIN item i ON i.id = c.item_id
                           JOIN wave w ON w.id = c.wave_id WHERE w.name = 'w2' AND c.status = 'available'""").fetchall()
    conn.close()
    pages = [r for r in rows if r[0] in ("page", "group")]
    assert pages and rows
    # 10:00 EST is 15:00 UTC; posts and pages alike, dated by the file name.
    assert {(observed, source) for _, observed, source in rows} == {("2021-05-17T15:00:00Z", "file_name")}
