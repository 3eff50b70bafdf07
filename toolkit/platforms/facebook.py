"""Facebook: URL identity for pages, groups, profiles, posts, photos, videos and listings.

Hosts www., m., mbasic., web., touch., business. and fb.com all name the same items; l.facebook.com
redirect links are unwrapped. Pages are keyed by numeric id when the URL carries one, else by the
lower-cased vanity name; posts by their post id (numeric or `pfbid...`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, split
from toolkit.platforms.registry import register

BASE = "https://www.facebook.com"
# First path segments that are Facebook features, not page or profile names.
RESERVED = frozenset(
    {
        "groups", "pages", "profile.php", "story.php", "permalink.php", "photo.php", "photo", "photos",
        "watch", "reel", "reels", "marketplace", "events", "login", "login.php", "checkpoint", "help",
        "search", "hashtag", "sharer", "sharer.php", "share", "dialog", "plugins", "settings", "notifications",
        "messages", "friends", "home.php", "video.php", "ads", "business", "gaming", "media", "stories", "l.php",
        "people", "public", "privacy", "policies", "legal", "about", "recover", "ufi", "comment", "tr",
    }
)
POST_ID = re.compile(r"^(?:\d+|pfbid[0-9A-Za-z]+)$")


def _page_ref(name_or_id: str) -> ItemRef:
    key = name_or_id if name_or_id.isdigit() else name_or_id.lower()
    return ItemRef("facebook", Kind.PAGE, key, f"{BASE}/{key}")


@register
class Facebook(Platform):
    name = "facebook"
    hosts = ("facebook.com", "fb.com", "fb.me", "facebook.net")

    def identify(self, url: str) -> ItemRef | None:
        parts = split(url)
        query = parse_qs(parts.query)
        host = (parts.hostname or "").lower()
        if host.startswith("l.") or host.startswith("lm.") or parts.path.startswith("/l.php"):
            target = query.get("u", [None])[0]
            return self.identify(target) if target else None
        segs = [s for s in parts.path.split("/") if s]
        if not segs:
            return None
        first = segs[0].lower()

        def q(name: str) -> str | None:
            value = query.get(name, [None])[0]
            return value.strip() if value else None

        if first == "profile.php" and q("id"):
            return ItemRef("facebook", Kind.PROFILE, q("id"), f"{BASE}/profile.php?id={q('id')}")
        if first in {"story.php", "permalink.php"} and q("story_fbid"):
            return ItemRef("facebook", Kind.POST, q("story_fbid"), f"{BASE}/{q('id') or 'permalink.php'}/posts/{q('story_fbid')}"
                           if q("id") else f"{BASE}/permalink.php?story_fbid={q('story_fbid')}")
        if first in {"photo.php", "photo"} and q("fbid"):
            return ItemRef("facebook", Kind.POST, q("fbid"), f"{BASE}/photo/?fbid={q('fbid')}")
        if first in {"watch", "video.php"} and q("v"):
            return ItemRef("facebook", Kind.VIDEO, q("v"), f"{BASE}/watch/?v={q('v')}")
        if first in {"reel", "reels"} and len(segs) > 1 and segs[1].isdigit():
            return ItemRef("facebook", Kind.VIDEO, segs[1], f"{BASE}/reel/{segs[1]}")
        if first == "marketplace" and len(segs) > 2 and segs[1] == "item" and segs[2].isdigit():
            return ItemRef("facebook", Kind.LISTING, segs[2], f"{BASE}/marketplace/item/{segs[2]}")
        if first == "groups" and len(segs) > 1:
            group = segs[1] if segs[1].isdigit() else segs[1].lower()
            if len(segs) > 3 and segs[2] in {"permalink", "posts"} and POST_ID.match(segs[3]):
                return ItemRef("facebook", Kind.POST, segs[3], f"{BASE}/groups/{group}/posts/{segs[3]}")
            return ItemRef("facebook", Kind.GROUP, group, f"{BASE}/groups/{group}")
        if first == "pages" and len(segs) > 1:
            ids = [s for s in segs[1:] if s.isdigit()]
            if not ids and segs[1] == "category" and len(segs) > 3:
                return _page_ref(segs[3])  # /pages/category/<Category>/<Name>/
            return _page_ref(ids[-1] if ids else segs[1])
        if first in RESERVED or first.endswith(".php"):
            return None
        # /<page>/posts/<id>, /<page>/videos/<id>, /<page>/photos/<album>/<id>
        if len(segs) > 2 and segs[1] in {"posts", "permalink"} and POST_ID.match(segs[2]):
            return ItemRef("facebook", Kind.POST, segs[2], f"{BASE}/{_page_ref(segs[0]).key}/posts/{segs[2]}")
        if len(segs) > 2 and segs[1] == "videos":
            vid = next((s for s in reversed(segs[2:]) if s.isdigit()), None)
            if vid:
                return ItemRef("facebook", Kind.VIDEO, vid, f"{BASE}/watch/?v={vid}")
        if len(segs) > 2 and segs[1] == "photos":
            pid = next((s for s in reversed(segs[2:]) if s.isdigit()), None)
            if pid:
                return ItemRef("facebook", Kind.POST, pid, f"{BASE}/photo/?fbid={pid}")
        # A vanity name ending in -<digits> ("Cruce-Seguro-123456789") is the page id.
        tail = re.search(r"-(\d{6,})$", segs[0])
        return _page_ref(tail.group(1) if tail else segs[0])

    def parent_of(self, url: str) -> ItemRef | None:
        """The page or group a post URL sits under, when the URL says."""
        segs = [s for s in split(url).path.split("/") if s]
        if len(segs) > 2 and segs[0] == "groups":
            group = segs[1] if segs[1].isdigit() else segs[1].lower()
            return ItemRef("facebook", Kind.GROUP, group, f"{BASE}/groups/{group}")
        if len(segs) > 2 and segs[0].lower() not in RESERVED and segs[1] in {"posts", "videos", "photos", "permalink"}:
            return _page_ref(segs[0])
        return None
