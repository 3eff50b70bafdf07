"""URL lists: items to track that have no content yet.

Either a `.txt` file with one URL per line (blank lines and `#` comments ignored), or a CSV with a
`url` column (or `link`, `href`, `uri`, any case: spreadsheets name it many ways) and optional
`name`, `platform`, `kind`, `note` columns. A `platform` column overrides detection from the host
(for mirrors, alternative front-ends and local test servers): an item on a host the platform does
not own keeps that host in its key (`<key>@<host>`), so the same path on two hosts stays two
items. A `kind` column overrides the kind the URL implies. Rows whose URLs differ but name the same
item (`m.` and `www.`, tracking parameters) are one item: a note says which rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolkit.models import Capture, ItemRef, Kind
from toolkit.platforms import identify
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
# The column holding the URL, by preference when a sheet has several.
URL_COLUMNS = ("url", "link", "href", "uri")


def _header(line: str) -> list[str]:
    return [c.strip().strip('"').strip().lower() for c in line.split(sniff_delimiter(line))]


def url_column(header: list[str]) -> str | None:
    """The column of a CSV header that holds the URLs, or None."""
    return next((name for name in URL_COLUMNS if name in header), None)


@register
class UrlList(Importer):
    name = "urls"
    version = "1"
    description = "URL list: .txt one URL per line, or CSV with a url (or link, href) column (name, platform, kind, note optional)"
    priority = 10  # generic: anything more specific wins

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        text = head_text(head)
        lines = [ln for ln in text.splitlines()[:50] if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            return False
        if url_column(_header(lines[0])) and path.suffix.lower() in {".csv", ".tsv", ".txt"}:
            return True
        return self._not_url(lines, head) is None

    @staticmethod
    def _not_url(lines: list[str], head: bytes) -> str | None:
        """The first line that is not a URL, else None. Only whole lines count: the last line of
        the head may be cut off mid-URL."""
        complete = lines[:-1] if len(head) >= 65536 and len(lines) > 1 else lines
        return next((ln for ln in complete if not URL_LINE.match(ln)), None)

    def mismatch(self, path: Path, head: bytes) -> str | None:
        """Why the file is not a URL list: the column it needs and the columns found, or the
        first line that is not a URL."""
        if looks_binary(head):
            return "a binary file, not a list of URLs"
        lines = [ln for ln in head_text(head).splitlines()[:50] if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            return "no URL in it"
        header = _header(lines[0])
        if len(header) > 1 or path.suffix.lower() in {".csv", ".tsv"}:
            found = ", ".join(repr(name) for name in header if name) or "none"
            return (f"no url column: a URL list CSV needs a column named {', '.join(URL_COLUMNS[:-1])} or "
                    f"{URL_COLUMNS[-1]} (any case); columns found: {found}")
        bad = self._not_url(lines, head)
        return f"not a URL on its own line: {bad[:80]!r} (a .txt URL list has one URL per line)" if bad else None

    def readable_when_forced(self, path: Path, head: bytes) -> bool:
        """One URL per line with other lines among them (a title, a note) is a URL list when the
        researcher says so (--format urls): reading it reports each other line by its number."""
        return self.stray_line(path, head) is not None

    def stray_line(self, path: Path, head: bytes) -> str | None:
        """For a one-column text file that holds URLs among other lines (which detection does not
        take for a URL list: a text file is not a list because it names a link): the first other
        line, by number, and how to import the URLs anyway. None otherwise."""
        if looks_binary(head) or path.suffix.lower() in {".csv", ".tsv"}:
            return None
        numbered = [(n, ln) for n, ln in enumerate(head_text(head).splitlines()[:50], 1)
                    if ln.strip() and not ln.lstrip().startswith("#")]
        if not numbered or len(_header(numbered[0][1])) > 1 or not any(URL_LINE.match(ln) for _, ln in numbered):
            return None
        complete = numbered[:-1] if len(head) >= 65536 and len(numbered) > 1 else numbered
        bad = next(((n, ln) for n, ln in complete if not URL_LINE.match(ln)), None)
        if bad is None:
            return None
        return (f"as a URL list, line {bad[0]} is not a URL: {bad[1][:80]!r}; give --format urls to import "
                "its URLs, each other line reported by its number")

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            head = binary.peek(4096)[:4096]
            text = head_text(head)
            first = next((ln for ln in text.splitlines() if ln.strip()), "")
            delimiter = sniff_delimiter(first)
            seen: dict[tuple[str, str, str], tuple[int, str]] = {}
            if url_column(_header(first)) is None:
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
                        _same_item(ctx, seen, number, {"url": line})
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
                record = dict(zip(header, row, strict=False))
                _same_item(ctx, seen, number, record)
                yield number, record

    def map(self, raw: dict[str, str]) -> Iterable[Capture]:
        url = _url(raw)
        platform = (raw.get("platform") or "").strip().lower() or None
        ref = _item(raw)
        fields = {k: v for k in ("note",) if (v := (raw.get(k) or "").strip())}
        # A URL in a list is something to track, not an observation of its state: nothing says
        # it is live or gone, so the capture carries no status until a recheck looks at it.
        parent = parent_of(url, platform)
        return [Capture(item=ref, status=None, parent=parent, name=(raw.get("name") or "").strip() or None,
                        url=url, fields=fields, raw=raw)]


def _url(raw: dict[str, str]) -> str:
    """The row's URL (from its url, link, href or uri column); MapError when empty or not a URL."""
    column = url_column(list(raw)) or "url"
    url = (raw.get(column) or "").strip()
    if not url:
        raise MapError("no-url", f"row has an empty {column} cell")
    if not URL_LINE.match(url):
        raise MapError("bad-url", f"not a URL: {url[:80]!r}")
    return url


def _item(raw: dict[str, str]) -> ItemRef:
    """The item a row names (its URL, platform and kind columns); MapError for a bad row."""
    url = _url(raw)
    platform = (raw.get("platform") or "").strip().lower() or None
    # On a host the platform does not own (a mirror, a front-end, a local test server) the item
    # keeps that host in its key and is re-checked where the researcher said it lives.
    ref = identify(url, platform)
    kind = (raw.get("kind") or "").strip().lower()
    if kind:
        if kind not in KINDS:
            raise MapError("bad-kind", f"unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})")
        ref = ItemRef(ref.platform, Kind(kind), ref.key, ref.url)
    return ref


def _same_item(ctx: ReadContext, seen: dict[tuple[str, str, str], tuple[int, str]], number: int,
               raw: dict[str, str]) -> None:
    """Note a row whose URL differs from an earlier row's but names the same item (tracked once)."""
    try:
        ref = _item(raw)
        url = _url(raw)
    except MapError:
        return  # map reports it
    first = seen.setdefault(ref.identity, (number, url))
    if first[0] != number and first[1] != url:
        ctx.note(f"{url[:120]} names the same item as line {first[0]} ({first[1][:120]}): {ref.platform} {ref.kind} "
                 f"{ref.key}, tracked once (same item in the platform's identity: host form, tracking parameters)",
                 number)
