"""Browser rechecks: the live recheck, through a real browser, with a screenshot kept per check.

Each tracked item's URL is loaded in Chromium (toolkit.browser), with the case's logged-in profile
when there is one, and the rendered HTML is read by the same detectors and the same safety guards as
a live fetch (`toolkit.recheck.reading.read_response`: a failed load is an `error` with its code,
never a removal). The check keeps the rendered HTML as its evidence and, per `[browser]
screenshots`, a PNG of the page as its attachment (`all`; `changed`: only when the status differs
from the item's previous check; `none`). A page that shows the item also adds a capture of it, as
a live check does.

Pacing, retries and the wall guard are toolkit.browser.polite's. Items are checked in stretches
between canary rounds (toolkit.recheck.canary): when a platform's canaries stop reading live, its
remaining items are not checked in this run (the wave is paused for that platform, and running the
same command again after `toolkit browser login` continues it) instead of recording a wall for
every item. Each check is committed on its own: an interrupted wave is resumed by running it again.

A page that reads as gone is read once more `[browser] second_look` seconds later, without reloading
(`steady`): a page that showed "not available" while its scripts were still building the item, or
whose owner swaps what it shows, then reads `error` `page-changed`, never a removal.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from toolkit.browser.engine import Browser, Visit, started
from toolkit.browser.options import BrowserOptions, ScreenshotMode
from toolkit.browser.polite import WALLS, PoliteBrowser
from toolkit.case import Case, StoredEvidence
from toolkit.dates import utcnow
from toolkit.models import DateSource, Family, Method, Status
from toolkit.platforms.registry import check_url
from toolkit.recheck.fetch import Fetched, FetchOptions, host_key, run_per_host
from toolkit.recheck.live import store_page_capture
from toolkit.recheck.reading import Reading, read_response
from toolkit.store import transaction
from toolkit.store.attachments import Attachment, insert_attachment
from toolkit.store.checks import CheckRecord, TrackedItem, insert_check, last_row_id
from toolkit.store.status import latest_statuses


@dataclass
class BrowserProgress:
    """Reported after each check: the check, whether it kept a screenshot, the counts so far."""

    record: CheckRecord
    screenshot: bool
    counts: Counter[str]
    done: int
    total: int


@dataclass
class Pause:
    """A platform or host whose remaining items this run leaves unchecked, and why."""

    what: str  # a platform name, or a host
    message: str
    left: int = 0


@dataclass
class BrowserStats:
    counts: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    screenshots: int = 0
    pauses: list[Pause] = field(default_factory=list)
    browser: str = ""

    @property
    def left(self) -> int:
        return sum(p.left for p in self.pauses)


def as_fetched(visit: Visit) -> Fetched:
    """A browser visit in the shape of an HTTP fetch, so that it is read by the same guards."""
    return Fetched(url=visit.url, started_at=visit.started_at, final_url=visit.final_url,
                   http_status=visit.http_status, headers={"content-type": "text/html; charset=utf-8"},
                   body=visit.html, redirects=list(visit.redirects), reason=visit.reason, attempts=visit.attempts)


def read_visit(visit: Visit, item_url: str | None, platform: str | None) -> Reading:
    """The reading of a visit's (first) read of the page, for an item recorded on `platform`."""
    return read_response(as_fetched(visit), url=item_url, platform=platform, observed_at=visit.started_at)


def reads_gone(reading: Reading) -> bool:
    return reading.status.family == Family.GONE


def steady(reading: Reading, visit: Visit, item_url: str | None, platform: str | None) -> Reading:
    """`reading` when the visit's second look (if it took one) reads gone too; else `error`
    `page-changed`, saying what each look read: a removal is only recorded from a page that held it."""
    look = visit.second_look
    if look is None or not reads_gone(reading):
        return reading
    if look.html is not None:
        again = read_visit(replace(visit, html=look.html, final_url=look.url or visit.final_url), item_url, platform)
        if reads_gone(again):
            return replace(reading, note="; ".join(filter(None, (
                reading.note, f"read again {look.after:g} s later: {again.status}"))))
        seen = f"{again.status}" + (f" ({again.reason})" if again.reason else "")
    else:
        seen = f"nothing ({look.reason})"
    return Reading(Status.ERROR, reason="page-changed", detector=reading.detector,
                   note=f"read {reading.status} ({reading.marker or reading.reason or 'no marker'}), "
                        f"then {seen} {look.after:g} s later, without reloading")


def _note(reading: Reading, visit: Visit, browser: str) -> str:
    parts = [p for p in (reading.note, *visit.notes) if p]
    if visit.scrolled:
        parts.append(f"scrolled {visit.scrolled} screen(s)")
    parts.append(f"browser {browser}" if browser else "browser")
    return "; ".join(parts)


