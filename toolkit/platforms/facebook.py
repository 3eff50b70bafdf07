"""Facebook: URL identity for pages, groups, posts, photos, videos, reels and Marketplace listings.

Hosts www., m., mbasic., web., touch., business. and fb.com/fb.me all name the same items;
l.facebook.com redirect links and walls (`/login/?next=`, `/checkpoint/?next=`) are unwrapped to
the URL they lead to: the item a researcher meant when pasting one. (A page *showing* such a URL is
a wall, never evidence of that item: see `url_role` and toolkit/platforms/roles.py.) Every canonical
URL is rebuilt from ids alone, so tracking parameters never reach an identity.

Keys:
- page: the numeric id when the URL carries one (`/123`, `profile.php?id=123`, `/pages/<name>/123`,
  `/people/<name>/123`, `Name-123456789`), else the lower-cased vanity name. Facebook URLs do not
  say whether a numeric id is a page or a personal profile (since 2021 pages without a vanity name
  live at `profile.php?id=`), so both are kind `page`: one account found through either URL is one item.
- group: the numeric id or lower-cased slug.
- post: the post id, numeric or `pfbid...` (kept as written: pfbid ids are case-sensitive).
  A group post in any form (`/groups/<g>/permalink/<p>/`, `/groups/<g>/posts/<p>/`,
  `/groups/<g>?view=permalink&id=<p>`, `?multi_permalinks=<p>`) has the group as its parent.
  Photos are posts keyed by their fbid; videos and reels are `video` items keyed by video id.
- listing: the Marketplace item id.
- share links (`/share/p/<code>`, `fb.watch/<code>`) do not carry the id; until resolved they are
  keyed by their canonical URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from toolkit.models import ItemRef, Kind, Status
from toolkit.platforms import registry
from toolkit.platforms.base import Platform, UrlRole, host_of, next_target, query_value, segments, split
from toolkit.platforms.registry import register

BASE = "https://www.facebook.com"
# First path segments that are Facebook features, not page or profile names.
RESERVED = frozenset(
    {
        "groups", "pages", "people", "profile.php", "story.php", "permalink.php", "photo.php", "photo", "photos",
        "watch", "reel", "reels", "marketplace", "events", "login", "login.php", "checkpoint", "help",
        "search", "hashtag", "sharer", "sharer.php", "share", "dialog", "plugins", "settings", "notifications",
        "messages", "friends", "home.php", "video.php", "ads", "business", "gaming", "media", "stories", "l.php",
        "public", "privacy", "policies", "legal", "about", "recover", "ufi", "comment", "tr", "bookmarks",
        "saved", "fundraisers", "live", "places", "pg", "index.php", "feeds", "latest", "composer", "ajax",
        "api", "graphql", "x", "r.php", "campaign", "careers", "lite", "mobile", "watchparty", "profile",
        # mbasic/m action paths (like, react, save, menus) and the viewer's own "me"
        "a", "reactions", "save", "menu", "notes", "bugnub", "coronavirus_info", "me", "reg", "consent",
        "two_step_verification", "cookie", "nt",
    }
)
POST_ID = re.compile(r"^(?:\d+|pfbid[0-9A-Za-z]+)$")
NAME = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9_.\-]+$")  # vanity names and slugs are ASCII
TRAILING_ID = re.compile(r"-(\d{6,})$")
SHARE_KINDS = {"p": Kind.POST, "v": Kind.VIDEO, "r": Kind.VIDEO, "g": Kind.GROUP}
REDIRECT_HOSTS = ("l.facebook.com", "lm.facebook.com", "l.messenger.com")
# Walls by first path segment: (reason, status). A consent interstitial is a gate like an age gate.
WALLS = {
    "login": ("login-wall", Status.LOGIN_REQUIRED), "login.php": ("login-wall", Status.LOGIN_REQUIRED),
    "r.php": ("login-wall", Status.LOGIN_REQUIRED), "reg": ("login-wall", Status.LOGIN_REQUIRED),
    "recover": ("login-wall", Status.LOGIN_REQUIRED), "checkpoint": ("checkpoint", Status.RESTRICTED),
    "two_step_verification": ("checkpoint", Status.RESTRICTED), "consent": ("consent-wall", Status.RESTRICTED),
}
# Pages that list items rather than being one, by first path segment.
LISTINGS = {"": "home-feed", "home.php": "home-feed", "search": "search", "hashtag": "hashtag",
            "watch": "watch-feed", "reel": "reels-feed", "reels": "reels-feed", "feeds": "home-feed"}
GROUP_FEEDS = frozenset({"feed", "discover", "joins", "search", "category"})


def page_ref(name_or_id: str) -> ItemRef:
    """The page for a numeric id or vanity name (names are case-insensitive on Facebook)."""
    key = name_or_id if name_or_id.isdigit() else name_or_id.lower()
    return ItemRef("facebook", Kind.PAGE, key, f"{BASE}/{quote(key)}")


def group_ref(id_or_slug: str) -> ItemRef:
    key = id_or_slug if id_or_slug.isdigit() else id_or_slug.lower()
    return ItemRef("facebook", Kind.GROUP, key, f"{BASE}/groups/{quote(key)}")


def post_ref(post_id: str, parent: ItemRef | None) -> ItemRef:
    """A post, with the URL under its page or group when known."""
    if parent is not None and parent.kind == Kind.GROUP:
        url = f"{BASE}/groups/{quote(parent.key)}/posts/{post_id}"
    elif parent is not None:
        url = f"{BASE}/{quote(parent.key)}/posts/{post_id}"
    else:
        url = f"{BASE}/permalink.php?story_fbid={post_id}"
    return ItemRef("facebook", Kind.POST, post_id, url)


def _owner(name: str) -> ItemRef | None:
    """The page named by a first path segment, or None when it is a Facebook feature."""
    if name.lower() in RESERVED or name.lower().endswith(".php") or not NAME.match(name):
        return None
    tail = TRAILING_ID.search(name)
    return page_ref(tail.group(1) if tail else name)


@register
class Facebook(Platform):
    name = "facebook"
    hosts = ("facebook.com", "fb.com", "fb.me", "fb.watch", "facebook.net")

    def parse(self, url: str, depth: int = 0) -> tuple[ItemRef | None, ItemRef | None]:
        """(item, parent) for a Facebook URL; (None, None) when it names no item."""
        parts = split(url)
        host = host_of(parts)
        segs = segments(parts)
        first = segs[0].lower() if segs else ""

        def q(name: str) -> str | None:
            return query_value(parts, name)

        # Redirects: the item is wherever the link leads, on Facebook or not.
        target = None
        if host in REDIRECT_HOSTS or first == "l.php":
            target = q("u")
        elif first in WALLS or (first == "privacy" and "consent" in segs[1:2]):
            target = next_target(parts)
        if target is not None or host in REDIRECT_HOSTS or first == "l.php":
            if not target or depth > 3:
                return None, None
            if self.owns(host_of(split(target))):
                return self.parse(target, depth + 1)
            return registry.identify(target), registry.parent_of(target)

        if host == "fb.watch" or host.endswith(".fb.watch"):
            if not segs:
                return None, None
            short = f"https://fb.watch/{quote(segs[0])}/"
            return ItemRef("facebook", Kind.VIDEO, short, short), None
        if not segs:
            return None, None

        if first == "share" and len(segs) > 1:
            kind = SHARE_KINDS.get(segs[1].lower()) if len(segs) > 2 else Kind.PAGE
            code = segs[2] if len(segs) > 2 else segs[1]
            if kind is None:
                return None, None
            short = f"{BASE}/share/{segs[1].lower() + '/' if len(segs) > 2 else ''}{quote(code)}/"
            return ItemRef("facebook", kind, short, short), None
        if first == "profile.php":
            page_id = q("id")
            return (page_ref(page_id), None) if page_id and page_id.isdigit() else (None, None)
        if first in {"story.php", "permalink.php"}:
            story, owner_id = q("story_fbid"), q("id")
            if not story or not POST_ID.match(story):
                return None, None
            parent = page_ref(owner_id) if owner_id and owner_id.isdigit() else None
            return post_ref(story, parent), parent
        if first in {"photo.php", "photo"}:
            fbid = q("fbid")
            if not fbid and len(segs) > 1 and segs[1].isdigit():
                fbid = segs[1]
            if fbid and fbid.isdigit():
                return ItemRef("facebook", Kind.POST, fbid, f"{BASE}/photo/?fbid={fbid}"), None
            return None, None
        if first in {"watch", "video.php"}:
            video = q("v")
            if video and video.isdigit():
                return ItemRef("facebook", Kind.VIDEO, video, f"{BASE}/watch/?v={video}"), None
            return None, None
        if first in {"reel", "reels"}:
            if len(segs) > 1 and segs[1].isdigit():
                return ItemRef("facebook", Kind.VIDEO, segs[1], f"{BASE}/reel/{segs[1]}"), None
            return None, None
        if first == "marketplace":
            if len(segs) > 2 and segs[1].lower() == "item" and segs[2].isdigit():
                return ItemRef("facebook", Kind.LISTING, segs[2], f"{BASE}/marketplace/item/{segs[2]}"), None
            return None, None
        if first == "groups":
            if len(segs) < 2 or not NAME.match(segs[1]) or segs[1].lower() in {"feed", "discover", "joins"}:
                return None, None
            group = group_ref(segs[1])
            post = segs[3] if len(segs) > 3 and segs[2].lower() in {"permalink", "posts"} else q("multi_permalinks")
            if not post and (q("view") or "").lower() == "permalink":
                post = q("id") or q("story_fbid")  # mbasic and m.: /groups/<g>?view=permalink&id=<post>
            if post and "," in post:
                post = post.split(",", 1)[0]
            if post and POST_ID.match(post):
                return post_ref(post, group), group
            return group, None
        if first in {"pages", "people"} and len(segs) > 1:
            ids = [s for s in segs[1:] if s.isdigit()]
            if ids:
                return page_ref(ids[-1]), None
            tails = [m.group(1) for s in segs[1:] if (m := TRAILING_ID.search(s))]
            if tails:
                return page_ref(tails[-1]), None
            # /pages/category/<Category>/<Name>/ names the page last.
            name = (segs[3] if len(segs) > 3 else segs[2]) if segs[1].lower() == "category" and len(segs) > 2 else segs[1]
            return (page_ref(name), None) if first == "pages" and NAME.match(name) else (None, None)

        owner = _owner(segs[0])
        if owner is None:
            return None, None
        section = segs[1].lower() if len(segs) > 1 else ""
        # /<page>/posts/<id>, /<page>/videos/[<slug>/]<id>, /<page>/photos/[a.<album>/]<id>
        if section in {"posts", "permalink"} and len(segs) > 2 and POST_ID.match(segs[2]):
            return post_ref(segs[2], owner), owner
        if section == "videos":
            video = next((s for s in reversed(segs[2:]) if s.isdigit()), None)
            if video:
                return ItemRef("facebook", Kind.VIDEO, video, f"{BASE}/watch/?v={video}"), owner
        if section == "photos":
            photo = next((s for s in reversed(segs[2:]) if s.isdigit()), None)
            if photo:
                return ItemRef("facebook", Kind.POST, photo, f"{BASE}/photo/?fbid={photo}"), owner
        return owner, None

    def url_role(self, url: str) -> UrlRole | None:
        """Walls (login, checkpoint, consent) and pages that list items (home feed, search, hashtag,
        Watch and Reels feeds, Marketplace feed, category and search, the groups feed)."""
        parts = split(url)
        host = host_of(parts)
        if host in REDIRECT_HOSTS or host == "fb.watch" or host.endswith(".fb.watch"):
            return None
        segs = [s.lower() for s in segments(parts)]
        first = segs[0] if segs else ""
        if first in WALLS or (first in {"privacy", "cookie"} and "consent" in segs[1:3]):
            reason, status = WALLS.get(first, WALLS["consent"])
            return UrlRole(True, reason, status, next_target(parts))
        if first == "marketplace":
            if len(segs) > 2 and segs[1] == "item" and segs[2].isdigit():
                return None
            if "search" in segs or query_value(parts, "query"):
                return UrlRole(False, "marketplace-search")
            return UrlRole(False, "marketplace-category" if "category" in segs or len(segs) > 1 else "marketplace-feed")
        if first == "groups" and (len(segs) < 2 or segs[1] in GROUP_FEEDS):
            return UrlRole(False, "groups-feed")
        if first in LISTINGS:
            if first == "watch" and query_value(parts, "v"):
                return None
            if first in {"reel", "reels"} and len(segs) > 1 and segs[1].isdigit():
                return None
            return UrlRole(False, LISTINGS[first])
        return None
