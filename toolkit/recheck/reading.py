"""From a fetched response to a check: the page decoder, the platform detector, and the safety guards.

The guards are the point of this module: a failed fetch is never a removal. Network failures are
`error` with their code, 429 is `rate_limited`, 5xx is `error` (http-503...), and a detector's
"gone" reading is only kept when the HTTP status allows it (2xx, 404, 410). A redirect to another
site is followed for evidence, but a 404/410 there is that site's answer, not the platform's:
`error` with reason `redirected-elsewhere`, unless the page it served is the platform's own "not
available" page (its markers fired). A 404 whose body is a wall reads as the wall (the detector
decides walls before HTTP codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.models import Capture, Family, Status
from toolkit.platforms import page_encoding
from toolkit.platforms.detect import read_page
from toolkit.platforms.registry import platform_for_url
from toolkit.recheck.fetch import Fetched, host_key

TEXT_TYPES = ("text/", "application/xhtml", "application/xml", "application/json", "application/ld+json")


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


def page_bytes(fetched: Fetched) -> tuple[bytes, str | None]:
    """The body as detectors should see it: text bodies through the one page decoder
    (`toolkit.platforms.page_encoding`: BOM, HTTP charset, <meta>, then UTF-8 or Windows-1252),
    handed over as UTF-8 behind a BOM, with a note when a declared charset was wrong or unknown;
    other bodies as they came."""
    body = fetched.body or b""
    kind = (fetched.content_type or "text/html").lower()
    if not kind.startswith(TEXT_TYPES):
        return body, None
    return page_encoding.for_parser(body, fetched.content_type)


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
