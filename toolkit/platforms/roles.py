"""What a page is, decided before anything on it is read as an item: an item's own page, a wall in
front of one, or a page that is not an item at all.

    page_role(detector, page, places, book) -> Role

Walls before identity. A login, checkpoint or consent page often carries the address of the page
it stands in front of (`og:url` = `/login/?next=<page>`, a final URL `/checkpoint/?next=...`).
That address is where the visitor was going, never evidence that the page is there: a wall reads
as the wall's own status (login_required, restricted) for the item it names, and nothing else on it
(names, ids, app links) is read. A page is a wall when

1. one of its addresses is a wall's (the platform's `url_role`): where it ended (`final_url`), its
   own metadata (`og:url`, the canonical link) or where it was asked for; or
2. its whole title is a wall's (marker rules with `wall = true`, e.g. "Log into Facebook").

A page that is not an item (a search, a hashtag or explore page, a Marketplace feed, category or
search, a login page that names no page) gives no status at all: the most telling of its addresses
says so (`url_role`), or its content does (`Detector.listing_page`, e.g. Marketplace's collection of
items). The item links on it are offered as candidates to track (`candidates`), never read.

Everything else is an item's page, read by the platform detector as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urljoin

from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms import markers as marker_data
from toolkit.platforms.base import UrlRole
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places, match_rules, selector_xpath
from toolkit.platforms.registry import get as get_platform
from toolkit.platforms.registry import platform_for_url


class PlatformDetector(Protocol):
    """What deciding a page's role asks of its platform's detector (toolkit.platforms.detect.Detector
    provides it). Declared here so that this module, which detect imports, does not import detect."""

    platform: str
    results: tuple[str, ...]

    def requested(self, page: Page) -> ItemRef | None: ...

    def listing_page(self, page: Page, places: Places) -> tuple[str, str, str] | None: ...


class PageKind(StrEnum):
    ITEM = "item"
    WALL = "wall"
    NOT_ITEM = "not-item"


@dataclass(frozen=True, slots=True)
class Role:
    """What a page is, with what said so (marker and place) and, for a wall, its status and the
    address it names (`target`)."""

    kind: PageKind
    reason: str | None = None
    status: Status | None = None
    marker: str | None = None
    place: str | None = None
    target: str | None = None

    @property
    def is_wall(self) -> bool:
        return self.kind == PageKind.WALL

    @property
    def is_item(self) -> bool:
        return self.kind == PageKind.ITEM


ITEM_PAGE = Role(PageKind.ITEM)
# Kinds a candidate link may name: things to track, not the people who reacted to them.
CANDIDATE_KINDS = frozenset({Kind.LISTING, Kind.PAGE, Kind.GROUP, Kind.POST, Kind.VIDEO, Kind.PROFILE,
                             Kind.CHANNEL, Kind.MESSAGE})
MAX_CANDIDATES = 500
# Where a page that lists items keeps them, when its platform does not say (simple selectors).
DEFAULT_RESULTS = ("[role=feed]", "[role=main]", "main")


# An archived copy's address (web.archive.org/web/<timestamp>[id_]/<original URL>) stands for the
# original URL.
_ARCHIVED = re.compile(r"^https?://web\.archive\.org/web/\d{1,14}[a-z_]*/(.+)$", re.I)


def addresses(page: Page) -> list[tuple[str, str]]:
    """The page's addresses, most telling first: where it ended, its own metadata, where it was
    asked for. (place, URL) pairs; relative metadata URLs are made absolute against the page, and
    a Wayback Machine address stands for the URL it archived."""
    base = page.final_url or page.url
    found = [("final_url", page.final_url), ("meta:og:url", page.meta.get("og:url")), ("canonical", page.canonical),
             ("url", page.url)]
    out = []
    for place, url in found:
        if not url:
            continue
        if base and "://" not in url[:12] and url.startswith("/"):
            url = urljoin(base, url)
        archived = _ARCHIVED.match(url)
        if archived:
            url = archived.group(1)
        out.append((place, url))
    return out


def url_role(url: str, platform: str) -> UrlRole | None:
    """What `url` says a page is, read by the platform owning its host (else by `platform`, for
    mirrors and local servers of a recorded platform)."""
    owner = platform_for_url(url)
    if owner.name == "generic":
        owner = get_platform(platform) or owner
    return owner.url_role(url)


def page_role(detector: PlatformDetector, page: Page, places: Places, book: marker_data.MarkerBook) -> Role:
    """Wall, not an item, or an item's page (see the module docstring for the order)."""
    platform = detector.platform
    found = addresses(page)
    for place, url in found:
        role = url_role(url, platform)
        if role is not None and role.wall:
            return Role(PageKind.WALL, role.reason, role.status, url, place, role.target)
    for rule in book.walls(platform):
        hit = match_rules([rule], places)
        if hit:
            return Role(PageKind.WALL, hit[2], rule.status, hit[0], hit[1])
    for place, url in found:
        role = url_role(url, platform)
        if role is not None:
            return Role(PageKind.NOT_ITEM, role.reason, None, url, place)
        if platform != "generic" and _names_item(url, platform):
            # The most telling address names an item: its page, whatever lower addresses say and
            # whatever lists it shows (a listing's "similar items").
            return ITEM_PAGE
    listing = detector.listing_page(page, places)
    if listing is not None:
        reason, marker, place = listing
        return Role(PageKind.NOT_ITEM, reason, None, marker, place)
    return ITEM_PAGE


