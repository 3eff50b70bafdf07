"""MHTML pages ("Save page as... Webpage, single file" in Chrome and Edge): MIME multipart/related.

The message headers give the page's URL (`Snapshot-Content-Location`, else the root part's
`Content-Location`) and when it was saved (`Date`). The root part is the `start` part when the
header names one, else the first text/html part; it is decoded from quoted-printable or base64
with its charset. Parts are streamed line by line and only the root is kept, so a page with
hundreds of embedded images costs the memory of its HTML alone.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Iterable, Iterator
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any

from toolkit.dates import parse_http_date, to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Capture, DateSource
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, ReadContext, head_text
from toolkit.sources.registry import register

MAX_HEADER_BYTES = 256 << 10
MAX_LINE = 1 << 20  # longer lines are read in pieces; MHTML lines are 76 characters


def _headers(stream) -> tuple[dict[str, str], int]:
    """Read one header block (up to the blank line): the headers, and the bytes consumed."""
    raw = bytearray()
    while len(raw) < MAX_HEADER_BYTES:
        line = stream.readline(MAX_LINE)
        if not line:
            break
        raw += line
        if line in (b"\r\n", b"\n"):
            break
    message = BytesHeaderParser(policy=compat32).parsebytes(bytes(raw))
    return {k.lower(): str(v) for k, v in message.items()}, len(raw)


def _param(value: str, name: str) -> str | None:
    match = re.search(rf'{name}\s*=\s*(?:"([^"]*)"|([^;\s]+))', value, re.I)
    return (match.group(1) or match.group(2)) if match else None


def _decode(data: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "quoted-printable":
        return quopri.decodestring(data)
    if encoding == "base64":
        compact = b"".join(data.split())
        # A part cut at the size bound ends mid-quantum: decode the whole quanta only.
        return base64.b64decode(compact[: len(compact) - len(compact) % 4], validate=False)
    return data


@register
class Mhtml(Importer):
    name = "mhtml"
    version = "1"
    description = "MHTML page (.mhtml/.mht, Chrome 'Webpage, single file'): URL and save date from its headers"
    priority = 70
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head[:8192]).lower()
        return "multipart/related" in text and "mime-version:" in text and (
            "snapshot-content-location:" in text or path.suffix.lower() in {".mhtml", ".mht"} or "text/html" in text)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as stream:
            headers, _ = _headers(stream)
            boundary = _param(headers.get("content-type", ""), "boundary")
            if not boundary:
                raise InputError(str(path), "MHTML without a multipart boundary",
                                 "Save the page again as 'Webpage, single file' (.mhtml)")
            start = _param(headers.get("content-type", ""), "start")
            saved_at = None
            if headers.get("date"):
                sent = parse_http_date(headers["date"])
                if sent is None:
                    ctx.fail("bad-date", f"unreadable Date header {headers['date']!r}")
                else:
                    saved_at = to_utc_iso(sent)
            if saved_at:
                ctx.collected_at = saved_at
            root = _root_part(stream, boundary.encode("ascii", "replace"), start)
        if root is None:
            raise InputError(str(path), "no text/html part in this MHTML file",
                             "Save the page again as 'Webpage, single file' (.mhtml)")
        part_headers, data, truncated = root
        try:
            body = _decode(data, part_headers.get("content-transfer-encoding", "7bit"))
        except (binascii.Error, ValueError) as exc:
            raise InputError(str(path), f"the page part cannot be decoded ({exc})",
                             "The file is damaged; save the page again") from exc
        if truncated:
            ctx.note(f"page part is larger than {_pages.MAX_PAGE_BYTES >> 20} MB: only its first part was read")
        body, note = _pages.prepare_body(body, _pages.charset_of(part_headers.get("content-type")))
        if note:
            ctx.note(note)
        url = headers.get("snapshot-content-location") or part_headers.get("content-location")
        title = headers.get("subject")
        yield None, _pages.page_record("mhtml", body, url.strip() if url else None, observed_at=saved_at,
                                       truncated=truncated, title=_decoded_subject(title))

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)


def _decoded_subject(subject: str | None) -> str | None:
    if not subject:
        return None
    try:
        return str(make_header(decode_header(subject)))
    except (UnicodeError, LookupError, binascii.Error):
        return subject


def _root_part(stream, boundary: bytes, start: str | None) -> tuple[dict[str, str], bytes, bool] | None:
    """The root part's headers and (encoded) body: the `start` part, else the first text/html."""
    delimiter = b"--" + boundary
    # Skip the preamble up to the first delimiter.
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return None
        if line.rstrip(b"\r\n") == delimiter:
            break
    limit = _pages.MAX_PAGE_BYTES * 2  # encoded size: quoted-printable and base64 expand the page
    while True:
        headers, consumed = _headers(stream)
        if not consumed:
            return None
        content_type = headers.get("content-type", "text/plain").lower()
        wanted = (start and headers.get("content-id", "").strip() == start.strip()) or (
            not start and content_type.startswith("text/html"))
        data = bytearray()
        truncated = False
        ended = False
        while True:
            line = stream.readline(MAX_LINE)
            if not line:
                ended = True
                break
            stripped = line.rstrip(b"\r\n")
            if stripped.startswith(delimiter) and stripped in (delimiter, delimiter + b"--"):
                ended = stripped.endswith(b"--")
                break
            if wanted and not truncated:
                if len(data) + len(line) > limit:
                    truncated = True
                else:
                    data += line
        if wanted:
            # The line break before a delimiter belongs to the delimiter, not the body.
            if data.endswith(b"\r\n"):
                del data[-2:]
            elif data.endswith(b"\n"):
                del data[-1:]
            return headers, bytes(data), truncated
        if ended:
            return None
