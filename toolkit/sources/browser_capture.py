"""Pages captured by `toolkit capture`: the HTML the browser rendered, behind a header that says
what the capture was.

A capture file is the rendered document with one comment in front of it, written by
`toolkit.browser.capture` and kept under evidence/ as the capture's source:

    <!-- toolkit browser capture
    {"format": "toolkit-capture-1", "url": ..., "final_url": ..., "http_status": 200,
     "captured_at": ..., "browser": ..., "toolkit": ..., "html_sha256": ...,
     "screenshot": {"sha256": ..., "width": ..., "height": ...}, "mhtml": {"sha256": ...}, ...}
    -->
    <!DOCTYPE html>...

The header's JSON has every `<` and `>` escaped, so nothing in a URL can close the comment. The
screenshot and the MHTML snapshot are separate evidence files named by the sha256 the header gives;
`html_sha256` is the hash of the document after the header. Reading one is reading a saved page:
the same detectors, with the requested URL, the final URL, the main document's HTTP status and the
platform the researcher named (so a mirror is read with the right detector). A page that names no
item (a login wall) is a capture of the item the URL names, as a URL list would track it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource, ItemRef
from toolkit.platforms.detect import read_page
from toolkit.platforms.registry import identify, parent_of, platform_for_url
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, MapError, ReadContext
from toolkit.sources.registry import register

FORMAT = "toolkit-capture-1"
OPENING = b"<!-- toolkit browser capture\n"
CLOSING = b"\n-->\n"
MAX_HEADER = 256 * 1024


def capture_file(header: dict[str, Any], html: bytes) -> bytes:
    """The bytes of a capture file: `header` (with `format` and `html_sha256` filled in) and `html`."""
    header = {**header, "format": FORMAT, "html_sha256": hashlib.sha256(html).hexdigest()}
    text = orjson.dumps(header, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    # Inside JSON strings `<` and `>` may be written as escapes: then no value can end the comment.
    text = text.replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    return OPENING + text + CLOSING + html


def split_capture(data: bytes, path: str = "capture") -> tuple[dict[str, Any], bytes]:
    """(header, html) of a capture file; InputError when the header is missing or damaged."""
    if not data.startswith(OPENING):
        raise InputError(path, "not a toolkit capture (no capture header)", "Scan it with its own format")
    end = data.find(CLOSING, len(OPENING), MAX_HEADER)
    if end < 0:
        raise InputError(path, "the capture header is not closed", "The file was cut or edited; use the copy in evidence/")
    try:
        header = orjson.loads(data[len(OPENING):end])
    except orjson.JSONDecodeError as exc:
        raise InputError(path, f"the capture header is not valid JSON ({exc})",
                         "The file was edited; use the copy in evidence/") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT or not isinstance(header.get("url"), str):
        raise InputError(path, f"the capture header is not a {FORMAT} header", "Use the copy in evidence/")
    return header, data[end + len(CLOSING):]


def _requested_capture(raw: dict[str, Any]) -> list[Capture]:
    """The capture of the item the URL names, for a page whose content names none (a wall, an
    error page): the page's verdict, on the item a URL list would track for that URL."""
    url, platform = raw["url"], raw.get("platform")
    reading = read_page(raw["body"], url, final_url=raw.get("final_url"), http_status=raw.get("http_status"),
                        platform=platform, observed_at=raw.get("observed_at"))
    verdict = reading.verdict
    ref = identify(url, platform)
    if platform and platform_for_url(url).name != platform:
        ref = ItemRef(ref.platform, ref.kind, ref.key, url)  # a mirror or local server: checked where it lives
    fields: dict[str, Any] = {"page": {k: raw[k] for k in ("container", "url", "final_url", "http_status", "truncated")
                                       if raw.get(k) is not None}}
    if verdict.reason:
        fields["status_reason"] = verdict.reason
    return [Capture(item=ref, status=verdict.status, parent=parent_of(url, platform), url=url,
                    observed_at=raw.get("observed_at"), status_marker=verdict.marker, status_place=verdict.place,
                    detector=verdict.detector, fields=fields)]


@register
class BrowserCapture(Importer):
    name = "browser-capture"
    version = "1"
    description = "Page captured by toolkit capture (rendered HTML; screenshot and MHTML beside it in evidence/)"
    priority = 90  # it is HTML too: this header is more specific than any saved-page format
    date_source = DateSource.CLOCK  # captured_at: this machine's clock when the browser loaded the page

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(OPENING)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            data, truncated = _pages.read_bounded(binary)
        header, html = split_capture(data, str(path))
        captured_at = _pages.iso_time(header.get("captured_at"))
        if captured_at:
            ctx.collected_at = captured_at
        if truncated:
            ctx.note(f"page is larger than {_pages.MAX_PAGE_BYTES >> 20} MB: only its first "
                     f"{_pages.MAX_PAGE_BYTES >> 20} MB were read")
        elif hashlib.sha256(html).hexdigest() != header.get("html_sha256"):
            ctx.note("the rendered HTML does not match the sha256 its header gives (edited after capture?)")
        # The browser serialised the document as UTF-8, whatever charset the page once declared.
        body, _ = _pages.prepare_body(html, "utf-8")
        status = header.get("http_status")
        yield None, _pages.page_record(
            "browser", body, header["url"], observed_at=captured_at,
            http_status=status if isinstance(status, int) else None,
            final_url=header.get("final_url") if isinstance(header.get("final_url"), str) else None,
            truncated=truncated, platform=header.get("platform") if isinstance(header.get("platform"), str) else None)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        try:
            return _pages.page_captures(raw)
        except MapError:
            return _requested_capture(raw)
