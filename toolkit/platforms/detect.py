"""Read one page: pick the platform's detector, decide the status with evidence, extract captures.

`read_page` is the one entry point containers (saved HTML, MHTML, WARC, HAR...) and live rechecks
call. Detectors are registered per platform (`register_detector`), like importers: a third-party
package adds one through the `toolkit.detectors` entry point group.

How a status is decided, in this order, so that one wrong "gone" (or "live") is hard to get:
0. HTTP 429 -> rate_limited. Then what the page is (toolkit/platforms/roles.py), before anything
   on it is read as an item: a wall (login, checkpoint, consent; by its addresses or its whole
   title) is the wall's status for the item it stands in front of, whatever the HTTP status and
   whatever URL it carries; a page that is not an item (search, feed...) is `error`
   `not-an-item`, and its item links are offered as candidates. Only an item's page goes on:
1. HTTP 404/410 -> unavailable (hard signals, place `http`).
2. Marker rules for removed, account_gone, unavailable, restricted, rate_limited, sold, each only
   in the places the rule names; on a page with positive evidence of the item, a marker the
   item's own words hold (a post's text in its <title>) is a quotation and does not decide.
3. Any other HTTP error -> error `http-<code>`. A notice the detector found in the item's own
   words and cannot tell from the platform's (`Finding.undetermined`) -> error with its reason.
4. Positive evidence of the item (its id, og:url, content) -> available. A logged-out view of a
   public page with a login overlay lands here. (What counts as evidence, per platform and kind:
   docs/detectors.md.)
5. Login-wall markers -> login_required.
6. Nothing either way -> error `no-markers` (never available by default).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms import markers as marker_data
from toolkit.platforms.pages import Page, PageReading, Verdict, parse_page
from toolkit.platforms.places import Places, match_rules, selector_names
from toolkit.platforms.registry import get as get_platform
from toolkit.platforms.registry import identify, platform_for_url
from toolkit.platforms.roles import PageKind, Role, candidates, page_role, wall_item
from toolkit.plugins import load_plugins

# Negative and limiting statuses are checked before positive evidence, most specific first.
MARKER_ORDER = (Status.REMOVED, Status.ACCOUNT_GONE, Status.UNAVAILABLE, Status.RESTRICTED,
                Status.RATE_LIMITED, Status.SOLD)
HARD_HTTP = {404: Status.UNAVAILABLE, 410: Status.UNAVAILABLE, 429: Status.RATE_LIMITED}
# Saved pages with inlined images reach tens of MB; beyond this a body is not one page.
MAX_PAGE_BYTES = 100 * 1024 * 1024


@dataclass(slots=True)
class Evidence:
    """Positive evidence that the page shows the item: what was found, and where."""

    marker: str
    place: str


@dataclass(slots=True)
class Finding:
    """What a detector read off a page, before the status is decided."""

    captures: list[Capture] = field(default_factory=list)
    evidence: Evidence | None = None
    # (reason, marker, place) of a notice's wording that the item's own words hold and that the
    # detector cannot tell from the platform's own notice (a Telegram channel's description that
    # is word for word the Terms-of-Service notice, beside its subscriber count): the page then
    # reads `error` with that reason, neither gone nor live, unless a marker elsewhere decides.
    undetermined: tuple[str, str, str] | None = None


class Detector(ABC):
    """Base class: one per platform. Subclasses set `platform`, `version`, `statuses` and implement
    `inspect`; `claims` recognises the platform's pages by content when the URL does not say."""

    platform: ClassVar[str]
    version: ClassVar[str] = "1"
    statuses: ClassVar[frozenset[Status]] = frozenset()
    # Byte strings `inspect` asks `page.has` about: found in one pass with the marker rules'
    # container names where a multi-pattern engine is installed (see Page.prime).
    needles: ClassVar[tuple[bytes, ...]] = ()
    # Where a page that lists items keeps its results (simple selectors, first found wins): the
    # only part of such a page whose links are offered as candidates.
    results: ClassVar[tuple[str, ...]] = ()
    # True when the names and texts `inspect` reads are the item's own words (a post's text, a
    # caption, a page's name, from the page's data) and the platform's notice pages show no
    # positive evidence of the item, so they can never be taken for its words (see `own_words`).
    quotes: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return f"{self.platform}@{self.version}"

    def claims(self, page: Page) -> bool:
        """True when the page content says it comes from this platform (og:site_name, app links)."""
        return False

    def places(self, page: Page) -> Places:
        """The page's places; detectors add `json:*` places read from inline data here."""
        return Places(page)

    @abstractmethod
    def inspect(self, page: Page, places: Places) -> Finding:
        """The captures the page shows (main item first) and positive evidence, if any. Only
        called for an item's own page (never for a wall or a page that is not an item)."""

    def own_words(self, finding: Finding) -> list[str]:
        """What the item and what its page shows of it say themselves: the captures' names and
        texts, when the detector `quotes`. A notice's wording inside them is the item quoting it
        (a post saying "este contenido no está disponible en tu país"), never the platform's
        notice. Empty for platforms whose notice pages read as names or texts (a Telegram
        channel's description replaced by the Terms-of-Service notice, a WhatsApp invite's heading);
        the Telegram detector tells its notices from its items' words itself (detectors/telegram.py)."""
        if not self.quotes:
            return []
        return [text for capture in finding.captures for text in (capture.name, capture.text) if text]

    def listing_page(self, page: Page, places: Places) -> tuple[str, str, str] | None:
        """(reason, marker, place) when the page's content says it lists items rather than being
        one (a search results container...), for pages whose address does not say; else None."""
        return None

    def identify(self, url: str | None) -> ItemRef | None:
        """The item a URL names on this platform (registry identity, generic fallback included)."""
        return identify(url, self.platform) if url else None

    def requested(self, page: Page) -> ItemRef | None:
        """The item the page was asked for: its URL, else a login or checkpoint page's `next`
        target, else the final URL. A URL that names no item of the platform gives None."""
        owner = get_platform(self.platform)
        candidates = [page.url, *_next_targets(page.url), page.final_url, *_next_targets(page.final_url)]
        for url in candidates:
            if not url:
                continue
            ref = owner.identify(url) if owner is not None else None
            if ref is not None:
                return ref
        if owner is None or self.platform == "generic":
            return self.identify(page.url or page.final_url)
        return None

    def parent(self, item: ItemRef | None) -> ItemRef | None:
        owner = get_platform(self.platform)
        return owner.parent_of(item.url) if owner is not None and item is not None and item.url else None

    def read(self, page: Page, book: marker_data.MarkerBook, observed_at: str | None = None) -> PageReading:
        page.prime(_needles(self, book))
        places = self.places(page)
        places.data["book"] = book
        role = page_role(self, page, places, book) if page.http_status != 429 else Role(PageKind.ITEM)
        found: list[Capture] = []
        if role.kind == PageKind.ITEM:
            finding = self.inspect(page, places)
            words = self.own_words(finding)
            verdict = decide(self, page, places, book, finding.evidence, own_words=words,
                             undetermined=finding.undetermined)
            captures = finding.captures
            if verdict.status == Status.SOLD and not (captures and captures[0].item.kind == Kind.LISTING):
                # "Sold" is a Marketplace listing's state: on any other item's page it is not its.
                verdict = decide(self, page, places, book, finding.evidence, skip=frozenset({Status.SOLD}),
                                 own_words=words, undetermined=finding.undetermined)
        else:
            # A wall that names no page (a login page without next=) gives no capture: its status
            # is read for no item.
            item = wall_item(self, page, role) if role.is_wall else self.requested(page)
            if role.is_wall:
                verdict = Verdict(role.status, self.name, role.marker, role.place, role.reason)
            else:
                verdict = Verdict(Status.ERROR, self.name, role.marker, role.place, "not-an-item")
                found = candidates(self, page, role)  # never the item asked for itself
            captures = [Capture(item=item, parent=self.parent(item))] if item is not None else []
        if verdict.status not in (Status.AVAILABLE, Status.SOLD):
            # A gone or walled page says nothing about content: keep only the item asked for.
            main = captures[0] if captures else None
            item = main.item if main else None
            if role.kind == PageKind.ITEM:
                item = self.requested(page) or item
            captures = [Capture(item=item, url=page.url or page.final_url or item.url,
                                parent=main.parent if main and main.item == item else self.parent(item))] if item else []
        for index, capture in enumerate(captures):
            if index == 0:
                capture.status, capture.status_marker, capture.status_place = verdict.status, verdict.marker, verdict.place
            elif capture.status is None:
                capture.status = verdict.status
            if capture.detector is None:
                capture.detector = self.name
            if capture.observed_at is None:
                capture.observed_at = observed_at
        for capture in found:
            capture.observed_at = observed_at
        return PageReading(self.platform, verdict, captures, str(role.kind), found, role.reason)


