"""Instagram: URL identity for profiles and posts (photos, carousels, reels, IGTV).

Posts are keyed by their shortcode (`/p/<code>/`, `/reel/<code>/`, `/reels/<code>/`, `/tv/<code>/`,
also under a username: `/<user>/p/<code>/`): reels and IGTV videos are posts with the same shortcode
space, so one post reached through two of these URLs is one item. Shortcodes are case-sensitive.
Profiles are keyed by the lower-cased username. l.instagram.com redirect links are unwrapped.
"""

from __future__ import annotations

import re

from toolkit.models import ItemRef, Kind, Status
from toolkit.platforms import registry
from toolkit.platforms.base import Platform, UrlRole, host_of, next_target, query_value, segments, split
from toolkit.platforms.registry import register

BASE = "https://www.instagram.com"
USERNAME = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9._]{1,30}$")
SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
POST_SECTIONS = frozenset({"p", "reel", "reels", "tv"})
# First path segments that are Instagram features, not usernames.
RESERVED = frozenset(
    {
        "p", "reel", "reels", "tv", "explore", "accounts", "direct", "about", "legal", "developer", "web", "api",
        "graphql", "challenge", "stories", "privacy", "terms", "help", "static", "emails", "session", "oauth",
        "ar", "topics", "directory", "nametag", "qr", "login", "signup", "press", "blog", "jobs", "lite", "fragment",
        "create", "your_activity", "threads", "invites", "popular", "locations", "tags", "igtv",
    }
)


def profile_ref(username: str) -> ItemRef:
    """The profile for a username (usernames are case-insensitive on Instagram)."""
    key = username.lower()
    return ItemRef("instagram", Kind.PROFILE, key, f"{BASE}/{key}/")


def post_ref(code: str) -> ItemRef:
    """The post for a shortcode; its canonical URL is the /p/ form every post answers to."""
    return ItemRef("instagram", Kind.POST, code, f"{BASE}/p/{code}/")


@register
class Instagram(Platform):
    name = "instagram"
    hosts = ("instagram.com", "instagr.am", "ig.me")

    def parse(self, url: str, depth: int = 0) -> tuple[ItemRef | None, ItemRef | None]:
        parts = split(url)
        host = host_of(parts)
        if host in {"l.instagram.com", "l.threads.net"}:
            target = query_value(parts, "u")
            if not target or depth > 3:
                return None, None
            if self.owns(host_of(split(target))):
                return self.parse(target, depth + 1)
            return registry.identify(target), registry.parent_of(target)
        segs = segments(parts)
        if host == "ig.me" or host.endswith(".ig.me"):
            # ig.me/m/<user> opens a chat with the account: the account is the item.
            segs = segs[1:] if segs and segs[0] == "m" else segs
        if not segs:
            return None, None
        first = segs[0].lower()
        if first in POST_SECTIONS:
            if len(segs) > 1 and SHORTCODE.match(segs[1]):
                return post_ref(segs[1]), None
            return None, None
        if first in RESERVED or not USERNAME.match(segs[0]):
            return None, None
        owner = profile_ref(segs[0])
        if len(segs) > 2 and segs[1].lower() in POST_SECTIONS and SHORTCODE.match(segs[2]):
            return post_ref(segs[2]), owner
        return owner, None

    def url_role(self, url: str) -> UrlRole | None:
        """Walls (`/accounts/login/`, `/challenge/`) and pages that list posts (home, explore, tags,
        locations, the reels feed)."""
        parts = split(url)
        segs = [s.lower() for s in segments(parts)]
        first = segs[0] if segs else ""
        if first in {"accounts", "login"}:
            return UrlRole(True, "login-wall", Status.LOGIN_REQUIRED, next_target(parts))
        if first == "challenge":
            return UrlRole(True, "challenge", Status.RESTRICTED, next_target(parts))
        if first in {"", "explore", "reels", "tags", "locations", "popular", "topics"}:
            if first == "reels" and len(segs) > 1:
                return None
            return UrlRole(False, "explore" if first not in {"", "reels"} else "home-feed")
        return None