def _names_item(url: str, platform: str) -> bool:
    owner = platform_for_url(url)
    if owner.name == "generic":
        owner = get_platform(platform) or owner
    return owner.name != "generic" and owner.identify(url) is not None


def wall_item(detector: PlatformDetector, page: Page, role: Role) -> ItemRef | None:
    """The item a wall stands in front of: the page asked for, else the address the wall names."""
    requested = detector.requested(page)
    if requested is not None:
        return requested
    if role.target:
        owner = platform_for_url(role.target)
        if owner.name == "generic":
            owner = get_platform(detector.platform) or owner
        if owner.name == detector.platform or detector.platform == "generic":
            return owner.identify(role.target)
    return None


def candidates(detector: PlatformDetector, page: Page, role: Role, limit: int = MAX_CANDIDATES) -> list[Capture]:
    """The item links a page that is not an item shows, as captures with no status: things to
    track, found on this page. Only links inside the page's results (`Detector.results`, else
    the page's feed or main area) count, so the saver's own profile in a header never does."""
    tree = page.tree
    if tree is None:
        return []
    roots = []
    for selector in (*detector.results, *DEFAULT_RESULTS):
        roots = tree.xpath(selector_xpath(selector))
        if roots:
            break
    if not roots:
        return []
    owner = get_platform(detector.platform)
    base = page.final_url or page.url or page.meta.get("og:url") or page.canonical
    if not base and owner is not None and owner.hosts:
        base = f"https://{owner.hosts[0]}/"  # a page saved without its address: links are the platform's
    own = {ref.identity for ref in (detector.requested(page),) if ref is not None}
    found: dict[tuple[str, str, str], Capture] = {}
    for root in roots:
        for anchor in root.iter("a"):
            href = (anchor.get("href") or "").strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "data:")):
                continue
            url = urljoin(base, href) if base else href
            if "://" not in url[:12]:
                continue
            link_owner = platform_for_url(url)
            if link_owner.name == "generic" and owner is not None:
                link_owner = owner  # a relative link on a mirror is the recorded platform's
            if link_owner.name != detector.platform or link_owner.url_role(url) is not None:
                continue
            ref, parent = link_owner.parse(url)
            if ref is None or ref.kind not in CANDIDATE_KINDS or ref.identity in own:
                continue
            name = " ".join(" ".join(anchor.itertext()).split())[:200] or None
            if ref.identity in found:
                if name and not found[ref.identity].name:
                    found[ref.identity].name = name
                continue
            # No status: a link on a list says nothing of the item's state.
            found[ref.identity] = Capture(item=ref, status=None, url=ref.url, parent=parent, name=name,
                                          fields={"found_on": {"url": page.url or page.final_url, "page": role.reason}})
            if len(found) >= limit:
                return list(found.values())
    return list(found.values())

