"""From a fetched response to a check: text decoding, the platform detector, and the safety guards.

The guards are the point of this module: a failed fetch is never a removal. Network failures are
`error` with their code, 429 is `rate_limited`, 5xx is `error` (http-503...), and a detector's
"gone" reading is only kept when the HTTP status allows it (2xx, 404, 410). A redirect to another
site is followed for evidence, but a 404/410 there is that site's answer, not the platform's:
`error` with reason `redirected-elsewhere`, unless the page it served is the platform's own "not
available" page (its markers fired). A 404 whose body is a wall reads as the wall (the detector
decides walls before HTTP codes).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

from toolkit.models import Capture, Family, Status
from toolkit.platforms.detect import read_page
from toolkit.platforms.registry import platform_for_url
from toolkit.recheck.fetch import Fetched, host_key

TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/json", "application/ld+json")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.I)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass
class Reading:
    """What a response says about an item, ready to become a check."""

    status: Status
    reason: str | None = None
    detector: str | None = None
    marker: str | None = None
    place: str | None = None
    note: str | None = None
    content: Capture | None = None  # what a live page showed of the item (name, counts, text)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """Decode a body as a browser would (BOM, then HTTP charset, then <meta>, then UTF-8, then
    Windows-1252) and return the text and a note when the declared charset was wrong or unknown."""
    for bom, codec in BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), None
    note = None
    declared = CHARSET.search(content_type or "")
    declared_name = declared.group(1) if declared else None
    meta = META_CHARSET.search(body[:4096])
    meta_name = meta.group(1).decode("ascii", "replace") if meta else None
    for name in (declared_name, meta_name):
        codec = _codec(name)
        if name and codec is None:
            note = f"unknown charset {name}"
            continue
        if codec is None:
            continue
        try:
            return body.decode(codec), note
        except UnicodeDecodeError:
            note = f"charset {name} does not fit the body"
    try:
        text = body.decode("utf-8")
        return text, (note + ", read as utf-8") if note else None
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), (note or "no charset given") + ", read as windows-1252"


def page_bytes(fetched: Fetched) -> tuple[bytes, str | None]:
    """The body as detectors should see it: text bodies re-encoded as UTF-8 behind a BOM (which the
    HTML parser trusts over any <meta charset>), other bodies as they came."""
    body = fetched.body or b""
    kind = (fetched.content_type or "text/html").lower()
    if not kind.startswith(TEXT_TYPES):
        return body, None
    text, note = decode(body, fetched.content_type)
    return codecs.BOM_UTF8 + text.encode("utf-8"), note


def read_response(fetched: Fetched, *, url: str | None, platform: str | None, observed_at: str) -> Reading:
    """The reading of one fetch for an item recorded on `platform` (its detector is used even when
    the URL's host is a mirror or a local server)."""
    if fetched.reason is not None:
        limited = fetched.http_status == 429 or fetched.reason == "host-rate-limited"
        status = Status.RATE_LIMITED if limited else Status.ERROR
        return Reading(status, reason=fetched.reason, note=_chain(fetched))
    code = fetched.http_status
    if code == 429:
        return Reading(Status.RATE_LIMITED, reason="http-429", note=_chain(fetched))
    if code is not None and code >= 500:
        return Reading(Status.ERROR, reason=f"http-{code}", note=_chain(fetched))
    body, charset_note = page_bytes(fetched)
    # After a redirect to another site, its 404/410 is that site's answer: only the page's own
    # wording (the platform's "not available" page, a wall) may speak for the item.
    elsewhere = code in {404, 410} and redirected_elsewhere(fetched.url, fetched.final_url)
    page = read_page(body, url, final_url=fetched.final_url, http_status=None if elsewhere else code,
                     platform=platform, observed_at=observed_at)
    verdict = page.verdict
    status = Status(verdict.status)
    reason = verdict.reason
    # One odd answer is never a removal: gone needs a page that was really served (2xx) or a
    # hard "not found" (404/410); any other code leaves the item unknown.
    if status.family == Family.GONE and code is not None and not (200 <= code < 300 or code in {404, 410}):
        status, reason = Status.ERROR, f"http-{code}"
    elif elsewhere and page.page != "wall" and (
            status.family != Family.GONE or (platform or "generic") == "generic"):
        status, reason = Status.ERROR, "redirected-elsewhere"
    notes = [n for n in (_chain(fetched), charset_note) if n]
    return Reading(status, reason=reason, detector=verdict.detector, marker=verdict.marker, place=verdict.place,
                   note="; ".join(notes) or None, content=page.main if status == Status.AVAILABLE else None)


def redirected_elsewhere(url: str | None, final_url: str | None) -> bool:
    """Whether a fetch of `url` ended on another site: another host (and port) that is not a host
    of the same platform (www.facebook.com to m.facebook.com is the same site)."""
    if not url or not final_url or host_key(url) == host_key(final_url):
        return False
    first, last = platform_for_url(url).name, platform_for_url(final_url).name
    return first == "generic" or first != last


def _chain(fetched: Fetched) -> str | None:
    """The redirect chain as a short note, e.g. "302 -> https://x/login/ (3 attempts)"."""
    parts = [f"{code} -> {target}" for code, target in fetched.redirects]
    if fetched.attempts > 1:
        parts.append(f"{fetched.attempts} attempts")
    return "; ".join(parts) or None


def reading_fields(reading: Reading) -> dict[str, Any]:
    return {"status": str(reading.status), "reason": reading.reason, "detector": reading.detector,
            "marker": reading.marker, "place": reading.place, "note": reading.note}
