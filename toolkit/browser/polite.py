"""Browser visits with the live recheck's manners: paced per host, retried, and paused on walls.

Pacing is the HTTP fetcher's own (`toolkit.recheck.fetch.Politeness`, from `[recheck]`): at least
`per_host_interval` seconds between page loads on one host, `per_host_concurrency` loads per host and
`[browser] pages` loads at once. A page's own images and scripts are loaded by the browser as a
person's would be; the pacing is of the pages asked for. Redirects are followed by the browser.

A failed load (connection refused, reset, timeout) or a 429/5xx main document is tried again with
exponential backoff, like a fetch. A block page or a 429 doubles the host's interval. A host that
answers `wall_streak` walls in a row (login, checkpoint, block) is paused for the rest of the run:
a logged-out session would otherwise record a wall for every item.
"""

from __future__ import annotations

import random
from typing import Any

from toolkit.browser.engine import Browser, Visit
from toolkit.models import Status
from toolkit.recheck.fetch import RETRY_REASONS, RETRY_STATUSES, FetchOptions, Politeness, host_key

WALLS = frozenset({Status.LOGIN_REQUIRED, Status.RESTRICTED, Status.RATE_LIMITED})


class WallStreaks:
    """Walls in a row per host; `limit` of them pause the host (0: never)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.streaks: dict[str, int] = {}
        self.paused: dict[str, str] = {}  # host -> the status of the wall that paused it

    def saw(self, host: str, status: Status | str) -> bool:
        """Count one reading; True when it is the wall that pauses the host."""
        status = Status(status)
        if status not in WALLS:
            self.streaks[host] = 0
            return False
        self.streaks[host] = self.streaks.get(host, 0) + 1
        if self.limit and self.streaks[host] >= self.limit and host not in self.paused:
            self.paused[host] = str(status)
            return True
        return False

    def is_paused(self, url: str) -> bool:
        return host_key(url) in self.paused


class PoliteBrowser:
    """A Browser behind per-host pacing, retries and the wall guard."""

    def __init__(self, browser: Browser, options: FetchOptions, wall_streak: int):
        self.browser = browser
        self.options = options
        self.politeness = Politeness(options)
        self.walls = WallStreaks(wall_streak)

    async def visit(self, url: str, **kwargs: Any) -> Visit:
        """Visit `url` in its host's turn, trying again after a failed load or a 429/5xx answer."""
        host = host_key(url)
        options = self.options
        attempt = 0
        while True:
            async with self.politeness.slot(host):
                visit = await self.browser.visit(url, **kwargs)
            visit.attempts = attempt + 1
            retryable = visit.reason in RETRY_REASONS or visit.reason == "load-timeout" or (
                visit.reason is None and visit.http_status in RETRY_STATUSES)
            if not retryable or attempt >= options.retries:
                return visit
            if visit.http_status == 429:
                self.politeness.slow_down(host)
            self.politeness.hold(host, options.backoff * (2 ** attempt) + random.uniform(0, options.backoff))
            attempt += 1

    def read(self, url: str, status: Status | str) -> bool:
        """Tell the guard what a visit to `url` read; True when that wall paused its host. A block
        page slows the host down as a 429 does."""
        host = host_key(url)
        if Status(status) == Status.RATE_LIMITED:
            self.politeness.slow_down(host)
        return self.walls.saw(host, status)
