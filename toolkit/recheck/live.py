"""Live rechecks: fetch every tracked item's URL politely, read it with its platform's detector,
and append one check per item to the wave as soon as it completes.

A page that shows the item also adds a capture of it (name, followers, members, text as the page
shows them now), so audience growth can be followed from wave to wave.

Items are grouped by host and each host is worked by `per_host_concurrency` workers, so a
thousand hosts share the global limit fairly and one slow host never blocks the others. Each
check is committed on its own: Ctrl-C or a crash loses only the fetches in flight, and running
the same wave again skips every item that already has a live check in it.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from toolkit.case import Case, StoredEvidence
from toolkit.dates import utcnow
from toolkit.models import Capture, DateSource, ItemRef, Kind, Method, Status
from toolkit.platforms.registry import check_url
from toolkit.recheck.canary import Canary, CanaryGuard, CanaryReading, Round, new_run
from toolkit.recheck.fetch import Fetcher, FetchOptions, Politeness, host_key, run_per_host
from toolkit.recheck.reading import Reading, read_response
from toolkit.store import transaction
from toolkit.store.checks import CheckRecord, TrackedItem, insert_check, run_scope
from toolkit.store.writer import CaptureWriter


@dataclass
class LiveProgress:
    """Reported after each check: the check, the counts so far, and hosts being held back."""

    record: CheckRecord
    counts: Counter[str]
    done: int
    total: int
    backoffs: list[tuple[str, float, float]] = field(default_factory=list)


@dataclass
class LiveStats:
    counts: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    skipped: int = 0
    rounds: list[Round] = field(default_factory=list)  # canary rounds, in order


def _record(case: Case, wave_id: int, item: TrackedItem, reading: Reading, *, observed_at: str,
            http_status: int | None, final_url: str | None, evidence: StoredEvidence | None) -> CheckRecord:
    record = CheckRecord(item_id=item.id, wave_id=wave_id, observed_at=observed_at, method=str(Method.LIVE),
                         status=str(reading.status), reason=reading.reason, detector=reading.detector,
                         http_status=http_status, final_url=final_url,
                         evidence_sha256=evidence.sha256 if evidence is not None else None,
                         marker=reading.marker, place=reading.place, note=reading.note, date_source=str(DateSource.CLOCK))
    # The evidence row, the check and its capture commit together: a crash keeps all or none.
    with transaction(case.db):
        if evidence is not None:
            case.record_evidence(evidence)
        insert_check(case.db, record)
        if reading.content is not None:
            store_page_capture(case, item, reading, observed_at, final_url)
    return record


def store_page_capture(case: Case, item: TrackedItem, reading: Reading, observed_at: str, final_url: str | None) -> None:
    """A live page that shows the item also gives a capture of it (no source: the check is the
    provenance), so followers and members can be followed from wave to wave."""
    shown = reading.content
    ref = ItemRef(item.platform, Kind(item.kind), item.key, item.url)
    capture = Capture(item=ref, status=Status.AVAILABLE, observed_at=observed_at, name=shown.name, text=shown.text,
                      url=final_url or item.url, followers=shown.followers, members=shown.members, likes=shown.likes,
                      created_at=shown.created_at, country=shown.country, status_marker=reading.marker,
                      status_place=reading.place, detector=reading.detector, fields=dict(shown.fields),
                      date_source=DateSource.CLOCK)
    CaptureWriter(case.db, None, observed_at).write([capture])


async def check_item(case: Case, fetcher: Fetcher, wave_id: int, item: TrackedItem) -> CheckRecord:
    """Fetch one item (at its platform's `check_url`: a Telegram message's widget), store the body
    as evidence, read it, and append the check."""
    fetched = await fetcher.fetch(check_url(item.platform, item.url or ""))
    evidence = case.store_evidence_bytes(fetched.body) if fetched.body is not None and fetched.reason is None else None
    reading = read_response(fetched, url=item.url, platform=item.platform, observed_at=fetched.started_at)
    if reading.status == Status.RATE_LIMITED and fetched.final_url:
        # A block page served with 200 slows the host down just like a 429 does.
        fetcher.politeness.slow_down(host_key(fetched.final_url))
    return _record(case, wave_id, item, reading, observed_at=fetched.started_at, http_status=fetched.http_status,
                   final_url=fetched.final_url if fetched.final_url != item.url else None, evidence=evidence)


async def observe_canary(case: Case, fetcher: Fetcher, canary: Canary) -> CanaryReading:
    """Fetch and read one canary exactly as an item would be (CanaryGuard's `observe` for live waves)."""
    fetched = await fetcher.fetch(canary.url)
    evidence = case.store_evidence_bytes(fetched.body) if fetched.body is not None and fetched.reason is None else None
    reading = read_response(fetched, url=canary.url, platform=canary.platform, observed_at=fetched.started_at)
    return CanaryReading(reading.status, fetched.started_at, reason=reading.reason, detector=reading.detector,
                         http_status=fetched.http_status,
                         final_url=fetched.final_url if fetched.final_url != canary.url else None,
                         evidence=evidence, note=reading.note)


async def run_live_async(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, *,
                         on_check: Callable[[LiveProgress], None] | None = None,
                         canaries: list[Canary] | None = None, canary_every: int = 0,
                         on_round: Callable[[Round], None] | None = None) -> LiveStats:
    """Check `items` live in wave `wave_id`; items without a URL get an `error` check (no-url).

    With `canaries` (of the items' platforms), a canary round is read before the first check,
    after every `canary_every` checks (the stretch in flight finishes first) and after the last."""
    stats = LiveStats()
    total = len(items)
    if not items:
        return stats
    wanted = {item.platform for item in items}
    canaries = [c for c in canaries or [] if c.platform in wanted]
    stretch = canary_every if canaries and canary_every > 0 else max(total, 1)

    def report(record: CheckRecord, politeness: Politeness | None) -> None:
        stats.counts[record.status] += 1
        stats.checked += 1
        if on_check is not None:
            on_check(LiveProgress(record, stats.counts, stats.checked, total,
                                  politeness.backoffs() if politeness else []))

    # One run: its checks and canary rounds carry its name, so its last stretch ends at its last check.
    with run_scope(case.db, new_run()) as run:
        async with Fetcher(options) as fetcher:
            guard = CanaryGuard(case, wave_id, str(Method.LIVE), canaries,
                                lambda canary: observe_canary(case, fetcher, canary), run=run)

            async def canary_round() -> None:
                if guard:
                    result = await guard.round()
                    stats.rounds.append(result)
                    if on_round is not None:
                        on_round(result)

            await canary_round()
            for start in range(0, total, stretch):
                await _stretch(case, fetcher, wave_id, items[start:start + stretch], options, report)
                await canary_round()
    return stats


async def _stretch(case: Case, fetcher: Fetcher, wave_id: int, items: list[TrackedItem], options: FetchOptions,
                   report: Callable[[CheckRecord, Politeness | None], None]) -> None:
    """Check `items` (hosts in parallel, each host politely) and return when every check is recorded."""
    queues: dict[str, deque[TrackedItem]] = {}
    for item in items:
        if not item.url or not item.url.lower().startswith(("http://", "https://")):
            record = _record(case, wave_id, item, Reading(Status.ERROR, reason="no-url"), observed_at=utcnow(),
                             http_status=None, final_url=None, evidence=None)
            report(record, None)
        else:
            queues.setdefault(host_key(item.url), deque()).append(item)

    async def worker(queue: deque[TrackedItem]) -> None:
        while queue:
            item = queue.popleft()
            record = await check_item(case, fetcher, wave_id, item)
            report(record, fetcher.politeness)

    await run_per_host(queues.values(), worker, options.per_host_concurrency)


def run_live(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, *,
             on_check: Callable[[LiveProgress], None] | None = None, canaries: list[Canary] | None = None,
             canary_every: int = 0, on_round: Callable[[Round], None] | None = None) -> LiveStats:
    """Synchronous entry point for `run_live_async`."""
    return asyncio.run(run_live_async(case, wave_id, items, options, on_check=on_check, canaries=canaries,
                                      canary_every=canary_every, on_round=on_round))
