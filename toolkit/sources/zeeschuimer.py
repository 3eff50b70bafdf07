"""Zeeschuimer NDJSON: items captured in the browser by the Zeeschuimer extension.

One JSON object per line (`{"nav_index", "item_id", "timestamp_collected", "source_platform",
"source_platform_url", "source_url", "user_agent", "data": {...}, "id"}`), as Zeeschuimer's
"Download as NDJSON" writes it. A record pretty-printed over several lines (as some tools save a
single item) is read too. `timestamp_collected` (epoch ms) is when the item was seen: the capture
time. `source_platform` says which mapper reads `data`: `tiktok.com` (videos with their author's
profile), `instagram.com` (posts with their author's profile), `facebook.com` (`Story` objects
with `comet_sections`, with their page or group). Other platforms are counted as failures by cause.

The file is read line by line, so memory stays flat however large it is. A line that is not JSON,
a last line cut off mid-record, a line longer than `record_line_bytes` (never held whole) or nested
deeper than `json_depth` (see `toolkit.safeio`) is counted with its line number and the rest of the
file goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toolkit.dates import from_unix
from toolkit.models import Capture
from toolkit.safeio import limit, skip_line, too_deep
from toolkit.sources._text import looks_binary
from toolkit.sources._zeeschuimer_items import MAPPERS, ShapeError
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

ENVELOPE_KEYS = ('"timestamp_collected"', '"nav_index"', '"source_platform_url"')


@register
class Zeeschuimer(Importer):
    name = "zeeschuimer"
    version = "1"
    description = "Zeeschuimer NDJSON: TikTok videos, Instagram posts, Facebook stories (one item per line)"
    priority = 60

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        text = head_text(head).lstrip()
        # The envelope's keys come before `data`, so even a first line cut short is recognised.
        return text.startswith("{") and '"source_platform"' in text and any(key in text for key in ENVELOPE_KEYS)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        # The file was saved no earlier than its latest item was seen: that is its collected_at.
        latest: int | float | None = None
        for line, record in self._records(ctx):
            stamp = record.get("timestamp_collected") if isinstance(record, dict) else None
            if isinstance(stamp, int | float) and not isinstance(stamp, bool) and (latest is None or stamp > latest):
                if latest is None:
                    ctx.collected_at = from_unix(stamp)
                latest = stamp
            yield line, record
        if latest is not None:
            ctx.collected_at = from_unix(latest)

    def _records(self, ctx: ReadContext) -> Iterator[tuple[int, Any]]:
        pending: list[bytes] | None = None  # lines of a record pretty-printed over several lines
        pending_start = pending_size = 0
        most = limit("record_line_bytes")
        depth = limit("json_depth")
        with ctx.open_binary() as binary:
            number = 0
            while raw_line := binary.readline(most + 1):
                number += 1
                if len(raw_line) > most and not raw_line.endswith(b"\n"):
                    skip_line(binary)  # the rest of the line is read and dropped, never held
                    ctx.fail("line-too-long", f"a line longer than {most:,} bytes (limit record_line_bytes): "
                                              "skipped", number)
                    pending = None
                    continue
                if number == 1 and raw_line.startswith(b"\xef\xbb\xbf"):
                    raw_line = raw_line[3:]
                if pending is not None:
                    pending.append(raw_line)
                    pending_size += len(raw_line)
                    if raw_line.rstrip() == b"}":
                        whole = b"".join(pending)
                        if too_deep(whole, ctx, pending_start, depth):
                            pending = None
                            continue
                        try:
                            record = orjson.loads(whole)
                        except orjson.JSONDecodeError:
                            # A "}" at column 0 inside the record (indent=0): keep reading.
                            record = None
                        if record is not None:
                            yield pending_start, record
                            pending = None
                            continue
                    if pending_size > most:
                        ctx.fail("record-too-large", f"record is larger than {most:,} bytes (limit record_line_bytes)",
                                 pending_start)
                        pending = None
                    continue
                stripped = raw_line.strip()
                if not stripped:
                    continue
                if stripped == b"{":
                    pending, pending_start, pending_size = [raw_line], number, len(raw_line)
                    continue
                # Counting brackets bounds the depth: only a line with many is followed exactly.
                if stripped.count(b"{") + stripped.count(b"[") > depth and too_deep(stripped, ctx, number, depth):
                    continue
                try:
                    record = orjson.loads(stripped)
                except orjson.JSONDecodeError as exc:
                    if not raw_line.endswith(b"\n"):
                        ctx.fail("truncated-line", "the last line is cut off mid-record (the export did not finish)",
                                 number)
                    else:
                        ctx.fail("not-json", f"line is not JSON ({str(exc).split(':', 1)[0]})", number)
                    continue
                yield number, record
        if pending is not None:
            ctx.fail("truncated-record", "the file ends inside a record (the export did not finish)", pending_start)

    def map(self, raw: Any) -> Iterable[Capture]:
        if not isinstance(raw, dict):
            raise MapError("not-a-record", f"line holds a JSON {type(raw).__name__}, not a Zeeschuimer record")
        data = raw.get("data")
        if not isinstance(data, dict):
            raise MapError("no-data", "record has no `data` object")
        platform = raw.get("source_platform")
        mapper = MAPPERS.get(platform) if isinstance(platform, str) else None
        if mapper is None:
            raise MapError(f"unsupported-platform {platform}",
                           f"source_platform {platform!r}: toolkit reads {', '.join(sorted(MAPPERS))}")
        stamp = raw.get("timestamp_collected")
        observed = from_unix(stamp) if isinstance(stamp, int | float) and not isinstance(stamp, bool) else None
        try:
            captures = mapper(data, observed)
        except ShapeError as exc:
            raise MapError(exc.cause, exc.detail) from None
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            # Platforms change their JSON without notice: one odd record must not stop the file.
            raise MapError(f"unexpected-{platform}-shape", f"{exc.__class__.__name__}: {exc}") from None
        # The record as read is kept once, on the item it is about (the last capture).
        captures[-1].raw = raw
        return captures
