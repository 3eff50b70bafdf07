"""The Wayback client against a local server speaking the CDX and availability JSON."""

from __future__ import annotations

import json
import sqlite3
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from _recheck_server import FB_LIVE, FB_UNAVAILABLE_EN, Replies, allow_local_hosts, serving

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.recheck.fetch import FetchOptions
from toolkit.recheck.wayback import run_wayback
from toolkit.store.checks import CheckRecord, insert_check, open_wave, tracked_items

P0, P1, P2 = (f"https://www.facebook.com/p{n}" for n in range(3))
SNAPSHOTS = {f"/web/20210415101500id_/{P0}": FB_LIVE, f"/web/20210301000000id_/{P2}": FB_UNAVAILABLE_EN}


class WaybackHandler(Replies):
    content_type = "application/json"
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/cdx/search/cdx":
            assert query["output"] == "json" and query["filter"] == "statuscode:200"
            if query["url"] == P0:
                rows = [["timestamp", "original", "statuscode"], ["20210301000000", P0, "200"],
                        ["20210415101500", P0, "200"]]
                self.reply(200, json.dumps(rows))
            elif query["url"] == P1:
                self.reply(200, "[]")
            else:
                self.reply(503, "overloaded", "text/plain")
        elif parts.path == "/wayback/available":
            closest = {"available": True, "url": f"http://web.archive.org/web/20210301000000/{P2}",
                       "timestamp": "20210301000000", "status": "200"} if query["url"] == P2 else None
            self.reply(200, json.dumps({"url": query["url"], "archived_snapshots": {"closest": closest} if closest else {}}))
        elif self.path in SNAPSHOTS:
            self.reply(200, SNAPSHOTS[self.path], "text/html; charset=utf-8")
        elif parts.path.startswith("/save/"):
            target = self.path[len("/save/"):]
            self.reply(200, "saved", "text/html", {"Content-Location": f"/web/20261128000000/{target}"})
        else:
            self.reply(404, "not found", "text/plain")


@pytest.fixture
def wayback_server():
    WaybackHandler.seen = []
    with serving(WaybackHandler) as url:
        yield url


def add_items(case) -> None:
    allow_local_hosts(case)  # the Wayback Machine stand-in runs on 127.0.0.1
    conn = sqlite3.connect(case / "case.db")
    with conn:
        for n, url in enumerate((P0, P1, P2)):
            conn.execute("INSERT INTO item (id, platform, kind, key, url, added_at) VALUES (?, 'facebook', 'page', ?, ?, ?)",
                         (n + 1, f"p{n}", url, utcnow()))
    conn.close()


def test_wayback_checks_bound_last_seen_live(case, wayback_server):
    add_items(case)
    options = FetchOptions(per_host_interval=0.0, retries=0, connect_timeout=2, read_timeout=2,
                           allow_private_hosts=True)
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w2", utcnow(), "wayback")
        stats = run_wayback(opened, wave, tracked_items(opened.db, everything=True), options,
                            api_base=wayback_server, web_base=wayback_server)
        rows = [dict(r) for r in opened.db.execute('SELECT * FROM "check" ORDER BY item_id')]
    assert stats.checked == 3
    p0, p1, p2 = rows
    # The latest 200 capture, read by the detector from its archived bytes.
    assert (p0["status"], p0["method"], p0["observed_at"]) == ("available", "wayback", "2021-04-15T10:15:00Z")
    assert p0["final_url"].endswith(f"/web/20210415101500id_/{P0}") and p0["evidence_sha256"]
    assert (p1["status"], p1["reason"]) == ("not_seen", "no-snapshot")
    # CDX failed for p2: the availability API answered; the archived copy already showed it unavailable.
    assert (p2["status"], p2["observed_at"]) == ("unavailable", "2021-03-01T00:00:00Z")
    assert any(p.startswith("/wayback/available?") for p in WaybackHandler.seen)


def test_wayback_cli_with_save(case, invoke, wayback_server):
    add_items(case)
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w2", utcnow(), "live")
        insert_check(opened.db, CheckRecord(1, wave, utcnow(), "live", "available"))
    result = invoke("recheck", case, "--wayback", "--save", "--all", "--wave", "w2", "--interval", "0",
                    "--retries", "0", "--wayback-api", wayback_server, "--wayback-web", wayback_server,
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["url,archived,error",
                                          f"{P0},{wayback_server}/web/20261128000000/{P0},"]
    # Only the item live in this wave was sent to Save Page Now.
    assert sum(p.startswith("/save/") for p in WaybackHandler.seen) == 1
    bad = invoke("recheck", case, "--save", "--all")
    assert bad.exit_code == 2 and "--save works with --wayback only" in bad.output


def test_items_status_ignores_wayback_checks(case, invoke, wayback_server):
    add_items(case)
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w2", utcnow(), "live")
        insert_check(opened.db, CheckRecord(1, wave, utcnow(), "live", "unavailable"))
        # The archive's copy of April shows the page live; today's fetch said unavailable.
        run_wayback(opened, wave, tracked_items(opened.db, everything=True, ids=[1]),
                    FetchOptions(per_host_interval=0.0, retries=0, allow_private_hosts=True), api_base=wayback_server, web_base=wayback_server)
    result = invoke("items", case, "--format", "json")
    assert result.exit_code == 0, result.output
    assert {row["id"]: row["status"] for row in json.loads(result.stdout)}[1] == "unavailable"
