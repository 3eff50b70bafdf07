"""URL lists: items to track that have no content yet.

Either a `.txt` file with one URL per line (blank lines and `#` comments ignored), or a CSV with a
`url` column and optional `name`, `platform`, `kind`, `note` columns. A `platform` column overrides
detection from the host (for mirrors, alternative front-ends and local test servers); a `kind`
column overrides the kind the URL implies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.models import Capture, ItemRef, Kind
from toolkit.platforms import identify, platform_for_url
from toolkit.platforms.registry import parent_of
from toolkit.safeio import limit, skip_line
from toolkit.sources._text import csv_rows, looks_binary, sniff_delimiter
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

# A host is a domain name, an IPv4 address, localhost or a bracketed IPv6 address: local mirrors
# and test servers are tracked with a `platform` column.
URL_LINE = re.compile(
    r"^\s*(?:https?://)?(?:[\w.-]+\.[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-f:.]+\])"
    r"(?::\d+)?(?:[/?#]\S*)?\s*$",
    re.I,
)
KINDS = {k.value for k in Kind}


@register
class UrlList(Importer):
    name = "urls"
    version = "1"
    description = "URL list: .txt one URL per line, or CSV with a url column (name, platform, kind, note optional)"
    priority = 10  # generic: anything more specific wins

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        text = head_text(head)
        lines = [ln for ln in text.splitlines()[:50] if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            return False
        header = [c.strip().strip('"').lower() for c in lines[0].split(sniff_delimiter(lines[0]))]
        if "url" in header and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
            return True
        # Only whole lines of URLs count: the last line of the head may be cut off mid-URL.
        complete = lines[:-1] if len(head) >= 65536 and len(lines) > 1 else lines
        return all(URL_LINE.match(ln) for ln in complete)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            head = binary.peek(4096)[:4096]
            text = head_text(head)
            first = next((ln for ln in text.splitlines() if ln.strip()), "")
            delimiter = sniff_delimiter(first)
            columns = [c.strip().strip('"').lower() for c in first.split(delimiter)]
            if "url" not in columns:
                most = limit("text_line_bytes")
                number = 0
                while raw_line := binary.readline(most + 1):
                    number += 1
                    if len(raw_line) > most and not raw_line.endswith(b"\n"):
                        skip_line(binary)  # the rest of the line is read and dropped, never held
                        ctx.fail("line-too-long", f"a line longer than {most:,} bytes (limit text_line_bytes): "
                                                  "skipped", number)
                        continue
                    try:
                        line = raw_line.decode("utf-8-sig").strip()
                    except UnicodeDecodeError:
                        ctx.fail("not-utf8", "line is not valid UTF-8", number)
                        continue
                    if line and not line.startswith("#"):
                        yield number, {"url": line}
                return
            rows = csv_rows(binary, path, delimiter)
            _, header = next(rows)
            header = [h.strip().lower() for h in header]
            for number, row in rows:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(header):
                    ctx.fail("extra-cells", f"{len(row)} cells for {len(header)} columns", number)
                    continue
                yield number, dict(zip(header, row, strict=False))

    def map(self, raw: dict[str, str]) -> Iterable[Capture]:
        url = (raw.get("url") or "").strip()
        if not url:
            raise MapError("no-url", "row has an empty url cell")
        if not URL_LINE.match(url):
            raise MapError("bad-url", f"not a URL: {url[:80]!r}")
        platform = (raw.get("platform") or "").strip().lower() or None
        ref = identify(url, platform)
        if platform and platform_for_url(url).name != platform:
            # A mirror, an alternative front-end or a local test server: the item is the
            # platform's, but it is re-checked where the researcher said it lives.
            ref = ItemRef(ref.platform, ref.kind, ref.key, url if "://" in url else f"https://{url}")
        kind = (raw.get("kind") or "").strip().lower()
        if kind:
            if kind not in KINDS:
                raise MapError("bad-kind", f"unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})")
            ref = ItemRef(ref.platform, Kind(kind), ref.key, ref.url)
        fields = {k: v for k in ("note",) if (v := (raw.get(k) or "").strip())}
        # A URL in a list is something to track, not an observation of its state: nothing says
        # it is live or gone, so the capture carries no status until a recheck looks at it.
        parent = parent_of(url, platform)
        return [Capture(item=ref, status=None, parent=parent, name=(raw.get("name") or "").strip() or None,
                        url=url, fields=fields, raw=raw)]
