"""Wayback Machine lookups: when was each item last archived, and what did that copy show?

For each item the CDX API gives the latest capture answered with HTTP 200 (the availability API
is asked when CDX fails); the archived bytes (`/web/<timestamp>id_/<url>`) are then read with the
item's platform detector, because an archived 200 from Facebook is as often a login wall as the
page itself. The result is a `wayback` check dated at the capture's time: it bounds when the item
was last seen live, and it never stands for the wave's own reading (see confirm.py).

No capture gives `not_seen` (reason no-snapshot); a failed lookup gives `error` (wayback-<code>),
and so does a copy the archive does not answer with 200 (its own 404 page for a copy it cannot
serve is not the item's 404). A copy reached through a redirect to another capture is dated by
that capture.
`save_live` asks Save Page Now to archive URLs (only when the researcher passes --save).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson

from toolkit.case import Case
from toolkit.dates import utcnow
from toolkit.models import DateSource, Method, Status
from toolkit.recheck.fetch import Fetched, Fetcher, FetchOptions, host_key
from toolkit.recheck.reading import Reading, read_response
from toolkit.store.checks import CheckRecord, TrackedItem, insert_check
from toolkit.store.db import transaction

API_BASE = "https://archive.org"  # availability API: {API_BASE}/wayback/available
WEB_BASE = "https://web.archive.org"  # CDX, snapshots and Save Page Now
# A snapshot's path: /web/<timestamp><modifier such as id_>/<original URL>.
_SNAPSHOT_PATH = re.compile(r"^/web/(\d{14})(?:[a-z]{2}_)?/")


@dataclass
class Snapshot:
    timestamp: str  # 14 digits, UTC
    original: str

    @property
    def observed_at(self) -> str:
        t = self.timestamp.ljust(14, "0")
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


@dataclass
class WaybackStats:
    counts: Counter[str] = field(default_factory=Counter)
    checked: int = 0


def _json(body: bytes | None) -> Any:
    try:
        return orjson.loads(body or b"")
    except orjson.JSONDecodeError:
        return None


class Wayback:
    """A polite client for the Wayback Machine's CDX, availability and Save Page Now endpoints."""

    def __init__(self, fetcher: Fetcher, *, api_base: str = API_BASE, web_base: str = WEB_BASE):
        self.fetcher = fetcher
        self.api_base = api_base.rstrip("/")
        self.web_base = web_base.rstrip("/")

    async def cdx_latest(self, url: str, before: str | None = None) -> tuple[Snapshot | None, str | None]:
        """The latest capture of `url` answered with 200 (up to `before`, 14 digits): (snapshot, error)."""
        query = {"url": url, "output": "json", "fl": "timestamp,original,statuscode", "filter": "statuscode:200",
                 "limit": "-1"}
        if before:
            query["to"] = before
        fetched = await self.fetcher.fetch(f"{self.web_base}/cdx/search/cdx?{urlencode(query)}")
        if fetched.reason or fetched.http_status != 200:
            return None, fetched.reason or f"http-{fetched.http_status}"
        rows = _json(fetched.body)
        if rows == [] or (isinstance(rows, list) and len(rows) == 1):
            return None, None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            return None, "bad-json"
        header, *data = rows
        try:
            ts, orig = header.index("timestamp"), header.index("original")
        except ValueError:
            return None, "bad-json"
        latest = max(data, key=lambda r: r[ts])
        return Snapshot(str(latest[ts]), str(latest[orig])), None

    async def available(self, url: str, before: str | None = None) -> tuple[Snapshot | None, str | None]:
        """The availability API's closest capture to `before` (or the latest): (snapshot, error)."""
        query = {"url": url}
        if before:
            query["timestamp"] = before
        fetched = await self.fetcher.fetch(f"{self.api_base}/wayback/available?{urlencode(query)}")
        if fetched.reason or fetched.http_status != 200:
            return None, fetched.reason or f"http-{fetched.http_status}"
        data = _json(fetched.body)
        if not isinstance(data, dict):
            return None, "bad-json"
        closest = (data.get("archived_snapshots") or {}).get("closest") or {}
        if not closest.get("available") or not closest.get("timestamp"):
            return None, None
        if str(closest.get("status", "200")) != "200":
            return None, None
        if before and str(closest["timestamp"]) > before:
            # The closest capture may lie after the date asked for; it is not "the latest up to
            # it", and whether an earlier one exists this API does not say.
            return None, "closest-after-before"
        return Snapshot(str(closest["timestamp"]), url), None

    async def latest(self, url: str, before: str | None = None) -> tuple[Snapshot | None, str | None]:
        snapshot, error = await self.cdx_latest(url, before)
        if error is not None:
            # CDX is often overloaded; the availability API is lighter and usually answers.
            snapshot, error = await self.available(url, before)
        return snapshot, error

    def snapshot_url(self, snapshot: Snapshot) -> str:
        # id_ asks for the archived bytes as captured, without the Wayback toolbar and rewriting.
        return f"{self.web_base}/web/{snapshot.timestamp}id_/{snapshot.original}"

    def served(self, fetched: Fetched) -> Snapshot | None:
        """The capture whose bytes a snapshot fetch returned: the archive answers a timestamp it
        does not hold exactly with a redirect to the nearest capture it has, which may be years
        away. None when the fetch ended outside the archive's snapshots."""
        final = fetched.final_url or fetched.url
        prefix = urlsplit(self.web_base).path.rstrip("/")
        path = urlsplit(final).path
        if host_key(final) != host_key(self.web_base) or not path.startswith(prefix + "/web/"):
            return None
        found = _SNAPSHOT_PATH.match(path[len(prefix):])
        return Snapshot(found.group(1), final.split(found.group(0), 1)[1]) if found else None

    async def check(self, item: TrackedItem, before: str | None = None) -> tuple[Reading, str, str | None, Any]:
        """(reading, observed_at, snapshot url, fetched) for one item. The reading is dated by
        the capture whose bytes were read; only an archived copy answered 200 is read by the
        detector: any other answer is the archive's (a copy it cannot serve is its own 404 page),
        never the item's."""
        snapshot, error = await self.latest(item.url or "", before)
        if error is not None:
            return Reading(Status.ERROR, reason=f"wayback-{error}"), utcnow(), None, None
        if snapshot is None:
            return Reading(Status.NOT_SEEN, reason="no-snapshot", note="no archived copy"), utcnow(), None, None
        url = self.snapshot_url(snapshot)
        fetched = await self.fetcher.fetch(url)
        served = self.served(fetched) if fetched.reason is None else snapshot
        # Neither is a reading of an archived copy: dated by this machine's clock, like a failed lookup.
        if served is None:
            note = f"{url} redirected out of the archive to {fetched.final_url}"
            return Reading(Status.ERROR, reason="wayback-not-a-copy", note=note), utcnow(), None, fetched
        if fetched.reason is None and fetched.http_status not in (200, 429):
            note = f"{fetched.final_url or url}: the archive answered {fetched.http_status}"
            return Reading(Status.ERROR, reason=f"wayback-http-{fetched.http_status}", note=note), utcnow(), None, fetched
        reading = read_response(fetched, url=item.url, platform=item.platform, observed_at=served.observed_at)
        moved = f" (asked for {snapshot.timestamp})" if served.timestamp != snapshot.timestamp else ""
        reading.note = "; ".join(n for n in (f"archived copy of {served.timestamp}{moved}", reading.note) if n)
        return reading, served.observed_at, fetched.final_url or url, fetched

    async def save(self, url: str) -> tuple[str | None, str | None]:
        """Ask Save Page Now to archive `url`: (archived url, error)."""
        fetched = await self.fetcher.fetch(f"{self.web_base}/save/{quote(url, safe=':/?&=%#')}")
        if fetched.reason or (fetched.http_status or 0) >= 400:
            return None, fetched.reason or f"http-{fetched.http_status}"
        where = fetched.headers.get("content-location")
        if where:
            return (where if where.startswith("http") else self.web_base + where), None
        return fetched.final_url, None


