"""Pages saved from the browser: SingleFile (and Save Page WE), and plain "Save page as" HTML.

SingleFile writes a comment at the top of the page, `Page saved with SingleFile / url: ... /
saved date: ...`, which gives the page's URL and when it was saved (the capture time and the
source's collection time). Save Page WE writes `savepage-url` / `savepage-date` meta tags. Chrome's
"Save page as" writes `<!-- saved from url=(0044)https://... -->`; other browsers write nothing, and
the page's own canonical link or og:url names it (the detectors read those). A file's modification
time is not a save time (copying changes it), so a page that does not say when it was saved takes
the scan's --collected-at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from toolkit.dates import to_utc_iso
from toolkit.models import Capture, DateSource
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, ReadContext
from toolkit.sources.registry import register

SINGLEFILE = re.compile(rb"<!--\s*Page saved with SingleFile\s*(.*?)-->", re.S)
SINGLEFILE_URL = re.compile(rb"^\s*url:\s*(\S+)", re.M)
SINGLEFILE_DATE = re.compile(rb"^\s*saved date:\s*(.+?)\s*$", re.M)
SAVEPAGE_META = re.compile(rb"""<meta\s+name=["']?savepage-(url|date)["']?\s+content=["']([^"']+)["']""", re.I)
SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
BARE_URL_COMMENT = re.compile(rb"^\s*<!--\s*(https?://[^\s<>]+)\s*-->")
# JavaScript's Date.toString(): "Tue Jun 16 2020 21:55:43 GMT+0200 (Central European Summer Time)".
JS_DATE = re.compile(r"(?:\w{3},?\s+)?(\w{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})\s*(?:GMT|UTC)?\s*([+-]\d{2}:?\d{2})?")
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def js_date(text: str) -> str | None:
    """ISO UTC from a browser's date string (Date.toString or ISO-8601), else None."""
    iso = _pages.iso_time(text)
    if iso:
        return iso
    match = JS_DATE.search(text)
    if not match:
        return None
    month, day, year, hour, minute, second, offset = match.groups()
    if month.lower()[:3] not in MONTHS:
        return None
    tz = UTC
    if offset:
        digits = offset.replace(":", "")
        delta = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        tz = timezone(-delta if digits[0] == "-" else delta)
    try:
        moment = datetime(int(year), MONTHS[month.lower()[:3]], int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError:
        return None
    return to_utc_iso(moment)


def saved_origin(head: bytes) -> tuple[str | None, str | None, str]:
    """(URL, saved-at ISO, tool) from what save tools write at the top of a page."""
    match = SINGLEFILE.search(head)
    if match:
        block = match.group(1)
        url = SINGLEFILE_URL.search(block)
        date = SINGLEFILE_DATE.search(block)
        return (url.group(1).decode("utf-8", "replace") if url else None,
                js_date(date.group(1).decode("utf-8", "replace")) if date else None, "singlefile")
    metas = {m.group(1).decode("ascii").lower(): m.group(2).decode("utf-8", "replace") for m in SAVEPAGE_META.finditer(head)}
    if metas:
        return metas.get("url"), js_date(metas.get("date", "")), "savepage-we"
    match = SAVED_FROM.search(head[:4096]) or BARE_URL_COMMENT.match(head)
    if match:
        return match.group(1).decode("utf-8", "replace"), None, "browser"
    return None, None, "browser"


def _read_saved(path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
    with ctx.open_binary() as binary:
        body, truncated = _pages.read_bounded(binary)
    url, saved_at, tool = saved_origin(body[:_pages.PRESCAN_BYTES * 4])
    if saved_at:
        ctx.collected_at = saved_at
    if truncated:
        ctx.note(f"page is larger than {_pages.MAX_PAGE_BYTES >> 20} MB: only its first "
                 f"{_pages.MAX_PAGE_BYTES >> 20} MB were read")
    body, encoding_note = _pages.prepare_body(body)
    if encoding_note:
        ctx.note(encoding_note)
    yield None, _pages.page_record(tool, body, url, observed_at=saved_at, truncated=truncated)


@register
class SingleFile(Importer):
    name = "singlefile"
    version = "1"
    description = "Page saved with SingleFile or Save Page WE (URL and save time from the page)"
    priority = 70
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        return _pages.looks_html(head) and (b"Page saved with SingleFile" in head or b"savepage-url" in head)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        return _read_saved(path, ctx)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)


@register
class SavedHtml(Importer):
    name = "html"
    version = "1"
    description = "HTML page saved from the browser (Save page as) or any other HTML file"
    priority = 30  # anything more specific (SingleFile, Telegram export) wins
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        return _pages.looks_html(head)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        return _read_saved(path, ctx)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)