_NEEDLES: dict[tuple[int, str], tuple[marker_data.MarkerBook, tuple[bytes, ...]]] = {}


def _needles(detector: Detector, book: marker_data.MarkerBook) -> tuple[bytes, ...]:
    """The detector's own needles and the names its platform's `container:` rules look for."""
    key = (id(book), detector.platform)
    found = _NEEDLES.get(key)
    if found is None or found[0] is not book:
        names = [name for rule in book.rules(detector.platform) for place in rule.places
                 if place.startswith("container:") for name in selector_names(place[10:])]
        found = _NEEDLES[key] = (book, tuple(dict.fromkeys([*detector.needles, *names])))
    return found[1]


def _next_targets(url: str | None) -> list[str]:
    """Where a login or checkpoint URL would send the visitor next (`?next=`, `?u=`)."""
    if not url or "?" not in url:
        return []
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    # A relative target ("/viajesnorte.mx/") is on the same site.
    return [urljoin(f"{parts.scheme or 'https'}://{parts.netloc}/", v) if v.startswith("/") else v
            for key in ("next", "u", "redirect_url") for v in query.get(key, [])]


def decide(detector: Detector, page: Page, places: Places, book: marker_data.MarkerBook,
           evidence: Evidence | None, skip: frozenset[Status] = frozenset(),
           own_words: Sequence[str] = (), undetermined: tuple[str, str, str] | None = None) -> Verdict:
    """The status an item's own page shows, with the marker and place that decided it (steps 1-6
    of the module doc; walls and pages that are not items are decided before, in `Detector.read`).

    On a page with positive evidence of the item, a marker that the item's `own_words` hold is
    the item quoting it, not the platform's notice: it does not decide (except a listing's sold
    state, which is read from its own data or heading). `undetermined` (reason, marker, place),
    when no marker decides, makes the page `error` with that reason whatever its evidence."""
    name = detector.name
    code = page.http_status
    if code in HARD_HTTP:
        return Verdict(HARD_HTTP[code], name, str(code), "http", f"http-{code}")
    words = [marker_data.normalise(text) for text in own_words] if evidence is not None else []
    quoted = (lambda marker: any(marker in text for text in words)) if words else None
    for status in MARKER_ORDER:
        if status in skip:
            continue
        hit = match_rules(book.rules(detector.platform, status), places, book.longest_equals(detector.platform),
                          quoted if status != Status.SOLD else None)
        if hit:
            return Verdict(status, name, hit[0], hit[1], hit[2])
    if code is not None and code >= 400:
        return Verdict(Status.ERROR, name, str(code), "http", f"http-{code}")
    if undetermined is not None:
        reason, marker, place = undetermined
        return Verdict(Status.ERROR, name, marker, place, reason)
    if evidence is not None:
        return Verdict(Status.AVAILABLE, name, evidence.marker, evidence.place, None)
    hit = match_rules(book.rules(detector.platform, Status.LOGIN_REQUIRED), places,
                      book.longest_equals(detector.platform))
    if hit:
        return Verdict(Status.LOGIN_REQUIRED, name, hit[0], hit[1], hit[2])
    reason = "not-html" if page.tree is None else "no-markers"
    return Verdict(Status.ERROR, name, None, None, reason)


