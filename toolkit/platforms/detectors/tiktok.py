"""TikTok video and account pages: SIGI_STATE (2022) and `__UNIVERSAL_DATA_FOR_REHYDRATION__` JSON."""

from __future__ import annotations

from typing import Any

from toolkit.dates import from_unix
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, script_json
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get
from toolkit.platforms.tiktok import BASE


def _tiktok_state(page: Page) -> dict[str, Any]:
    """Video item, author, author stats and the page's status code, from either inline JSON shape."""
    state: dict[str, Any] = {"item": None, "user": None, "stats": None, "status": []}
    universal = script_json(page, "__UNIVERSAL_DATA_FOR_REHYDRATION__")
    scope = universal.get("__DEFAULT_SCOPE__") if isinstance(universal, dict) else None
    if isinstance(scope, dict):
        video = scope.get("webapp.video-detail") or {}
        user = scope.get("webapp.user-detail") or {}
        for part in (video, user):
            if isinstance(part, dict) and part.get("statusCode") is not None:
                state["status"].append(str(part["statusCode"]))
        item = ((video.get("itemInfo") or {}).get("itemStruct")) if isinstance(video, dict) else None
        if isinstance(item, dict) and item.get("id"):
            state["item"] = item
            state["user"] = item.get("author") if isinstance(item.get("author"), dict) else None
            state["stats"] = item.get("authorStats")
        info = user.get("userInfo") if isinstance(user, dict) else None
        if isinstance(info, dict) and isinstance(info.get("user"), dict):
            state["user"], state["stats"] = info["user"], info.get("stats")
        return state
    sigi = script_json(page, "SIGI_STATE")
    if isinstance(sigi, dict):
        for key in ("VideoPage", "UserPage"):
            code = (sigi.get(key) or {}).get("statusCode") if isinstance(sigi.get(key), dict) else None
            if code is not None:
                state["status"].append(str(code))
        items = sigi.get("ItemModule") or {}
        item = next(iter(items.values()), None) if isinstance(items, dict) else None
        users = (sigi.get("UserModule") or {}).get("users") or {}
        stats = (sigi.get("UserModule") or {}).get("stats") or {}
        if isinstance(item, dict):
            state["item"] = item
            handle = item.get("author")
            state["user"] = users.get(handle) if isinstance(handle, str) else None
            state["stats"] = (stats.get(handle) if isinstance(handle, str) else None) or item.get("authorStats")
        elif users:
            handle = next(iter(users))
            state["user"], state["stats"] = users[handle], stats.get(handle)
    return state


@register_detector
class TikTokDetector(Detector):
    platform = "tiktok"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.ACCOUNT_GONE, Status.RESTRICTED,
                          Status.RATE_LIMITED, Status.LOGIN_REQUIRED, Status.ERROR})
    # A video's caption is its <title> ("<caption> | TikTok") and heading.
    quotes = True

    def claims(self, page: Page) -> bool:
        return page.meta.get("og:site_name") == "TikTok" or page.meta.get("al:android:package") == "com.zhiliaoapp.musically"

    def places(self, page: Page) -> Places:
        places = Places(page)
        state = _tiktok_state(page)
        # 0 is "fine"; only codes that mean something go to the json:statusCode place.
        places.add("json:statusCode", [c for c in state["status"] if c not in ("0", "")])
        places.data["state"] = state
        return places

    def inspect(self, page: Page, places: Places) -> Finding:
        state, tiktok = places.data["state"], get("tiktok")
        item, user, stats = state["item"], state["user"] or {}, state["stats"] or {}
        requested = next((r for r in (tiktok.identify(u) for u in (page.url, page.final_url) if u) if r), None)
        og_ref = tiktok.identify(page.meta["og:url"]) if page.meta.get("og:url") else None
        author = (item or {}).get("author")
        handle = user.get("uniqueId") or (author if isinstance(author, str) else None)
        profile = ItemRef("tiktok", Kind.PROFILE, handle.lower(), f"{BASE}/@{handle.lower()}") if handle else None
        profile_capture = None
        if profile is not None:
            profile_capture = Capture(item=profile, url=profile.url, name=clean(user.get("nickname")),
                                      text=clean(user.get("signature")), followers=_int(stats.get("followerCount")),
                                      likes=_int(stats.get("heartCount") or stats.get("heart")))
            if user.get("id"):
                profile_capture.fields["user_id"] = str(user["id"])
        if item:
            video_id = str(item["id"])
            ref = ItemRef("tiktok", Kind.VIDEO, video_id, f"{BASE}/@{handle.lower() if handle else ''}/video/{video_id}")
            item_stats = item.get("stats") or {}
            video = Capture(item=ref, url=ref.url, parent=profile, text=clean(item.get("desc")),
                            created_at=from_unix(item["createTime"]) if item.get("createTime") else None,
                            likes=_int(item_stats.get("diggCount")))
            video.fields.update({k: v for k, v in {"plays": _int(item_stats.get("playCount")),
                                                   "comments": _int(item_stats.get("commentCount")),
                                                   "shares": _int(item_stats.get("shareCount"))}.items() if v is not None})
            evidence = Evidence(f"item {video_id}", "json:ItemModule")
            captures = [video] + ([profile_capture] if profile_capture else [])
            for capture in captures[1:]:
                capture.status_marker, capture.status_place = evidence.marker, evidence.place
            return Finding(captures, evidence)
        main_ref = first(requested, og_ref)
        if profile_capture is not None and (main_ref is None or main_ref.kind == Kind.PROFILE):
            return Finding([profile_capture], Evidence(f"user {handle}", "json:UserModule"))
        if main_ref is not None and page.meta.get("og:url") and og_ref is not None:
            capture = Capture(item=og_ref, url=og_ref.url, parent=tiktok.parent_of(page.meta["og:url"]),
                              text=clean(page.meta.get("og:description")))
            return Finding([capture], Evidence(page.meta["og:url"], "meta:og:url"))
        return Finding([], None)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