def record_check(case: Case, wave_id: int, item: TrackedItem, reading: Reading, visit: Visit, *, browser: str,
                 page: StoredEvidence | None, shot: tuple[StoredEvidence, Attachment] | None) -> CheckRecord:
    """Append the check with its page, its screenshot and (for a page showing the item) its capture,
    all in one transaction."""
    record = CheckRecord(item_id=item.id, wave_id=wave_id, observed_at=visit.started_at, method=str(Method.BROWSER),
                         status=str(reading.status), reason=reading.reason, detector=reading.detector,
                         http_status=visit.http_status,
                         final_url=visit.final_url if visit.final_url != item.url else None,
                         evidence_sha256=page.sha256 if page is not None else None,
                         marker=reading.marker, place=reading.place, note=_note(reading, visit, browser),
                         date_source=str(DateSource.CLOCK))
    with transaction(case.db) as conn:
        if page is not None:
            case.record_evidence(page)
        insert_check(conn, record)
        if shot is not None:
            check_id = last_row_id(conn)
            case.record_evidence(shot[0])
            insert_attachment(conn, shot[1], check_id=check_id)
        if reading.content is not None:
            store_page_capture(case, item, reading, visit.started_at, record.final_url)
    return record


class BrowserChecker:
    """Checks items through one browser: visit, read, keep evidence, record."""

    def __init__(self, case: Case, wave_id: int, polite: PoliteBrowser, options: BrowserOptions,
                 previous: dict[int, str]):
        self.case, self.wave_id, self.polite, self.options = case, wave_id, polite, options
        self.previous = previous

    async def check(self, item: TrackedItem) -> tuple[CheckRecord, bool]:
        """Check one item (at its platform's `check_url`: a Telegram message's widget, whose frame
        the message's own page only embeds); return its check and whether a screenshot was kept."""
        url = check_url(item.platform, item.url or "")
        mode = self.options.screenshots
        visit = await self.polite.visit(url, platform=item.platform, screenshot=mode != ScreenshotMode.NONE,
                                        look_again=lambda seen: reads_gone(read_visit(seen, item.url, item.platform)))
        reading = steady(read_visit(visit, item.url, item.platform), visit, item.url, item.platform)
        page = self.case.store_evidence_bytes(visit.html) if visit.html is not None and visit.reason is None else None
        keep = visit.screenshot is not None and (
            mode == ScreenshotMode.ALL or self.previous.get(item.id) != str(reading.status))
        shot = None
        if keep:
            png = visit.screenshot
            stored = self.case.store_evidence_bytes(png.png)
            shot = (stored, Attachment("screenshot", stored.sha256, "image/png", len(png.png), png.width, png.height,
                                       png.describe()))
        record = record_check(self.case, self.wave_id, item, reading, visit, browser=self.polite.browser.label,
                              page=page, shot=shot)
        self.previous[item.id] = record.status
        return record, keep


async def run_browser_async(case: Case, wave_id: int, items: list[TrackedItem], options: BrowserOptions,
                            fetch: FetchOptions, *, guard_factory: Callable | None = None,
                            on_check: Callable[[BrowserProgress], None] | None = None,
                            on_pause: Callable[[Pause], None] | None = None,
                            browser: Browser | None = None) -> BrowserStats:
    """Check `items` through the browser in wave `wave_id`.

    `guard_factory(observe)` builds the canary guard (toolkit.recheck.canary) from a coroutine that
    observes one canary through this browser; None runs without canaries. Items without a URL get an
    `error` check (no-url), as in a live wave. `browser`, when given, is a started Browser to use
    (and leave open); else one is started from `options` for this run.
    """
    stats = BrowserStats()
    total = len(items)
    # What each item read when last observed (any method), for `[browser] screenshots = "changed"`.
    previous = {item_id: latest.last_observed
                for item_id, latest in latest_statuses(case.db, [item.id for item in items]).items()}
    paused_platforms: dict[str, Pause] = {}
    paused_hosts: dict[str, Pause] = {}

    def report(record: CheckRecord, kept: bool) -> None:
        stats.counts[record.status] += 1
        stats.checked += 1
        stats.screenshots += kept
        if on_check is not None:
            on_check(BrowserProgress(record, kept, stats.counts, stats.checked, total))

    def pause(bucket: dict[str, Pause], what: str, message: str) -> None:
        if what not in bucket:
            bucket[what] = Pause(what, message)
            stats.pauses.append(bucket[what])
            if on_pause is not None:
                on_pause(bucket[what])

    async with started(browser, options) as browser:
        stats.browser = browser.label
        polite = PoliteBrowser(browser, fetch, options.wall_streak)
        checker = BrowserChecker(case, wave_id, polite, options, previous)
        guard = guard_factory(lambda canary: observe_canary(case, polite, canary)) if guard_factory else None

        async def canary_round() -> None:
            if not guard:
                return
            result = await guard.round()
            for platform, why in result.blind.items():
                pause(paused_platforms, platform, canary_message(platform, result, why))

        async def worker(queue: deque[TrackedItem]) -> None:
            while queue:
                item = queue.popleft()
                if item.platform in paused_platforms:
                    paused_platforms[item.platform].left += 1
                    continue
                if polite.walls.is_paused(item.url or ""):
                    paused_hosts[host_key(item.url or "")].left += 1
                    continue
                record, kept = await checker.check(item)
                report(record, kept)
                if polite.read(item.url or "", record.status):
                    host = host_key(item.url or "")
                    pause(paused_hosts, host, f"{host}: {options.wall_streak} walls in a row ({record.status}); "
                                              "its other items wait for the next run")

        async def stretch(part: list[TrackedItem]) -> None:
            queues: dict[str, deque[TrackedItem]] = {}
            for item in part:
                if not item.url or not item.url.lower().startswith(("http://", "https://")):
                    report(_no_url(case, wave_id, item), False)
                else:
                    queues.setdefault(host_key(item.url), deque()).append(item)
            await run_per_host(queues.values(), worker, fetch.per_host_concurrency)

        def still_to_check(left: list[TrackedItem]) -> list[TrackedItem]:
            """Items not held back by a pause; the held ones are counted as left for the next run."""
            kept = []
            for item in left:
                held = paused_platforms.get(item.platform) or (
                    paused_hosts.get(host_key(item.url)) if item.url and polite.walls.is_paused(item.url) else None)
                if held is None:
                    kept.append(item)
                else:
                    held.left += 1
            return kept

        size = guard.every if guard and guard.every > 0 else max(total, 1)
        await canary_round()
        left = still_to_check(list(items))
        while left:
            # A round after each stretch brackets its checks; once every item left is held back by a
            # pause, no more rounds are taken.
            await stretch(left[:size])
            await canary_round()
            left = still_to_check(left[size:])
    return stats


