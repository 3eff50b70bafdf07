"""WARC files (Webrecorder, Browsertrix, wget, Heritrix): every archived HTML page is read.

Each `response` record with an HTML payload (and each `resource` record of type text/html) is one
page: WARC-Target-URI is its URL, WARC-Date its capture time, the HTTP status is passed to the
detectors. warcio undoes gzip members, chunked transfer encoding and content encodings. A record
that cannot be read is counted as `corrupt-record` and the reader resynchronises on the next
record (the next `WARC/1.x` line, or the next gzip member), so one damaged record costs one
record. A revisit record (a later capture whose content was identical) is read as the page it
repeats, at its own date. Redirects and `304 Not Modified` responses carry no page and are counted
in a note. A WARC with no HTML response at all (an app's JSON answers to POST requests, images) is
complete but holds nothing to read as a page: that is said, with what it holds instead. Everything
a file inflates to, or has read again, is spent from its expansion budget
(`toolkit.safeio.ExpansionBudget`): a gzip member, a content encoding or a revisit cannot make a
small file cost more than `expansion_ratio` times its size.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BUFF_SIZE, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource
from toolkit.safeio import ExpansionBudget, limit
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, ReadContext
from toolkit.sources.registry import register

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_LINE = b"\nWARC/1."
SCAN_CHUNK = 1 << 20
SUBRESOURCE = re.compile(r"\.(?:ico|png|jpe?g|gif|webp|svg|css|js|mjs|json|woff2?|ttf|map|mp4|webm|mp3)$", re.I)
# warcio raises AttributeError/TypeError on some malformed headers (e.g. a record with no
# Content-Type reaches `None.startswith`): found by fuzzing; such a record is corrupt, not a crash.
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError, IndexError, KeyError, AttributeError,
               TypeError)


class BudgetedReader(DecompressingBufferedReader):
    """warcio's reader of a WARC stream, spending every byte it inflates (or reads, uncompressed)
    from the file's expansion budget, and reading no header line longer than `text_line_bytes`
    (warcio asks for whole lines: a 1 GB header line would be held whole)."""

    def __init__(self, stream: BinaryIO, budget: ExpansionBudget, **kwargs: Any):
        super().__init__(stream, **kwargs)
        self.budget = budget
        self.longest_line = limit("text_line_bytes")

    def _process_read(self, data: bytes) -> None:
        super()._process_read(data)
        if data:
            self.budget.spend(self.buff_size)

    def readline(self, length: int | None = None) -> bytes:
        return super().readline(self.longest_line if length is None else min(length, self.longest_line))


class QuietArchiveIterator(ArchiveIterator):
    """warcio's iterator, reading through a BudgetedReader, and counting "record not followed by
    newline" instead of printing it."""

    length_mismatches = 0

    def __init__(self, stream: BinaryIO, budget: ExpansionBudget):
        super().__init__(stream)
        # Replaced before the first record is read (the iterator starts lazily).
        self.reader = BudgetedReader(self.fh, budget, block_size=BUFF_SIZE)

    def _consume_blanklines(self):
        empty_size = 0
        first_line = True
        while True:
            line = self.reader.readline()
            if len(line) == 0:
                return None, empty_size
            stripped = line.rstrip()
            if len(stripped) == 0 or first_line:
                empty_size += len(line)
                if len(stripped) != 0:
                    # A record not followed by blank lines: its Content-Length was probably wrong.
                    self.length_mismatches += 1
                    self.err_count += 1
                first_line = False
                continue
            return line, empty_size


def _resync(stream: BinaryIO, start: int, compressed: bool) -> int | None:
    """The offset of the next record at or after `start`, or None at the end of the stream."""
    pattern = GZIP_MAGIC if compressed else WARC_LINE
    stream.seek(start)
    position = start
    tail = b""
    while True:
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        data = tail + chunk
        found = data.find(pattern)
        if found >= 0:
            offset = position - len(tail) + found
            return offset if compressed else offset + 1
        tail = data[-(len(pattern) - 1):]
        position += len(chunk)


def _content_type(record) -> str | None:
    if record.http_headers is not None and record.rec_type == "response":
        return record.http_headers.get_header("Content-Type")
    return record.rec_headers.get_header("Content-Type")


