"""Live rechecks against a real HTTP server on 127.0.0.1 (one port per simulated host)."""

from __future__ import annotations

import gzip
import itertools

import pytest
from _recheck_server import RecheckServer, add_item

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.models import Family, Status
from toolkit.recheck.fetch import FetchOptions
from toolkit.recheck.live import run_live
from toolkit.store.checks import checked_items, open_wave, tracked_items

INTERVAL = 0.2
PAGE_PLATFORMS = {"facebook", "instagram", "tiktok", "telegram", "generic"}

# path -> (platform, host index, expected status, expected reason or None)
CASES = {
    "/fb/live": ("facebook", 0, "available", None),
    "/fb/unavailable-es": ("facebook", 0, "unavailable", "content-unavailable"),
    "/fb/unavailable-en": ("facebook", 0, "unavailable", "content-unavailable"),
    "/gone404": ("generic", 0, "unavailable", "http-404"),
    "/fb/login-redirect": ("facebook", 0, "login_required", "login-wall"),
    "/fb/login-content": ("facebook", 0, "login_required", "login-wall"),
    "/fb/checkpoint": ("facebook", 0, "restricted", "checkpoint"),
    "/web/live": ("generic", 0, "available", None),
    "/retry-after": ("facebook", 0, "available", None),
    "/flaky": ("facebook", 0, "available", None),
    "/loop-a": ("facebook", 0, "error", "redirect-loop"),
    "/bomb": ("facebook", 0, "error", "decompression-bomb"),
    "/charset": ("facebook", 0, "available", None),
    "/gone410": ("facebook", 1, "unavailable", "http-410"),
    "/always503": ("facebook", 1, "error", "http-503"),
    "/reset": ("facebook", 1, "error", "reset"),
    "/many": ("facebook", 1, "error", "too-many-redirects"),
    "/huge": ("facebook", 1, "error", "body-too-large"),
    "/huge-chunked": ("facebook", 1, "error", "body-too-large"),
    "/gzip-live": ("facebook", 1, "available", None),
    "/charset-unknown": ("facebook", 1, "unavailable", "content-unavailable"),
    "/slow": ("facebook", 2, "error", "read-timeout"),
    "/fb/live2": ("facebook", 2, "available", None),
    "/fb/blocked": ("facebook", 3, "rate_limited", "temporarily-blocked"),
    "/always429": ("facebook", 3, "rate_limited", "http-429"),
    "/web/live?after-block": ("generic", 3, "available", None),
}
FAILURES = {"/always503", "/reset", "/many", "/huge", "/huge-chunked", "/slow", "/loop-a", "/bomb", "/always429",
            "/fb/blocked", "/fb/login-redirect", "/fb/login-content", "/fb/checkpoint"}


def options(**changes) -> FetchOptions:
    base = dict(per_host_interval=INTERVAL, per_host_concurrency=1, concurrency=2, connect_timeout=1.0,
                read_timeout=0.4, retries=2, backoff=0.05, max_redirects=5, max_body_bytes=2 * 1024 * 1024,
                slowdown_max=2.0, allow_private_hosts=True)  # the test server is on 127.0.0.1
    base.update(changes)
    return FetchOptions(**base)


def overlaps(entries, slack: float = 0.0) -> int:
    """The most requests the server had in progress at once. `slack` trims each request's end, for
    the moment between the client reading the response and the server thread noting it ended."""
    events = sorted([(e.start, 1) for e in entries] + [(max(e.start, e.end - slack), -1) for e in entries],
                    key=lambda ev: (ev[0], ev[1]))  # at equal times an end comes before a start
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


@pytest.fixture
def server():
    with RecheckServer(hosts=4, slow_seconds=1.5) as srv:
        yield srv


