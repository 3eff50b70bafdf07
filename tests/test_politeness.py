"""The politeness rules of live and browser rechecks, on a fake clock (tests/fake_clock.py).

A researcher's real settings (5 s between requests to one host, a Retry-After of two minutes,
backoff doubling from 10 s) checked in milliseconds: the requests' order and spacing are what
matter here, read from the event loop's clock. The same rules against a real server, with real
delays, are in test_recheck_live.py.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

import httpx
import pytest
from fake_clock import run

from toolkit.browser.engine import Visit
from toolkit.browser.polite import PoliteBrowser
from toolkit.models import Status
from toolkit.recheck.fetch import Fetcher, FetchOptions, Politeness, host_key


@dataclass
class Request:
    host: str
    path: str
    start: float
    end: float = -1.0


class Site:
    """Answers for an httpx.MockTransport, logging each request's times on the loop's clock.

    `plan[path]` lists what the path answers, request after request (the last one repeats): a status,
    or (status, headers), or "hang" (never answers). Every answer takes `latency` seconds."""

    def __init__(self, plan: dict[str, list] | None = None, latency: float = 0.5):
        self.plan = plan or {}
        self.latency = latency
        self.log: list[Request] = []
        self.seen: dict[str, int] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        entry = Request(request.url.netloc.decode(), request.url.path, loop.time())
        self.log.append(entry)
        answers = self.plan.get(entry.path, [200])
        index = self.seen.get(entry.path, 0)
        self.seen[entry.path] = index + 1
        answer = answers[min(index, len(answers) - 1)]
        try:
            if answer == "hang":
                await asyncio.sleep(86_400)
            await asyncio.sleep(self.latency)
        finally:
            entry.end = loop.time()
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers={"content-type": "text/html", **headers},
                              stream=httpx.ByteStream(b"<html>ok</html>"))  # streamed, as from a network

    def of(self, host: str) -> list[Request]:
        return sorted((r for r in self.log if r.host == host), key=lambda r: r.start)


def options(site: Site, **changes) -> FetchOptions:
    base = dict(per_host_interval=5.0, per_host_concurrency=1, concurrency=2, connect_timeout=10.0, read_timeout=30.0,
                retries=3, backoff=10.0, max_wait=300.0, slowdown_max=8.0, transport=httpx.MockTransport(site))
    base.update(changes)
    return FetchOptions(**base)


async def fetch_all(opts: FetchOptions, urls: list[str]) -> list:
    async with Fetcher(opts) as fetcher:
        return await asyncio.gather(*(fetcher.fetch(url) for url in urls))


def in_flight(requests: list[Request]) -> int:
    """The most requests in progress at once (an end at the same moment as a start comes first)."""
    events = sorted([(r.start, 1) for r in requests] + [(r.end, -1) for r in requests])
    return max(itertools.accumulate(step for _, step in events))


HOSTS = ["www.facebook.com", "www.instagram.com", "www.tiktok.com"]


def test_each_host_waits_its_interval_and_hosts_go_side_by_side():
    site = Site()
    urls = [f"https://{host}/post/{n}" for n in range(4) for host in HOSTS]
    results = run(fetch_all(options(site), urls))
    assert [r.http_status for r in results] == [200] * len(urls)
    for host in HOSTS:
        requests = site.of(host)
        assert len(requests) == 4
        for before, after in itertools.pairwise(requests):
            # The interval counts from the end of the request before: the server never sees two
            # requests closer than that, whatever the event loop did meanwhile.
            assert after.start - before.end >= 5.0 - 1e-9, (host, before, after)
        assert in_flight(requests) == 1
    assert in_flight(site.log) == 2  # the global limit, reached: hosts are fetched side by side
    # Two hosts start at once; the third takes the first free slot, half a second later.
    assert sorted(site.of(host)[0].start for host in HOSTS) == [0.0, 0.0, 0.5]


def test_a_429_with_retry_after_is_waited_for_and_slows_the_host_down():
    site = Site({"/limited": [(429, {"Retry-After": "120"}), 200]})
    host = "www.facebook.com"
    urls = [f"https://{host}/limited", *(f"https://{host}/after/{n}" for n in range(3))]

    async def scenario():
        async with Fetcher(options(site, retries=1)) as fetcher:
            first = await fetcher.fetch(urls[0])
            backoffs = fetcher.politeness.backoffs()
            rest = [await fetcher.fetch(url) for url in urls[1:]]
            return first, backoffs, rest

    first, backoffs, rest = run(scenario())
    assert (first.http_status, first.attempts) == (200, 2)
    assert all(r.http_status == 200 for r in rest)
    requests = site.of(host)
    assert requests[1].start - requests[0].end >= 120.0 - 1e-9  # Retry-After, not the 10-20 s backoff
    assert backoffs == [(host, 0.0, 2.0)]  # the hold is over; the interval stays doubled
    for before, after in itertools.pairwise(requests[1:]):
        assert after.start - before.end >= 10.0 - 1e-9  # twice the 5 s interval from then on


def test_a_host_asking_for_more_than_max_wait_is_left_alone_for_the_run():
    site = Site({"/gone-for-hours": [(429, {"Retry-After": "7200"})]})
    urls = ["https://www.facebook.com/gone-for-hours", "https://www.facebook.com/other", "https://www.tiktok.com/ok"]

    async def scenario():
        async with Fetcher(options(site)) as fetcher:
            results = [await fetcher.fetch(url) for url in urls]
            return results, asyncio.get_running_loop().time()

    (limited, other, elsewhere), now = run(scenario())
    assert (limited.http_status, limited.attempts) == (429, 1)  # not retried: the wait is too long
    assert (other.reason, other.attempts) == ("host-rate-limited", 0)  # never asked
    assert elsewhere.http_status == 200
    assert [r.path for r in site.log] == ["/gone-for-hours", "/ok"]
    assert now < 10  # nobody waited two hours


def test_retries_back_off_exponentially_and_end_in_an_error():
    site = Site({"/down": [503]})
    (result,) = run(fetch_all(options(site, retries=3, backoff=10.0), ["https://www.facebook.com/down"]))
    assert (result.http_status, result.reason, result.attempts) == (503, None, 4)
    requests = site.of("www.facebook.com")
    gaps = [after.start - before.end for before, after in itertools.pairwise(requests)]
    # About backoff x 2^attempt, plus up to one backoff of jitter, and never under the host's interval.
    for attempt, gap in enumerate(gaps):
        low = max(5.0, 10.0 * 2**attempt)
        assert low - 1e-9 <= gap <= 10.0 * 2**attempt + 10.0 + 1e-9, (attempt, gaps)


def test_a_server_that_never_answers_ends_at_the_total_deadline_each_try():
    site = Site({"/hangs": ["hang"]})
    (result,) = run(fetch_all(options(site, retries=1, backoff=1.0), ["https://www.facebook.com/hangs"]))
    assert (result.reason, result.attempts) == ("total-timeout", 2)
    budget = 10.0 + 2 * 30.0  # connect + 2 x read, as the fetcher bounds one try
    for request in site.log:
        assert request.end - request.start == pytest.approx(budget)


def test_slowing_down_doubles_the_interval_up_to_its_cap():
    async def scenario():
        politeness = Politeness(FetchOptions(per_host_interval=2.0, slowdown_max=4.0))
        for _ in range(3):
            politeness.slow_down("a")
        politeness.hold("b", 30.0)
        loop = asyncio.get_running_loop()
        starts = []
        for _ in range(3):
            async with politeness.slot("a"):
                starts.append(loop.time())
        async with politeness.slot("b"):
            held = loop.time()
        return starts, politeness.backoffs(), held

    starts, backoffs, held = run(scenario())
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [8.0, 8.0]  # 2 s x 4, not x 8
    assert backoffs == [("a", 0.0, 4.0)]
    assert held == pytest.approx(30.0)  # "b" was held for 30 s from the start, then went on


class FakeBrowser:
    """Stands for toolkit.browser.engine.Browser: answers visits from a plan, logging their times."""

    label = "FakeChrome/1 (no profile)"

    def __init__(self, plan: dict[str, list], latency: float = 2.0):
        self.plan, self.latency = plan, latency
        self.log: list[tuple[str, float, float]] = []
        self.seen: dict[str, int] = {}

    async def visit(self, url: str, **_: object) -> Visit:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(self.latency)
        answers = self.plan.get(url, [200])
        index = self.seen.get(url, 0)
        self.seen[url] = index + 1
        answer = answers[min(index, len(answers) - 1)]
        self.log.append((url, start, loop.time()))
        if isinstance(answer, str):  # a failed load
            return Visit(url, "2021-04-10T00:00:00Z", reason=answer)
        return Visit(url, "2021-04-10T00:00:00Z", final_url=url, http_status=answer, html=b"<html></html>")


def test_browser_visits_are_paced_retried_and_slowed_like_fetches():
    page, other = "https://www.facebook.com/groups/1", "https://www.facebook.com/groups/2"
    browser = FakeBrowser({page: ["load-timeout", 429, 200], other: [200]})
    fetch = FetchOptions(per_host_interval=5.0, concurrency=2, retries=3, backoff=10.0)

    async def scenario():
        polite = PoliteBrowser(browser, fetch, wall_streak=3)
        first = await polite.visit(page)
        second = await polite.visit(other)
        return first, second, polite.politeness.backoffs()

    first, second, backoffs = run(scenario())
    assert (first.http_status, first.attempts) == (200, 3)
    assert (second.http_status, second.attempts) == (200, 1)
    ends_starts = [(b[1] - a[2]) for a, b in itertools.pairwise(browser.log)]
    assert ends_starts[0] >= 10.0 - 1e-9  # after the failed load: a backoff of 10-20 s
    assert ends_starts[1] >= 20.0 - 1e-9  # after the 429: 20-30 s
    assert ends_starts[2] >= 10.0 - 1e-9  # then the host's interval, doubled by the 429
    assert backoffs == [(host_key(page), 0.0, 2.0)]


def test_walls_in_a_row_pause_a_host_and_a_block_page_slows_it():
    async def scenario():
        polite = PoliteBrowser(FakeBrowser({}), FetchOptions(per_host_interval=5.0), wall_streak=3)
        host = "https://www.instagram.com/p/"
        said = [polite.read(f"{host}{n}", status) for n, status in
                enumerate([Status.LOGIN_REQUIRED, Status.AVAILABLE, Status.LOGIN_REQUIRED, Status.RESTRICTED,
                           Status.RATE_LIMITED, Status.LOGIN_REQUIRED])]
        return said, polite.walls.is_paused(f"{host}9"), polite.walls.is_paused("https://www.tiktok.com/x"), \
            polite.politeness.backoffs()

    said, paused, elsewhere, backoffs = run(scenario())
    assert said == [False, False, False, False, True, False]  # the third wall in a row pauses, once
    assert paused and not elsewhere
    assert backoffs == [("www.instagram.com", 0.0, 2.0)]  # the block page (rate limited) slowed the host


def test_the_fake_clock_moves_only_as_far_as_the_timers_ask():
    async def scenario():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        one = loop.time()
        await asyncio.gather(asyncio.sleep(5), asyncio.sleep(7))
        return one, loop.time()

    assert run(scenario()) == (pytest.approx(3600.0), pytest.approx(3607.0))
