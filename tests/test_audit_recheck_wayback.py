"""Wayback lookups that go wrong inside the archive: the archive's own answers are not the item's,
and a copy is dated by the capture that was really read.

The stand-in speaks the CDX JSON (`[["timestamp","original","statuscode"], ...]`) and the
availability JSON (`{"archived_snapshots": {"closest": {...}}}`) as web.archive.org does, and
answers snapshot URLs `/web/<14 digits>id_/<url>` like the Wayback Machine: a copy it cannot
serve is a 404 page of its own ("Hrm. The Wayback Machine has not archived that URL."), and a
timestamp it does not hold exactly is a 302 to the nearest capture it has.
"""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from _recheck_server import FB_LIVE, Replies, allow_local_hosts, serving

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.models import Family, Status
from toolkit.recheck.fetch import FetchOptions
from toolkit.recheck.wayback import run_wayback
from toolkit.store.checks import open_wave, tracked_items

LOST, MOVED, LATE, AWAY = (f"https://www.facebook.com/page{n}" for n in range(4))
# The Wayback Machine's page for a copy it cannot serve (served with HTTP 404).
WAYBACK_404 = """<!DOCTYPE html><html lang="en"><head><title>Wayback Machine</title></head><body>
<div id="positionHome"><h2>Hrm.</h2><p>The Wayback Machine has not archived that URL.</p></div></body></html>"""


class Handler(Replies):
    content_type = "application/json"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/cdx/search/cdx":
            if query["url"] == LATE:
                self.reply(503, "overloaded", "text/plain")
                return
            rows = [["timestamp", "original", "statuscode"], ["20210415101500", query["url"], "200"]]
            self.reply(200, json.dumps(rows))
        elif parts.path == "/wayback/available":
            # The closest capture to the timestamp asked for, whichever side of it.
            closest = {"available": True, "url": f"http://web.archive.org/web/20230901000000/{LATE}",
                       "timestamp": "20230901000000", "status": "200"}
            self.reply(200, json.dumps({"url": query["url"], "archived_snapshots": {"closest": closest}}))
        elif self.path == f"/web/20210415101500id_/{LOST}":
            self.reply(404, WAYBACK_404, "text/html; charset=utf-8")
        elif self.path == f"/web/20210415101500id_/{MOVED}":
            self.reply(302, "", "text/html", {"Location": f"/web/20220610083000id_/{MOVED}"})
        elif self.path in (f"/web/20220610083000id_/{MOVED}", f"/web/20230901000000id_/{LATE}"):
            self.reply(200, FB_LIVE, "text/html; charset=utf-8")
        elif self.path == f"/web/20210415101500id_/{AWAY}":
            # Out of the archive altogether: whatever answers there is not an archived copy.
            self.reply(302, "", "text/html", {"Location": f"http://{self.headers['Host']}/elsewhere/page3"})
        elif self.path == "/elsewhere/page3":
            self.reply(200, FB_LIVE, "text/html; charset=utf-8")
        else:
            self.reply(404, WAYBACK_404, "text/html; charset=utf-8")


@pytest.fixture
def archive():
    with serving(Handler) as url:
        yield url


def run(case, archive, before=None) -> dict[str, dict]:
    allow_local_hosts(case)  # the Wayback Machine stand-in runs on 127.0.0.1
    conn = sqlite3.connect(case / "case.db")
    with conn:
        for n, url in enumerate((LOST, MOVED, LATE, AWAY)):
            conn.execute("INSERT INTO item (id, platform, kind, key, url, added_at) VALUES (?, 'facebook', 'page', ?, ?, ?)",
                         (n + 1, f"page{n}", url, utcnow()))
    conn.close()
    options = FetchOptions(per_host_interval=0.0, retries=0, connect_timeout=2, read_timeout=2, allow_private_hosts=True)
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w2", utcnow(), "wayback")
        run_wayback(opened, wave, tracked_items(opened.db, everything=True), options, api_base=archive,
                    web_base=archive, before=before)
        rows = {row["item_id"]: dict(row) for row in opened.db.execute('SELECT * FROM "check"')}
    return dict(zip((LOST, MOVED, LATE, AWAY), (rows[1], rows[2], rows[3], rows[4]), strict=True))


def test_the_archives_own_404_is_not_a_removal(case, archive):
    """CDX named a copy answered 200; the archive failing to serve it says nothing of the item."""
    row = run(case, archive)[LOST]
    assert Status(row["status"]).family == Family.UNKNOWN, (row["status"], row["reason"], row["note"])
    assert (row["status"], row["reason"]) == ("error", "wayback-http-404")
    assert row["date_source"] == "clock" and "the archive answered 404" in row["note"]


def test_a_redirect_to_another_capture_dates_the_check_by_that_capture(case, archive):
    row = run(case, archive)[MOVED]
    assert row["status"] == "available"
    # The bytes read are the copy of 2022-06-10, not the 2021-04-15 one that was asked for.
    assert row["observed_at"] == "2022-06-10T08:30:00Z", row
    assert row["final_url"].endswith(f"/web/20220610083000id_/{MOVED}")
    assert "20220610083000" in row["note"]


def test_a_redirect_out_of_the_archive_is_not_a_copy(case, archive):
    row = run(case, archive)[AWAY]
    assert (row["status"], row["reason"]) == ("error", "wayback-not-a-copy"), (row["status"], row["reason"], row["note"])


def test_the_availability_apis_closest_copy_after_before_is_not_taken(case, archive):
    """--before 2021-05-17 asks for the latest copy up to then; the availability API (asked when
    CDX fails) answers the closest one, here of 2023: it is not a copy from before that date."""
    rows = run(case, archive, before="20210517000000")
    row = rows[LATE]
    assert (row["status"], row["reason"]) == ("error", "wayback-closest-after-before"), row
    assert not row["observed_at"].startswith("2023") and row["date_source"] == "clock"
    # Without --before the latest copy is what was asked for: the 2023 one is taken.
    assert rows[MOVED]["status"] == "available"


def test_without_before_the_closest_copy_is_the_latest(tmp_path, invoke, archive):
    path = tmp_path / "case2"
    assert invoke("init", path).exit_code == 0
    row = run(path, archive)[LATE]
    assert (row["status"], row["observed_at"]) == ("available", "2023-09-01T00:00:00Z")
