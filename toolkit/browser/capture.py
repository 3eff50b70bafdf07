"""`toolkit capture`: visit URLs in the browser and keep each visit as a source, like a saved page.

Each visit that loads becomes one capture file (the rendered HTML behind a header naming the URL
asked for, the final URL, the main document's HTTP status, the browser and toolkit versions and the
time; see toolkit.sources.browser_capture), imported through the scan (`scan_file`) exactly as a
saved page is: the same detectors, the same tagging, one transaction. Its screenshot and MHTML
snapshot are kept under evidence/ and recorded as the source's attachments in that transaction;
the capture file itself is always kept, whatever `[scan] keep_evidence` says (it is the only copy).

A visit that fails (no answer, a timeout) stores nothing and is tried again by the next run. A URL
whose capture read a known state (live, gone, ended) is skipped by the next run, so an interrupted
run is resumed by running it again; `again=True` captures every URL anew. Walls and errors are
visited again on the next run (after `toolkit browser login`, they may read).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import __version__
from toolkit.browser.engine import Browser, Visit, started
from toolkit.browser.options import BrowserOptions
from toolkit.browser.polite import PoliteBrowser
from toolkit.case import Case, StoredEvidence
from toolkit.errors import InputError, UsageError
from toolkit.models import Family, Status
from toolkit.platforms.registry import platform_for_url
from toolkit.recheck.fetch import FetchOptions, host_key, run_per_host
from toolkit.scan.pipeline import Tagger, scan_file
from toolkit.sources import registry
from toolkit.sources.base import ReadContext
from toolkit.sources.browser_capture import capture_file
from toolkit.sources.urllist import URL_LINE
from toolkit.store import source_rows
from toolkit.store.attachments import Attachment, captured_urls, insert_attachment
from toolkit.store.checks import source_captures

# A capture that read one of these is done; a wall or an error is captured again by the next run.
KNOWN = frozenset({Family.LIVE, Family.GONE, Family.ENDED})


@dataclass(frozen=True)
class Target:
    """A URL to capture, and the platform it is read as (None: from its host)."""

    url: str
    platform: str | None = None

    @property
    def reading_platform(self) -> str:
        return self.platform or platform_for_url(self.url).name


@dataclass
class Outcome:
    """What became of one URL: captured (a source), failed (nothing stored) or paused (not visited:
    its host had answered with walls)."""

    target: Target
    outcome: str
    status: str | None = None  # the capture's status (its main item's)
    reason: str | None = None  # why a visit failed, or the capture's reason code
    source_id: int | None = None
    error: str | None = None
    paused_host: str | None = None  # this capture's wall paused its host
    visit: Visit | None = None


@dataclass
class CaptureStats:
    counts: Counter[str] = field(default_factory=Counter)  # status or failure reason -> URLs
    captured: int = 0
    failed: int = 0
    paused: int = 0
    paused_hosts: dict[str, str] = field(default_factory=dict)  # host -> the wall that paused it
    errors: list[Outcome] = field(default_factory=list)
    browser: str = ""


def normalise_url(text: str, where: str = "URL") -> str:
    """An http(s) URL from what the researcher typed (a bare host gets https://); InputError
    for anything else (a file: URL would read the researcher's own disk)."""
    url = text.strip()
    if not url:
        raise InputError(where, "empty URL", "Give one http(s) URL per line")
    scheme = url.split(":", 1)[0].lower() if "://" in url else ""
    if scheme and scheme not in {"http", "https"}:
        raise InputError(where, f"not a web address: {url[:120]!r}", "Only http:// and https:// URLs are captured")
    if not scheme:
        url = f"https://{url}"
    if not URL_LINE.match(url) or any(c.isspace() for c in url):
        raise InputError(where, f"not a URL: {url[:120]!r}", "Give one http(s) URL per line")
    return url


def targets_from_file(path: Path, platform: str | None = None) -> tuple[list[Target], list[str]]:
    """The URLs of a URL list (one per line, or a CSV with url and optional platform columns, as
    `scan` reads them), and one message per line that could not be used."""
    importer = registry.get("urls")
    ctx = ReadContext(path=path)
    if not path.is_file():
        raise InputError(str(path), "no such file", "Check the path given to --from")
    targets, problems = [], []
    for line, raw in importer.read(path, ctx):
        try:
            url = normalise_url(raw.get("url") or "", f"{path}:{line}")
        except InputError as exc:
            problems.append(exc.message)
            continue
        targets.append(Target(url, (raw.get("platform") or "").strip().lower() or platform))
    problems += [f"{path}: {count} line(s) {first.cause}: {first.detail}" for count, first in ctx.failures.values()]
    return targets, problems


def pending(case: Case, targets: list[Target], *, again: bool = False) -> tuple[list[Target], int]:
    """The targets still to capture (each URL once), and how many were skipped because an earlier
    capture read a known state."""
    seen: set[str] = set()
    unique = [t for t in targets if not (t.url in seen or seen.add(t.url))]
    if again:
        return unique, 0
    done = {url for url, status in captured_urls(case.db).items() if status and Status(status).family in KNOWN}
    todo = [t for t in unique if t.url not in done]
    return todo, len(unique) - len(todo)


def _keep(case: Case, data: bytes, made: list[Path]) -> StoredEvidence:
    """Store `data` under evidence/; remember the file when this call created it."""
    existed = case.evidence_path(hashlib.sha256(data).hexdigest()).exists()
    stored = case.store_evidence_bytes(data)
    if not existed:
        made.append(stored.path)
    return stored


def store_visit(case: Case, target: Target, visit: Visit, *, browser: str, session: str,
                tagger: Tagger | None) -> Outcome:
    """Keep a loaded visit as a source (capture file, screenshot, MHTML) and return its outcome.
    A visit that could not be read stores nothing."""
    if visit.reason is not None or visit.html is None:
        return Outcome(target, "failed", reason=visit.reason or "no-page", visit=visit)
    made: list[Path] = []
    kept: list[tuple[StoredEvidence, Attachment]] = []
    header: dict = {
        "url": target.url, "platform": target.platform, "final_url": visit.final_url,
        "http_status": visit.http_status, "redirects": [list(hop) for hop in visit.redirects],
        "captured_at": visit.started_at, "browser": browser, "toolkit": __version__, "session": session,
        "settled": visit.settled, "scrolled": visit.scrolled, "attempts": visit.attempts, "notes": visit.notes,
        "screenshot": None, "mhtml": None,
    }
    shot = visit.screenshot
    try:
        if shot is not None:
            stored = _keep(case, shot.png, made)
            header["screenshot"] = {"sha256": stored.sha256, "media_type": "image/png", "size": len(shot.png),
                                    "width": shot.width, "height": shot.height, "page_height": shot.page_height,
                                    "cut": shot.cut, "scale": shot.scale}
            kept.append((stored, Attachment("screenshot", stored.sha256, "image/png", len(shot.png), shot.width,
                                            shot.height, shot.describe())))
        if visit.mhtml is not None:
            stored = _keep(case, visit.mhtml, made)
            header["mhtml"] = {"sha256": stored.sha256, "media_type": "multipart/related", "size": len(visit.mhtml)}
            kept.append((stored, Attachment("mhtml", stored.sha256, "multipart/related", len(visit.mhtml))))
        data = capture_file(header, visit.html)
        own = _keep(case, data, made)

        def on_stored(conn, source_id: int) -> None:
            case.record_evidence(own)
            source_rows.set_evidence_if_missing(conn, source_id, own.sha256)
            for stored_file, attachment in kept:
                case.record_evidence(stored_file)
                insert_attachment(conn, attachment, source_id=source_id)

        fd, name = tempfile.mkstemp(prefix="toolkit-capture-", suffix=".html")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            result = scan_file(case, Path(name), forced=registry.get("browser-capture"), tagger=tagger,
                               label=target.url, on_stored=on_stored)
        finally:
            Path(name).unlink(missing_ok=True)
    except BaseException:
        for path in made:
            path.unlink(missing_ok=True)
        raise
    if result.outcome not in {"imported", "already"}:
        for path in made:
            path.unlink(missing_ok=True)
        return Outcome(target, "failed", reason="not-stored", error=result.error, visit=visit)
    main = source_captures(case.db, result.source_id)[:1]
    status = main[0]["status"] if main else None
    return Outcome(target, "captured", status=status, source_id=result.source_id, visit=visit)


async def run_capture_async(case: Case, targets: list[Target], options: BrowserOptions, fetch: FetchOptions, *,
                            tagger: Tagger | None = None,
                            on_capture: Callable[[Outcome, CaptureStats], None] | None = None,
                            browser: Browser | None = None) -> CaptureStats:
    """Capture every target, hosts worked side by side under the politeness rules; each capture is
    committed as it completes. `browser`, when given, is a started Browser to use (and leave open);
    else one is started from `options` for this run."""
    stats = CaptureStats()
    queues: dict[str, deque[Target]] = {}
    for target in targets:
        queues.setdefault(host_key(target.url), deque()).append(target)

    def report(outcome: Outcome) -> None:
        if outcome.outcome == "captured":
            stats.captured += 1
            stats.counts[outcome.status or "no status"] += 1
        elif outcome.outcome == "failed":
            stats.failed += 1
            stats.counts[outcome.reason or "failed"] += 1
            stats.errors.append(outcome)
        else:
            stats.paused += 1
        if on_capture is not None:
            on_capture(outcome, stats)

    async with started(browser, options) as browser:
        stats.browser = browser.label
        polite = PoliteBrowser(browser, fetch, options.wall_streak)

        async def worker(queue: deque[Target]) -> None:
            while queue:
                target = queue.popleft()
                if polite.walls.is_paused(target.url):
                    report(Outcome(target, "paused"))
                    continue
                visit = await polite.visit(target.url, platform=target.reading_platform, screenshot=True, mhtml=True)
                outcome = store_visit(case, target, visit, browser=browser.version, session=browser.session, tagger=tagger)
                if outcome.status is not None and polite.read(target.url, outcome.status):
                    outcome.paused_host = host_key(target.url)
                    stats.paused_hosts[outcome.paused_host] = outcome.status
                report(outcome)

        await run_per_host(queues.values(), worker, fetch.per_host_concurrency)
    return stats


def run_capture(case: Case, targets: list[Target], options: BrowserOptions, fetch: FetchOptions, *,
                tagger: Tagger | None = None,
                on_capture: Callable[[Outcome, CaptureStats], None] | None = None) -> CaptureStats:
    """Synchronous entry point for `run_capture_async`."""
    if not targets:
        raise UsageError("no URL to capture", "Give URLs, or a file of URLs with --from FILE")
    return asyncio.run(run_capture_async(case, targets, options, fetch, tagger=tagger, on_capture=on_capture))
