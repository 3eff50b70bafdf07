"""Reading one page (a saved file or a live response): which item it shows and what state.

This is the contract between page containers (saved HTML, MHTML, WARC, WACZ, HAR, live fetches)
and the platform detectors: containers hand over the page's bytes and what they know (URL, final
URL, HTTP status, the platform recorded for the item), and get back a `PageReading`: the captures
the page yields (the main item first) and the detector's `Verdict` with its evidence.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from toolkit.models import Capture, Status
from toolkit.platforms import page_encoding
from toolkit.safeio import markup_cut

try:  # Hyperscan's Python binding (the `fast` extra), as the lexicon matcher uses it
    import hyperscan
except ImportError:  # pragma: no cover - depends on the environment
    hyperscan = None


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
    """The outcome of reading one page.

    `page` says what the page is: `item` (an item's own page), `wall` (login, checkpoint or consent
    in front of one) or `not-item` (a search, a feed...: no status is taken from it). On a page
    that is not an item, `candidates` are the item links it shows, with no status: things a
    researcher may want to track, found there."""

    platform: str
    verdict: Verdict
    captures: list[Capture] = field(default_factory=list)
    page: str = "item"
    candidates: list[Capture] = field(default_factory=list)
    page_reason: str | None = None  # for a wall or a page that is not an item: which (login-wall, search...)

    @property
    def main(self) -> Capture | None:
        return self.captures[0] if self.captures else None


@dataclass
class Page:
    """A parsed page as detectors see it. Built once per page by `parse_page`."""

    body: bytes
    url: str | None
    final_url: str | None
    http_status: int | None
    tree: object | None  # lxml.html root element, or None when the body is not HTML
    title: str | None
    meta: dict[str, str]  # og:*, twitter:*, al:*, description, ... (first value wins)
    canonical: str | None
    cut: bool = False  # the page had more than `html_tags` elements: only the first were parsed
    _seen: dict[bytes, bool] = field(default_factory=dict, repr=False, compare=False)

    def has(self, needle: bytes) -> bool:
        """True when `needle` occurs in the body; each answer is kept, as one search through a
        saved page of hundreds of KB costs as much as a small tree walk."""
        found = self._seen.get(needle)
        if found is None:
            found = self._seen[needle] = needle in self.body
        return found

    def prime(self, needles: tuple[bytes, ...]) -> None:
        """Answer `has` for all of `needles` in one pass over the body, when the multi-pattern
        engine (Hyperscan, the `fast` extra) is installed: a detector asks about half a dozen
        strings most pages lack, and each miss is a search through the whole page. Without it,
        each `has` searches when asked."""
        if hyperscan is None or all(n in self._seen for n in needles):
            return
        present = _scan_for(needles, self.body)
        for needle in needles:
            self._seen.setdefault(needle, needle in present)


_LOCAL = threading.local()  # Hyperscan databases and their scratch space, per thread


def _scan_for(needles: tuple[bytes, ...], body: bytes) -> set[bytes]:
    """Which of `needles` (literal byte strings) occur in `body`, by one Hyperscan pass."""
    compiled = getattr(_LOCAL, "databases", None)
    if compiled is None:
        compiled = _LOCAL.databases = {}
    found_db = compiled.get(needles)
    if found_db is None:
        if len(compiled) >= 64:  # needle sets come from detectors and marker books: a few
            compiled.clear()
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        # Each byte escaped: the needles are literals, whatever bytes they hold.
        database.compile(expressions=[b"".join(b"\\x%02x" % byte for byte in needle) for needle in needles],
                         ids=list(range(len(needles))), elements=len(needles),
                         flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(needles))
        found_db = compiled[needles] = (database, hyperscan.Scratch(database))
    database, scratch = found_db
    found: set[bytes] = set()

    def on_match(index: int, _start: int, _end: int, _flags: int, _context: object) -> None:
        found.add(needles[index])

    database.scan(body, match_event_handler=on_match, scratch=scratch)
    return found


def parse_page(body: bytes | str, url: str | None = None, *, final_url: str | None = None,
               http_status: int | None = None) -> Page:
    """Parse HTML once (lxml) into the parts detectors look at: title, meta tags, canonical link."""
    import lxml.html
    from lxml import etree

    # Bytes go through the one page decoder (no transport here: BOM, <meta>, detection); what a
    # container or a recheck hands over has been through it already, as UTF-8 behind a BOM.
    if isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        raw = page_encoding.for_parser(body)[0] if body and not body.isspace() else body
    tree = None
    title = canonical = None
    meta: dict[str, str] = {}
    # The parser builds what the markup asks for, not what the bytes weigh: 32 MB of `<p>a` is 8
    # million elements (2.5 GB). Past `html_tags` elements the page is cut (what detectors read
    # comes first; a cut at a `<` never splits a UTF-8 character); `body` stays whole for byte searches.
    cut = markup_cut(raw)
    markup = raw if cut is None else raw[:cut]
    if markup and not markup.isspace():
        try:
            parser = lxml.html.HTMLParser(recover=True, huge_tree=False, no_network=True, encoding="utf-8")
            tree = lxml.html.document_fromstring(markup, parser=parser)
        except (etree.ParserError, ValueError):
            tree = None
    if tree is not None:
        first_title = None
        # One walk for the three tags: the first <title>, every <meta> (the first value of a
        # name wins), the first canonical <link>.
        for element in tree.iter("title", "meta", "link"):
            tag = element.tag
            if tag == "meta":
                key = element.get("property") or element.get("name")
                content = element.get("content")
                if key and content is not None and key.lower() not in meta:
                    meta[key.lower()] = content.strip()
            elif tag == "title":
                if first_title is None and element is not tree:
                    first_title = element
            elif canonical is None and (element.get("rel") or "").lower() == "canonical" and element.get("href"):
                canonical = element.get("href").strip()
        if first_title is not None and first_title.text_content().strip():
            title = " ".join(first_title.text_content().split())
    return Page(raw, url, final_url, http_status, tree, title, meta, canonical, cut is not None)