@pytest.mark.slow
def test_every_case_ends_in_the_right_status_and_politeness_holds(case, server):
    ids = {path: add_item(case, platform, server.base(host) + path) for path, (platform, host, _, _) in CASES.items()}
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        updates = []
        stats = run_live(opened, wave, tracked_items(opened.db, everything=True), options(), on_check=updates.append)
        rows = {row["item_id"]: dict(row) for row in opened.db.execute('SELECT * FROM "check" WHERE wave_id = ?', (wave,))}
        evidence = {row["item_id"]: opened.evidence_path(row["evidence_sha256"]) for row in rows.values()
                    if row["evidence_sha256"]}
    assert stats.checked == len(CASES)
    for path, (_platform, _host, status, reason) in CASES.items():
        row = rows[ids[path]]
        assert (path, row["status"]) == (path, status), row
        if reason is not None:
            assert (path, row["reason"]) == (path, reason), row
        assert row["method"] == "live"
        if path in FAILURES:
            assert Status(row["status"]).family != Family.GONE, path
    # Nothing that failed on the network, the server or a wall ever reads as gone.
    assert all(Status(rows[ids[p]]["status"]).family == Family.UNKNOWN for p in FAILURES)

    login = rows[ids["/fb/login-redirect"]]
    assert "/login/" in login["final_url"] and "302 -> " in login["note"]
    assert rows[ids["/fb/live"]]["http_status"] == 200 and rows[ids["/fb/live"]]["detector"] == "facebook@1"
    assert "windows-1252" in rows[ids["/charset"]]["note"]
    # Evidence: each response body stored gzip-compressed under its sha256.
    assert gzip.decompress(evidence[ids["/fb/unavailable-es"]].read_bytes()).decode().count("no está disponible") == 1
    assert ids["/reset"] not in evidence
    # A page that showed the item also gave a capture of it, sourced by the check alone.
    with open_case(case) as opened:
        captured = opened.db.execute("SELECT item_id, name, status, source_id FROM capture").fetchall()
    assert (ids["/fb/live"], "Cruce Seguro USA", "available", None) in [tuple(c) for c in captured]
    assert all(rows[c[0]]["status"] == "available" for c in captured)

    for index in range(4):
        host = server.requests(server.host(index))
        starts = sorted(r.start for r in host)
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= INTERVAL - 0.02, (index, gaps)
        assert overlaps(host) == 1, index
    assert overlaps(server.requests(), slack=0.01) <= 2

    # Retry-After honoured: the second request came at least a second after the 429.
    retry = sorted(r.start for r in server.requests(path="/retry-after"))
    assert len(retry) == 2 and retry[1] - retry[0] >= 0.95
    # 500 then 200: retried once. 503 every time: retried twice, then an error.
    assert len(server.requests(path="/flaky")) == 2
    assert len(server.requests(path="/always503")) == 3
    # A block page and 429s slow the host down: later gaps there are at least twice the interval.
    blocked = server.requests(server.host(3))
    after = sorted(r.start for r in blocked)
    assert after[-1] - after[-2] >= 2 * INTERVAL - 0.02
    # Progress saw the slowed host, with per-status counts adding up.
    assert any(host == server.host(3) and factor == 2.0 for u in updates for host, _, factor in u.backoffs)
    assert sum(updates[-1].counts.values()) == updates[-1].done == updates[-1].total == len(CASES)


def test_user_agent_cookies_and_proxy(case, server, tmp_path):
    cookies = tmp_path / "cookies.txt"
    secret = "s3cr3t-session-value-0101"
    host = "127.0.0.1"
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       f"{host}\tFALSE\t/\tFALSE\t0\tc_user\t{secret}\n", encoding="utf-8")
    item = add_item(case, "facebook", server.base(0) + "/fb/live")
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True),
                 options(user_agent="ResearchBot/1.0 (test)", cookies=str(cookies)))
        status = opened.db.execute('SELECT status FROM "check" WHERE item_id = ?', (item,)).fetchone()[0]
    assert status == "available"
    [request] = server.requests(path="/fb/live")
    assert request.headers["user-agent"] == "ResearchBot/1.0 (test)"
    assert secret in request.headers.get("cookie", "")
    # The session never lands in the case: not in the database, not in evidence.
    for path in case.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert secret.encode() not in data, path

    # A proxy receives the absolute URL of the item.
    proxied = add_item(case, "generic", "http://items.example.invalid/page")
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w2", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True, ids=[proxied]), options(proxy=server.base(1)))
    assert server.requests(server.host(1))[0].path == "http://items.example.invalid/page"


