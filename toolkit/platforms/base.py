"""What a platform module provides: URL identity (and, in detectors, page verdicts).

Each platform module defines a `Platform` subclass and registers it. `identify(url)` turns any URL
the platform uses for an item (mobile hosts, tracking parameters, id and vanity forms) into the
item's stable `ItemRef`, so the same page found through two URLs is one item.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from toolkit.models import ItemRef, Status

# Query parameters that only track where a click came from; never part of an identity.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "igshid", "igsh", "mibextid", "ref", "refsrc", "ref_type", "__tn__",
        "__cft__", "__xts__", "_rdr", "_rdc", "hc_ref", "hc_location", "fref", "rdid", "share_url",
        "sfnsn", "paipv", "eav", "acontext", "_t", "_r", "is_from_webapp", "sender_device", "sender_web_id",
        "lang", "locale", "hl", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
        "si", "s", "notif_id", "notif_t", "comment_tracking", "extid", "wtsid", "app",
    }
)


def split(url: str) -> SplitResult:
    """Parse a URL, adding https:// when the scheme is missing (people paste `facebook.com/x`).

    Never raises: a malformed bracketed host (`http://[x`) is parsed without its brackets, and a
    host that Python refuses (characters that NFKC-normalise into `/`, `?`, `@`... such as `℀`)
    has its non-ASCII characters percent-encoded, so any text a researcher pastes still becomes
    some URL.
    """
    url = url.strip()
    if "://" not in url[:12]:
        url = "https://" + url.lstrip("/")
    try:
        return urlsplit(url)
    except ValueError:
        pass
    url = url.replace("[", "").replace("]", "")
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit(quote(url, safe="".join(chr(c) for c in range(33, 127))))


def port_of(parts: SplitResult) -> int | None:
    """The URL's explicit port, or None when absent or invalid (out of range, not a number)."""
    try:
        return parts.port
    except ValueError:
        return None


def segments(parts: SplitResult) -> list[str]:
    """The non-empty path segments, percent-decoded."""
    return [unquote(s) for s in parts.path.split("/") if s]


def query_value(parts: SplitResult, name: str) -> str | None:
    """The first non-empty value of a query parameter, stripped, else None."""
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key == name and value.strip():
            return value.strip()
    return None


def host_of(parts: SplitResult) -> str:
    return (parts.hostname or "").lower().rstrip(".")


def clean_query(query: str, keep: frozenset[str] | None = None) -> str:
    """Drop tracking parameters (or keep only `keep`), sorted so equal URLs compare equal."""
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=False)
        if (k in keep if keep is not None else k.lower() not in TRACKING_PARAMS)
    ]
    return urlencode(sorted(pairs))


def rebuild(scheme: str, host: str, path: str, query: str = "") -> str:
    return urlunsplit((scheme, host, path, query, ""))


# Query parameters through which a wall names the page it stands in front of.
NEXT_PARAMS = ("next", "redirect_uri", "redirect_url", "continue", "return_to")


def next_target(parts: SplitResult) -> str | None:
    """Where a login, checkpoint or consent URL would send the visitor once through (`next=`,
    `redirect_uri=`...), made absolute against the wall's own site; None when it names nowhere."""
    target = next((query_value(parts, name) for name in NEXT_PARAMS if query_value(parts, name)), None)
    if not target:
        return None
    if target.startswith("/") and not target.startswith("//"):
        return urljoin(f"{parts.scheme or 'https'}://{parts.netloc}/", target)
    return target if "://" in target[:12] or target.startswith("//") else None


@dataclass(frozen=True, slots=True)
class UrlRole:
    """What a URL says a page is when it is not an item's own page.

    A *wall* (login, checkpoint, consent) stands in front of the page a visitor asked for: its
    `status` is the wall's own (login_required, restricted) and `target` the page it names
    (`next=`), if any. A page that is *not an item* (a search, a hashtag or explore page, a
    Marketplace feed, a login page naming nothing) has no `status`: nothing it shows is a reading
    of an item. `reason` is the short code recorded with the reading.
    """

    wall: bool
    reason: str
    status: Status | None = None
    target: str | None = None


class Platform(ABC):
    """Base class: a platform's name, the hosts it owns, and URL identity."""

    name: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]] = ()  # registrable domains; subdomains match too

    def owns(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    @abstractmethod
    def parse(self, url: str) -> tuple[ItemRef | None, ItemRef | None]:
        """(the item a URL points to, the page/group/channel it sits under); None where unknown."""

    def identify(self, url: str) -> ItemRef | None:
        """The item a URL points to, or None when the URL is not an item of this platform."""
        return self.parse(url)[0]

    def parent_of(self, url: str) -> ItemRef | None:
        """The page, group or channel an item URL sits under, when the URL says (else None)."""
        return self.parse(url)[1]

    def check_url(self, url: str) -> str:
        """The address a plain HTTP recheck fetches to read the item at `url`: the URL itself,
        unless the platform's page there shows nothing of the item (overridden then)."""
        return url

    def url_role(self, url: str) -> UrlRole | None:
        """A wall or a page that is not an item, when the URL's path says so; None for any other
        URL (an item's page, or one the platform cannot place). Platforms override this."""
        return None
