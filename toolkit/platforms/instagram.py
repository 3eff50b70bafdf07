"""Instagram: URL identity for posts, reels and profiles.

Posts and reels are keyed by their shortcode (case-sensitive), profiles by the lower-cased
username; www., m. and instagr.am hosts name the same items.
"""

from __future__ import annotations

import re

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, split
from toolkit.platforms.registry import register

BASE = "https://www.instagram.com"
RESERVED = frozenset({"explore", "accounts", "direct", "about", "legal", "developer", "stories", "web", "emails",
                      "challenge", "privacy", "session", "graphql", "api", "static", "oauth", "directory"})
SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,}$")
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")
MEDIA = {"p": Kind.POST, "reel": Kind.VIDEO, "reels": Kind.VIDEO, "tv": Kind.VIDEO}


@register
class Instagram(Platform):
    name = "instagram"
    hosts = ("instagram.com", "instagr.am")

    def identify(self, url: str) -> ItemRef | None:
        segs = [s for s in split(url).path.split("/") if s]
        if not segs:
            return None
        # /p/<code>, and the newer /<user>/p/<code>
        for index in (0, 1):
            if len(segs) > index + 1 and segs[index] in MEDIA and SHORTCODE.match(segs[index + 1]):
                kind, code = MEDIA[segs[index]], segs[index + 1]
                path = "p" if kind == Kind.POST else "reel"
                return ItemRef("instagram", kind, code, f"{BASE}/{path}/{code}/")
        user = segs[0].lstrip("@")
        if user.lower() in RESERVED or not USERNAME.match(user):
            return None
        return ItemRef("instagram", Kind.PROFILE, user.lower(), f"{BASE}/{user.lower()}/")

    def parent_of(self, url: str) -> ItemRef | None:
        segs = [s for s in split(url).path.split("/") if s]
        if len(segs) > 2 and segs[1] in MEDIA and segs[0].lower() not in RESERVED:
            return ItemRef("instagram", Kind.PROFILE, segs[0].lower(), f"{BASE}/{segs[0].lower()}/")
        return None
