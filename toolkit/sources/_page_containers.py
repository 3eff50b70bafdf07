"""What every page container shares (saved HTML, MHTML, WARC, WACZ, HAR): the page record a
reader yields, the bytes the HTML parser is given (through the one page decoder,
`toolkit.platforms.page_encoding`), and the captures a detector reads from them.

A container's `read` yields a `page_record(...)` per page: the body (at most `MAX_PAGE_BYTES`),
the URL the page was saved from, when it was saved, and the HTTP status and final URL when the
container knows them. `map` calls `page_captures(record)`, which hands the page to the platform
detectors (`toolkit.platforms.detect.read_page`) and returns what they read, every capture
carrying the detector's status, marker and place.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any, BinaryIO

from toolkit.dates import parse_iso, to_utc_iso
from toolkit.models import Capture
from toolkit.platforms import page_encoding
from toolkit.platforms.detect import read_page
from toolkit.safeio import limit, markup_cut
from toolkit.sources.base import MapError

# A saved page larger than this is read up to this size: what detectors look at (title, meta
# tags, inline data, first content) comes early, and a 200 MB page must not exhaust memory.
MAX_PAGE_BYTES = 32 << 20
PRESCAN_BYTES = 16384
UTF8_BOM = b"\xef\xbb\xbf"
HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+html|<html[\s>]|<head[\s>])", re.I | re.S)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_bounded(stream: BinaryIO, limit: int = MAX_PAGE_BYTES) -> tuple[bytes, bool]:
    """Up to `limit` bytes of `stream`, and whether there was more (the rest is not read)."""
    want = limit + 1
    if isinstance(stream, (io.BufferedReader, io.FileIO)):
        # A read of `limit` bytes allocates that much first: ask a file for what it holds.
        try:
            left = os.fstat(stream.fileno()).st_size - stream.tell()
        except (OSError, ValueError):
            left = limit
        want = min(max(left, 0), limit) + 1
    data = stream.read(want)
    if len(data) == want <= limit:  # the file grew since: read on, up to the limit
        data += stream.read(limit + 1 - want)
    return (data[:limit], True) if len(data) > limit else (data, False)


def looks_html(head: bytes) -> bool:
    """True when the bytes start like an HTML document (after a BOM, comments, an XML prolog)."""
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        try:
            head = head[:4096].decode("utf-16", errors="ignore").encode("utf-8")
        except UnicodeError:
            return False
    elif head.startswith(UTF8_BOM):
        head = head[3:]
    return bool(HTML_START.match(head[:PRESCAN_BYTES]))


def is_html_type(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type value, if any."""
    if not content_type:
        return None
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type, re.I)
    return match.group(1) if match else None


def prepare_body(body: bytes, transport_charset: str | None = None) -> tuple[bytes, str | None]:
    """The page bytes as the HTML parser must see them (UTF-8 behind a BOM), and a note when a
    declared charset was passed over, the encoding was detected on bytes that are not UTF-8, or
    the page has more elements than the parser builds (`markup_cut`).

    This is the containers' door to the one page decoder, `toolkit.platforms.page_encoding`
    (BOM, then the transport's charset, then the page's <meta>, then UTF-8 or Windows-1252), which
    live and browser rechecks use too: `transport_charset` is what the container says (a WARC or
    HAR record's Content-Type, an MHTML part's), None for a saved page.
    """
    body, note = page_encoding.for_parser(body, charset=transport_charset)
    if markup_cut(body) is not None:
        most = limit("html_tags")
        note = (f"{note}; " if note else "") + f"more than {most:,} elements (limit html_tags): only the first were read"
    return body, note


def iso_time(text: str | None) -> str | None:
    """ISO-8601 UTC from an ISO timestamp (WARC-Date, HAR startedDateTime), else None."""
    moment = parse_iso(text or "")
    return to_utc_iso(moment) if moment is not None else None


def page_record(container: str, body: bytes, url: str | None, *, observed_at: str | None = None,
                http_status: int | None = None, final_url: str | None = None, truncated: bool = False,
                **extra: Any) -> dict[str, Any]:
    """The raw record a page container yields for one page (what `page_captures` reads)."""
    record = {"container": container, "body": body, "url": url, "observed_at": observed_at,
              "http_status": http_status, "final_url": final_url}
    if truncated:
        record["truncated"] = True
    record.update({k: v for k, v in extra.items() if v is not None})
    return record


def page_captures(record: dict[str, Any]) -> list[Capture]:
    """The captures a detector reads off one page record, main item first.

    Every capture carries the detector's status, marker and place; the main one also the
    verdict's reason code (`status_reason`) and where the page came from (`page`). A page that is
    not an item (a search, a feed: see toolkit/platforms/roles.py) gives no status: the item links
    it shows become captures without a status, to track, each saying where it was found
    (`found_on`). A page that names no item and shows none is a MapError saying what it is.
    """
    reading = read_page(record["body"], record.get("url"), final_url=record.get("final_url"),
                        http_status=record.get("http_status"), platform=record.get("platform"),
                        observed_at=record.get("observed_at"))
    verdict = reading.verdict
    url = record.get("url") or record.get("final_url")
    source = {k: record[k] for k in ("container", "url", "final_url", "http_status", "record_id", "revisit_of",
                                     "title", "truncated")
              if record.get(k) is not None}
    if not reading.captures and reading.candidates:
        for capture in reading.candidates:
            if capture.observed_at is None:
                capture.observed_at = record.get("observed_at")
        # What the scan's summary counts this page as (see scan_reader.batches).
        reading.candidates[0].fields["page"] = {
            **source, "reading": f"not an item ({reading.page_reason}): no status taken, its item links recorded to track"}
        return reading.candidates
    if not reading.captures:
        shown = f"{verdict.status}" + (f" ({verdict.reason or verdict.marker})" if verdict.reason or verdict.marker else "")
        where = url[:120] if url else "page"
        if reading.page == "not-item":
            raise MapError("not-an-item", f"{where} is a {reading.platform} {reading.page_reason} page: it names no "
                                          "page, group, profile, post, listing, video or channel of its own (not an "
                                          "item, no status taken), and no item links were found on it")
        if reading.page == "wall":
            raise MapError("not-an-item", f"{where} is a {reading.platform} {reading.page_reason} page that names "
                                          "no page, group, profile, post, listing, video or channel (no next=): not an "
                                          "item, no status taken")
        if url:
            raise MapError("not-an-item", f"{url[:120]} shows {shown} and names no page, group, profile, post, "
                                          "listing, video or channel (a search, a reactions list, a comment thread...): "
                                          "save the item's own page instead")
        raise MapError("no-item", f"page shows {shown} but names no item: it has no source URL, canonical link or "
                                  "og:url; save it with SingleFile, which records the URL")
    for capture in reading.captures:
        if capture.status is None:
            capture.status = verdict.status
        if capture.detector is None:
            capture.detector = verdict.detector
        if capture.observed_at is None:
            capture.observed_at = record.get("observed_at")
    main = reading.captures[0]
    if verdict.reason:
        main.fields["status_reason"] = verdict.reason
    main.fields["page"] = source
    if main.url is None:
        main.url = record.get("url") or record.get("final_url")
    for capture in reading.candidates:
        if capture.observed_at is None:
            capture.observed_at = record.get("observed_at")
    return [*reading.captures, *reading.candidates]

