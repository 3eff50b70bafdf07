"""TikTok: URL identity for videos, photo posts and accounts.

Videos are keyed by their numeric id, accounts by the lower-cased @handle.
"""

from __future__ import annotations

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, split
from toolkit.platforms.registry import register

BASE = "https://www.tiktok.com"


@register
class TikTok(Platform):
    name = "tiktok"
    hosts = ("tiktok.com",)

    def identify(self, url: str) -> ItemRef | None:
        segs = [s for s in split(url).path.split("/") if s]
        if not segs:
            return None
        if len(segs) > 2 and segs[1] in ("video", "photo") and segs[2].isdigit():
            kind = Kind.VIDEO if segs[1] == "video" else Kind.POST
            return ItemRef("tiktok", kind, segs[2], f"{BASE}/{segs[0].lower()}/{segs[1]}/{segs[2]}")
        if segs[0] in ("v", "embed") and len(segs) > 1 and segs[-1].split(".")[0].isdigit():
            video = segs[-1].split(".")[0]
            return ItemRef("tiktok", Kind.VIDEO, video, f"{BASE}/@/video/{video}")
        if segs[0].startswith("@") and len(segs[0]) > 1:
            handle = segs[0].lower()
            return ItemRef("tiktok", Kind.PROFILE, handle[1:], f"{BASE}/{handle}")
        return None

    def parent_of(self, url: str) -> ItemRef | None:
        segs = [s for s in split(url).path.split("/") if s]
        if len(segs) > 2 and segs[0].startswith("@") and len(segs[0]) > 1:
            return ItemRef("tiktok", Kind.PROFILE, segs[0][1:].lower(), f"{BASE}/{segs[0].lower()}")
        return None