@dataclass
class _Walk:
    """What reading one WARC stream keeps: where notes go, and the pages read so far (for revisits)."""

    ctx: ReadContext
    label: str
    container: str
    pages: dict[str, dict[str, Any]] | None
    reopen: Callable[[], BinaryIO]
    # Payload digest or record id of each page read -> how to read it again (shared across the
    # WARCs of one WACZ, whose revisits may point into another WARC).
    originals: dict[str, tuple[Callable[[], BinaryIO], int]]
    budget: ExpansionBudget
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    # Responses that are not pages, by what they hold (JSON, images, ...): what a WARC without
    # pages holds instead.
    other: Counter[str] = field(default_factory=Counter)

    def body(self, record) -> tuple[bytes, bool]:
        """A page's body (at most MAX_PAGE_BYTES, and whether there was more), spent from the budget:
        a revisit reads its original again, and a content encoding inflates it."""
        body, truncated = _pages.read_bounded(record.content_stream())
        self.budget.spend(len(body))
        return body, truncated


def payload_kind(content_type: str) -> str:
    """What a non-HTML response holds, in words: JSON, images, scripts or styles, ... ."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if "json" in kind:
        return "JSON"
    if kind.startswith("image/"):
        return "images"
    if "javascript" in kind or kind == "text/css":
        return "scripts or styles"
    if kind.startswith(("font/", "application/font")) or "woff" in kind:
        return "fonts"
    if kind.startswith(("video/", "audio/")):
        return "media"
    return "other"


def no_pages(label: str, other: Counter[str]) -> InputError:
    """The error for a WARC that holds responses but no HTML page."""
    held = ", ".join(f"{n:,} {kind}" for kind, n in sorted(other.items(), key=lambda kv: (-kv[1], kv[0])))
    return InputError(label, f"no HTML responses in this WARC ({held or 'no responses: only requests or metadata'}): nothing to read as a page",
                      "The file is complete; it holds no page. Record the item's own page while archiving (open it "
                      "in the browser as it records), or scan the export made for that data (see toolkit formats)")


def warc_pages(stream: BinaryIO, ctx: ReadContext, label: str, pages: dict[str, dict[str, Any]] | None = None,
               container: str = "warc", *, reopen: Callable[[], BinaryIO], budget: ExpansionBudget,
               originals: dict[str, tuple[Callable[[], BinaryIO], int]] | None = None,
               other: Counter[str] | None = None) -> Iterator[tuple[int | None, Any]]:
    """Page records of one WARC stream (seekable), resynchronising after a corrupt record.

    `label` names the WARC in failure messages (the file, or the entry inside a WACZ); `pages`
    maps URLs listed by a WACZ's page lists to their title and timestamp; `reopen` opens the WARC
    again, so that a revisit record can be read as the page it repeats; `other`, when given,
    counts the responses that are not pages by what they hold (see `payload_kind`). Everything
    inflated or read again is spent from `budget` (the whole file's, a WACZ's shared by its WARCs):
    past it the file is refused (InputError) as a decompression bomb.
    """
    walk = _Walk(ctx, label, container, pages, reopen, {} if originals is None else originals, budget)
    if other is not None:
        walk.other = other
    stream.seek(0)
    compressed = stream.read(2) == b"\x1f\x8b"
    position = 0
    mismatches = 0
    while position is not None:
        stream.seek(position)
        iterator = QuietArchiveIterator(stream, budget)
        try:
            for record in iterator:
                offset = iterator.offset
                try:
                    page = _revisit(walk, record) if record.rec_type == "revisit" else _page(walk, record, offset)
                except READ_ERRORS as exc:
                    ctx.fail("corrupt-record", f"{label} at byte {offset}: {exc.__class__.__name__}: {exc}")
                    continue
                if page is not None:
                    yield None, page
            position = None
        except READ_ERRORS as exc:
            failed_at = iterator.offset
            ctx.fail("corrupt-record", f"{label} at byte {failed_at}: {exc.__class__.__name__}: {str(exc)[:200]}")
            position = _resync(stream, failed_at + 1, compressed)
        mismatches += iterator.length_mismatches
    if mismatches:
        ctx.note(f"{label}: {mismatches} record(s) with a wrong Content-Length (read anyway)")
    for what, count in sorted(walk.skipped.items()):
        ctx.note(f"{label}: {count} {what} not read (they hold no page)")
    for note, count in sorted(walk.notes.items()):
        ctx.note(f"{label}: {count} page(s): {note}")


def _status(record) -> int | None:
    if record.http_headers is None or record.rec_type not in {"response", "revisit"}:
        return None
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _page(walk: _Walk, record, offset: int) -> dict[str, Any] | None:
    if record.rec_type not in {"response", "resource"}:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    if not url or url.startswith(("dns:", "urn:")):
        return None
    status = _status(record)
    if status is not None and (300 <= status < 400 or status < 200):
        walk.skipped["redirect or not-modified responses"] += 1
        return None
    content_type = _content_type(record)
    if content_type and not _pages.is_html_type(content_type):
        walk.other[payload_kind(content_type)] += 1
        return None
    if walk.pages and url not in walk.pages:
        walk.skipped["HTML responses not in the WACZ page lists (frames, widgets)"] += 1
        return None
    if status is not None and status >= 400 and SUBRESOURCE.search(url.split("?", 1)[0]):
        # An error page served for an image, script or style is not a page the researcher saw.
        walk.skipped["error responses for images, scripts or styles"] += 1
        return None
    body, truncated = walk.body(record)
    if not content_type and not _pages.looks_html(body[:_pages.PRESCAN_BYTES]):
        walk.other["other"] += 1
        return None
    if not body.strip():
        walk.other["empty"] += 1
        return None
    for key in (record.rec_headers.get_header("WARC-Payload-Digest"), record.rec_headers.get_header("WARC-Record-ID")):
        if key:
            walk.originals[key] = (walk.reopen, offset)
    return _record(walk, record, url, body, truncated, content_type, status, offset)


def _record(walk: _Walk, record, url: str, body: bytes, truncated: bool, content_type: str | None,
            status: int | None, offset: int, **extra: Any) -> dict[str, Any]:
    when = _pages.iso_time(record.rec_headers.get_header("WARC-Date"))
    if when and (walk.ctx.collected_at is None or when < walk.ctx.collected_at):
        walk.ctx.collected_at = when
    if truncated:
        walk.notes[f"larger than {_pages.MAX_PAGE_BYTES >> 20} MB, only the start was read"] += 1
    body, note = _pages.prepare_body(body, _pages.charset_of(content_type))
    if note:
        walk.notes[note] += 1
    listed = (walk.pages or {}).get(url) or {}
    return _pages.page_record(
        walk.container, body, url, observed_at=when, http_status=status, truncated=truncated,
        record_id=record.rec_headers.get_header("WARC-Record-ID"), archive=walk.label, offset=offset,
        warc_truncated=record.rec_headers.get_header("WARC-Truncated"), title=listed.get("title"), **extra)


def _revisit(walk: _Walk, record) -> dict[str, Any] | None:
    """A revisit record says the page was seen again, unchanged, at its WARC-Date: it is read as
    the page it repeats (found by payload digest or WARC-Refers-To), observed at the new time."""
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    original = None
    for key in (headers.get_header("WARC-Payload-Digest"), headers.get_header("WARC-Refers-To")):
        if key and key in walk.originals:
            original = walk.originals[key]
            break
    if original is None or not url:
        walk.skipped["revisit records of responses that are not pages read here"] += 1
        return None
    reopen, offset = original
    with reopen() as handle:
        handle.seek(offset)
        first = next(iter(QuietArchiveIterator(handle, walk.budget)))
        body, truncated = walk.body(first)
        content_type = _content_type(first)
        first_status = _status(first)
    status = _status(record)
    # "304 Not Modified" (server-not-modified profile) means the earlier page still stands.
    status = first_status if status is None or status == 304 else status
    return _record(walk, record, url, body, truncated, content_type, status, offset,
                   revisit_of=first.rec_headers.get_header("WARC-Record-ID"))


@register
class Warc(Importer):
    name = "warc"
    version = "1"
    description = "WARC web archive (.warc, .warc.gz): every archived HTML page"
    priority = 70
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        if head.startswith(b"WARC/1."):
            return True
        if head.startswith(b"\x1f\x8b"):
            try:
                inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head[:4096], 16)
            except zlib.error:
                return False
            return inflated.startswith(b"WARC/1.")
        return False

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        other: Counter[str] = Counter()
        found = 0
        with ctx.open_binary() as stream:
            budget = ExpansionBudget(str(path), path.stat().st_size)
            for record in warc_pages(stream, ctx, path.name, reopen=lambda: open(path, "rb"),  # noqa: SIM115 - used in `with`
                                     budget=budget, other=other):
                found += 1
                yield record
        if not found and not ctx.failed and not ctx.notes:
            # Complete, readable, and not one page in it: "check the export is complete" would mislead.
            raise no_pages(str(path), other)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)