def canary_message(platform: str, result, why: str) -> str:
    """What the researcher reads when a platform's canaries stop reading live."""
    statuses = {str(reading.status) for canary, reading in result.readings
                if canary.platform == platform and not reading.live}
    if str(Status.LOGIN_REQUIRED) in statuses:
        head = f"the {platform} session is logged out: run toolkit browser login CASE --platform {platform}"
    elif statuses & {str(s) for s in WALLS}:
        head = f"the {platform} session is blocked or held at a checkpoint ({', '.join(sorted(statuses))}): " \
               f"wait, or run toolkit browser login CASE --platform {platform}"
    else:
        head = f"the {platform} canaries do not read live ({', '.join(sorted(statuses))})"
    return f"{head}; its remaining items are left for the next run ({why})"


def _no_url(case: Case, wave_id: int, item: TrackedItem) -> CheckRecord:
    record = CheckRecord(item_id=item.id, wave_id=wave_id, observed_at=utcnow(), method=str(Method.BROWSER),
                         status=str(Status.ERROR), reason="no-url", date_source=str(DateSource.CLOCK))
    insert_check(case.db, record)
    return record


async def observe_canary(case: Case | None, polite: PoliteBrowser, canary):
    """Load and read one canary exactly as an item would be (the canary guard's `observe`); with a
    case, the rendered page is kept as the reading's evidence."""
    from toolkit.recheck.canary import CanaryReading

    visit = await polite.visit(canary.url, platform=canary.platform, screenshot=False)
    reading = read_response(as_fetched(visit), url=canary.url, platform=canary.platform, observed_at=visit.started_at)
    keep = case is not None and visit.html is not None and visit.reason is None
    evidence = case.store_evidence_bytes(visit.html) if keep else None
    return CanaryReading(reading.status, visit.started_at, reason=reading.reason, detector=reading.detector,
                         http_status=visit.http_status,
                         final_url=visit.final_url if visit.final_url != canary.url else None,
                         evidence=evidence, note=_note(reading, visit, polite.browser.label))


async def read_canaries_async(canaries: list, options: BrowserOptions, fetch: FetchOptions) -> list[dict]:
    """Each canary's reading through the browser, nothing recorded (`toolkit browser status`)."""
    rows = []
    async with Browser(options) as browser:
        polite = PoliteBrowser(browser, fetch, 0)
        for canary in canaries:
            reading = await observe_canary(None, polite, canary)
            rows.append({"platform": canary.platform, "canary": canary.url, "status": str(reading.status),
                         "reason": reading.reason, "live": reading.live, "note": reading.note})
    return rows


def read_canaries(canaries: list, options: BrowserOptions, fetch: FetchOptions) -> list[dict]:
    """Synchronous entry point for `read_canaries_async`."""
    return asyncio.run(read_canaries_async(canaries, options, fetch))


def run_browser(case: Case, wave_id: int, items: list[TrackedItem], options: BrowserOptions, fetch: FetchOptions,
                **kwargs) -> BrowserStats:
    """Synchronous entry point for `run_browser_async`."""
    return asyncio.run(run_browser_async(case, wave_id, items, options, fetch, **kwargs))
