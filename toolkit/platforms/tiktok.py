"""TikTok: URL identity for profiles and videos.

Videos (and photo posts, which share the id space) are keyed by their numeric id, whatever the
URL form: `/@user/video/<id>`, `/@user/photo/<id>`, `m.tiktok.com/v/<id>.html`, `/embed/v2/<id>`.
Profiles are keyed by the lower-cased `@` handle. Short links (`vm.tiktok.com/<code>`,
`vt.tiktok.com/<code>`, `tiktok.com/t/<code>`) do not carry the id: until someone resolves them they
are kept as `video` items keyed by their canonical URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from toolkit.models import ItemRef, Kind, Status
from toolkit.platforms.base import Platform, UrlRole, host_of, next_target, segments, split
from toolkit.platforms.registry import register

BASE = "https://www.tiktok.com"
HANDLE = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9._]{1,32}$")
VIDEO_ID = re.compile(r"^\d{5,25}$")
SHORT_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
# Pages that list videos rather than being one, by first path segment.
LISTINGS = frozenset({"", "tag", "search", "discover", "explore", "foryou", "following", "music", "trending"})


def profile_ref(handle: str) -> ItemRef:
    """The profile for a handle (without the @; handles are case-insensitive)."""
    key = handle.lower()
    return ItemRef("tiktok", Kind.PROFILE, key, f"{BASE}/@{key}")


def video_ref(video_id: str, handle: str | None = None, section: str = "video") -> ItemRef:
    """The video for an id; the URL carries the handle when known (TikTok answers `/@/video/<id>` too)."""
    return ItemRef("tiktok", Kind.VIDEO, video_id, f"{BASE}/@{(handle or '').lower()}/{section}/{video_id}")


@register
class TikTok(Platform):
    name = "tiktok"
    hosts = ("tiktok.com",)

    def parse(self, url: str) -> tuple[ItemRef | None, ItemRef | None]:
        parts = split(url)
        host = host_of(parts)
        segs = segments(parts)
        if not segs:
            return None, None
        if host in SHORT_HOSTS or segs[0] == "t":
            code = segs[1] if segs[0] == "t" and len(segs) > 1 else segs[0]
            if segs[0] == "t" and len(segs) < 2:
                return None, None
            short = (f"{BASE}/t/{quote(code)}/" if segs[0] == "t" and host not in SHORT_HOSTS
                     else f"https://{host}/{quote(code)}/")
            return ItemRef("tiktok", Kind.VIDEO, short, short), None
        if segs[0].startswith("@"):
            handle = segs[0][1:]
            owner = profile_ref(handle) if HANDLE.match(handle) else None
            if len(segs) > 2 and segs[1] in {"video", "photo"} and VIDEO_ID.match(segs[2]):
                return video_ref(segs[2], handle if owner else None, segs[1]), owner
            return owner, None
        if segs[0] == "v" and len(segs) > 1:
            video = segs[1].removesuffix(".html")
            return (video_ref(video), None) if VIDEO_ID.match(video) else (None, None)
        if segs[0] == "embed":
            video = segs[-1]
            return (video_ref(video), None) if VIDEO_ID.match(video) else (None, None)
        return None, None

    def url_role(self, url: str) -> UrlRole | None:
        """Walls (`/login`, `/signup`) and pages that list videos (home, For You, tag, search,
        discover, explore, music)."""
        parts = split(url)
        if host_of(parts) in SHORT_HOSTS:
            return None
        segs = [s.lower() for s in segments(parts)]
        first = segs[0] if segs else ""
        if first in {"login", "signup"}:
            return UrlRole(True, "login-wall", Status.LOGIN_REQUIRED, next_target(parts))
        if first in LISTINGS:
            return UrlRole(False, "search" if first == "search" else "explore" if first else "home-feed")
        return None