def test_bad_cookies_file_is_named(case, tmp_path):
    bad = tmp_path / "cookies.txt"
    bad.write_text("not a cookie file\n", encoding="utf-8")
    add_item(case, "facebook", "http://127.0.0.1:9/x")
    from toolkit.errors import InputError

    with open_case(case) as opened, pytest.raises(InputError, match=r"cookies\.txt: not a Netscape"):
        run_live(opened, open_wave(opened.db, "w", utcnow(), "live"), tracked_items(opened.db, everything=True),
                 options(cookies=str(bad)))


class Crash(Exception):
    pass


def test_interrupted_wave_resumes_without_refetching_or_duplicates(case, server):
    ids = [add_item(case, "facebook", f"{server.base(i % 2)}/interrupt/{i}") for i in range(12)]
    fast = options(per_host_interval=0.02, concurrency=2)
    seen = []

    def crash_after_five(update) -> None:
        seen.append(update.record.item_id)
        if len(seen) == 5:
            raise Crash("power cut")

    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        with pytest.raises(Crash):
            run_live(opened, wave, tracked_items(opened.db, everything=True), fast, on_check=crash_after_five)
        done = checked_items(opened.db, wave, "live")
    assert 5 <= len(done) < 12
    first_count = len(server.requests())

    with open_case(case) as opened:  # the same command again, in a new process in real life
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        todo = [i for i in tracked_items(opened.db, everything=True) if i.id not in checked_items(opened.db, wave, "live")]
        run_live(opened, wave, todo, fast)
        counts = dict(opened.db.execute('SELECT item_id, count(*) FROM "check" WHERE wave_id = ? GROUP BY item_id', (wave,)).fetchall())
    assert counts == dict.fromkeys(ids, 1)
    second = [r.path for r in server.requests()][first_count:]
    finished_paths = {f"/interrupt/{ids.index(i)}" for i in done}
    assert not finished_paths & set(second)


def test_a_body_that_never_ends_hits_the_total_deadline(case, server):
    item = add_item(case, "facebook", server.base(0) + "/drip")
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True),
                 options(connect_timeout=0.2, read_timeout=0.3, retries=0))
        row = opened.db.execute('SELECT status, reason FROM "check" WHERE item_id = ?', (item,)).fetchone()
    assert tuple(row) == ("error", "total-timeout")


def test_live_pages_of_every_platform_read_with_the_recorded_platform(case, server):
    """Every detector fixture page, served over HTTP from 127.0.0.1, ends in the status its name says,
    because the item's recorded platform (not the local host) picks the detector."""
    from _recheck_server import FIXTURE_PAGES

    expected = {}
    # WhatsApp pages are read against the number or invite code in the wa.me URL itself: not servable here.
    pages = sorted(p for p in FIXTURE_PAGES.glob("*/*.html") if p.parent.name in PAGE_PLATFORMS)
    for number, page in enumerate(pages):
        platform = page.parent.name
        # A challenge is recognised by where the platform sent the browser, so serve it from there.
        middle = "challenge/" if "challenge" in page.stem else ""
        url = f"{server.base(number % 4)}/fixture/{platform}/{middle}{page.stem}"
        expected[add_item(case, platform, url)] = (platform, page.stem, page.stem.split("-")[0])
    assert {p for p, _, _ in expected.values()} == PAGE_PLATFORMS
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True),
                 options(per_host_interval=0.02, concurrency=4))
        got = {r["item_id"]: (r["status"], r["detector"]) for r in opened.db.execute('SELECT * FROM "check"')}
    for item_id, (platform, stem, status) in expected.items():
        assert (platform, stem, got[item_id][0]) == (platform, stem, status)
        assert got[item_id][1].startswith(f"{platform}@")


def test_a_host_asking_for_a_long_pause_is_left_alone_for_the_run(case, server):
    first = add_item(case, "facebook", server.base(0) + "/retry-later")
    later = [add_item(case, "facebook", f"{server.base(0)}/fb/live{n}") for n in range(3)]
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "live")
        run_live(opened, wave, tracked_items(opened.db, everything=True), options(per_host_interval=0.02))
        got = dict(opened.db.execute('SELECT item_id, reason FROM "check" WHERE status = ?', ("rate_limited",)).fetchall())
    assert got == {first: "http-429", **dict.fromkeys(later, "host-rate-limited")}
    assert [r.path for r in server.requests()] == ["/retry-later"]
