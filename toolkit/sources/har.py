"""HAR 1.2 files (browser devtools "Save all as HAR"): every HTML response is read as a page.

Entries are streamed (ijson), one at a time, through `toolkit.safeio.JsonGuard`: a HAR with
hundreds of megabytes of base64 images costs the memory of its largest entry, nesting is bounded,
and a string longer than a page of the largest size read (in base64) is cut to that size. An entry is a page when its response's MIME type is HTML
and its content is saved (`content.text`, base64-decoded when `content.encoding` says so); its URL
is the request URL, its capture time `startedDateTime`, and its HTTP status goes to the detectors.
The body of a HAR is already decoded text, so it is handed on as UTF-8 whatever the page declares.
A file holding a single entry object (as some tools write) is read too.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ijson

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource
from toolkit.safeio import MB, JsonGuard
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, ReadContext, head_text
from toolkit.sources.registry import register


@register
class Har(Importer):
    name = "har"
    version = "1"
    description = "HAR 1.2 (browser devtools export): every HTML response saved with its content"
    priority = 70
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head[:16384]).lstrip()
        if not text.startswith("{"):
            return False
        if '"log"' in text[:200] and ('"entries"' in text or '"creator"' in text or '"pages"' in text):
            return True
        return '"startedDateTime"' in text and '"request"' in text and '"response"' in text

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            head = head_text(binary.peek(512)[:512]).lstrip()
            single = '"log"' not in head[:200]
            counts: Counter[str] = Counter()
            guard = JsonGuard(binary, str(path))
            try:
                entries = ijson.items(guard, "" if single else "log.entries.item", use_float=True, buf_size=MB)
                for number, entry in enumerate(entries, start=1):
                    guard.record()
                    record = _entry(entry, number, counts, ctx)
                    if record is not None:
                        yield None, record
            except ijson.JSONError as exc:
                raise InputError(str(path), f"broken JSON ({exc})", "Save the HAR again; the file looks cut off") from exc
        if guard.cut:
            counts[f"string(s) longer than {guard.max_string:,} bytes cut to that size"] += guard.cut
        for what, count in sorted(counts.items()):
            ctx.note(f"{count} {what}")

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)


def _entry(entry: Any, number: int, counts: Counter[str], ctx: ReadContext) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        ctx.fail("bad-entry", f"entry {number} is not an object")
        return None
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    content = response.get("content") or {}
    if not (isinstance(request, dict) and isinstance(response, dict) and isinstance(content, dict)):
        ctx.fail("bad-entry", f"entry {number} has a malformed request or response")
        return None
    mime = content.get("mimeType") or ""
    if not _pages.is_html_type(mime):
        return None
    status = response.get("status")
    status = int(status) if isinstance(status, int | float) else None
    if status is not None and (300 <= status < 400 or status < 200):
        counts["redirect, not-modified or blocked HTML responses not read (they hold no page)"] += 1
        return None
    text = content.get("text")
    if not isinstance(text, str) or not text.strip():
        counts["HTML responses saved without their content (export the HAR 'with content')"] += 1
        return None
    # Only the first MAX_PAGE_BYTES of a page are read: decode no more text than gives them (a
    # string the JSON guard cut is always longer than that).
    longest = _pages.MAX_PAGE_BYTES + 1
    if (content.get("encoding") or "").lower() == "base64":
        try:
            body = base64.b64decode(text[: (longest + 2) // 3 * 4], validate=False)
        except (binascii.Error, ValueError) as exc:
            ctx.fail("bad-base64", f"entry {number}: content is not valid base64 ({exc})")
            return None
        charset = _pages.charset_of(mime)
    else:
        body = text[:longest].encode("utf-8", errors="surrogatepass")
        charset = "utf-8"
    body, truncated = body[: _pages.MAX_PAGE_BYTES], len(body) > _pages.MAX_PAGE_BYTES
    body, note = _pages.prepare_body(body, charset)
    if note:
        counts[f"page(s): {note}"] += 1
    when = _pages.iso_time(entry.get("startedDateTime"))
    if when and (ctx.collected_at is None or when < ctx.collected_at):
        ctx.collected_at = when
    final = response.get("redirectURL") or None
    return _pages.page_record("har", body, request.get("url"), observed_at=when, http_status=status,
                              final_url=final, truncated=truncated, entry=number)