async def _run(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, api_base: str,
               web_base: str, before: str | None, on_check: Callable[[CheckRecord], None] | None) -> WaybackStats:
    stats = WaybackStats()
    async with Fetcher(options) as fetcher:
        client = Wayback(fetcher, api_base=api_base, web_base=web_base)
        for item in items:
            reading, observed_at, url, fetched = await client.check(item, before)
            evidence = None
            if fetched is not None and fetched.body is not None and fetched.reason is None:
                evidence = case.store_evidence_bytes(fetched.body)
            record = CheckRecord(item_id=item.id, wave_id=wave_id, observed_at=observed_at, method=str(Method.WAYBACK),
                                 status=str(reading.status), reason=reading.reason, detector=reading.detector,
                                 http_status=fetched.http_status if fetched is not None else None, final_url=url,
                                 evidence_sha256=evidence.sha256 if evidence is not None else None,
                                 marker=reading.marker, place=reading.place, note=reading.note,
                                 # a copy found is dated by the archive; a failed lookup by our clock
                                 date_source=str(DateSource.ARCHIVE if url is not None else DateSource.CLOCK))
            # The evidence row and the check that refers to it commit together.
            with transaction(case.db):
                if evidence is not None:
                    case.record_evidence(evidence)
                insert_check(case.db, record)
            stats.checked += 1
            stats.counts[record.status] += 1
            if on_check is not None:
                on_check(record)
    return stats


def run_wayback(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, *,
                api_base: str = API_BASE, web_base: str = WEB_BASE, before: str | None = None,
                on_check: Callable[[CheckRecord], None] | None = None) -> WaybackStats:
    """Look every item up in the Wayback Machine and append a `wayback` check for each."""
    return asyncio.run(_run(case, wave_id, items, options, api_base, web_base, before, on_check))


def save_live(urls: list[str], options: FetchOptions, *, web_base: str = WEB_BASE) -> list[dict[str, Any]]:
    """Ask Save Page Now for each URL; one row per URL with the archived URL or the error."""

    async def go() -> list[dict[str, Any]]:
        rows = []
        async with Fetcher(options) as fetcher:
            client = Wayback(fetcher, web_base=web_base)
            for url in urls:
                archived, error = await client.save(url)
                rows.append({"url": url, "archived": archived, "error": error})
        return rows

    return asyncio.run(go())


def live_urls(case: Case, wave_id: int) -> list[str]:
    """The URLs of the items live in this wave by the status rule (a wall after a live reading
    does not hide it), sorted: what Save Page Now is asked to archive."""
    from toolkit.store.checks import tracked_items
    from toolkit.store.status import wave_statuses

    live = {r.item_id for r in wave_statuses(case.db, wave_id=wave_id) if r.family == "live"}
    return sorted({i.url for i in tracked_items(case.db, everything=True, ids=live) if i.url}) if live else []
