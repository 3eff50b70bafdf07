"""Reading one page (a saved file or a live response): which item it shows and what state.

This is the contract between page containers (saved HTML, MHTML, WARC, WACZ, HAR, live fetches)
and the platform detectors: containers hand over the page's bytes and what they know (URL, final
URL, HTTP status, the platform recorded for the item), and get back a `PageReading`: the captures
the page yields (the main item first) and the detector's `Verdict` with its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.models import Capture, Status


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a detector concluded, with the evidence: marker that fired and where it was found."""

    status: Status
    detector: str  # name@version
    marker: str | None = None
    place: str | None = None  # title, heading, meta:og:title, final_url, container:<selector>, http
    reason: str | None = None  # short code for error statuses: no-markers, http-503, ...


@dataclass
class PageReading:
    """The outcome of reading one page."""

    platform: str
    verdict: Verdict
    captures: list[Capture] = field(default_factory=list)

    @property
    def main(self) -> Capture | None:
        return self.captures[0] if self.captures else None