_DETECTORS: dict[str, Detector] = {}
_loaded = False


def register_detector(detector_class: type[Detector]) -> type[Detector]:
    """Class decorator: add a detector to the registry under its platform name."""
    _DETECTORS[detector_class.platform] = detector_class()
    return detector_class


def _load() -> None:
    global _loaded
    if _loaded:
        return
    load_plugins("toolkit.platforms.detectors", "toolkit.detectors", register_detector)
    _loaded = True


def detectors() -> dict[str, Detector]:
    """Every registered detector, by platform name."""
    _load()
    return dict(sorted(_DETECTORS.items()))


def detector_for(page: Page, platform: str | None = None) -> Detector:
    """The detector for a recorded platform, else the URL's host, else the page's own content."""
    _load()
    if platform:
        return _DETECTORS.get(platform, _DETECTORS["generic"])
    for url in (page.final_url, page.url, page.meta.get("og:url"), page.canonical):
        if url:
            owner = platform_for_url(url).name
            if owner in _DETECTORS and owner != "generic":
                return _DETECTORS[owner]
    for name, detector in _DETECTORS.items():
        if name != "generic" and detector.claims(page):
            return detector
    return _DETECTORS["generic"]


def read_page(body: bytes | str, url: str | None = None, *, final_url: str | None = None,
              http_status: int | None = None, platform: str | None = None,
              observed_at: str | None = None) -> PageReading:
    """Read one page: the captures it shows (main item first, each with status, marker, place and
    detector filled) and the detector's verdict.

    `url` is the address the page was asked for (a saved page's source URL), `final_url` where it
    ended after redirects, `platform` the item's recorded platform (so mirrors and local servers
    are read with the right detector). Never raises on bad HTML: an unreadable body is an `error`
    verdict with reason `not-html`.
    """
    if len(body) > MAX_PAGE_BYTES:
        # Not parsed at all: no saved page is this big, and parsing it would stall a folder scan.
        page = Page(b"", url, final_url, http_status, None, None, {}, None)
        detector = detector_for(page, platform)
        item = detector.requested(page)
        verdict = Verdict(Status.ERROR, detector.name, None, None, "too-large")
        captures = [Capture(item=item, url=url or final_url, status=Status.ERROR, detector=detector.name,
                            observed_at=observed_at)] if item else []
        return PageReading(detector.platform, verdict, captures)
    page = parse_page(body, url, final_url=final_url, http_status=http_status)
    detector = detector_for(page, platform)
    return detector.read(page, marker_data.book(), observed_at)
