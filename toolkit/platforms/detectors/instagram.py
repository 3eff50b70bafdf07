"""Instagram post and profile pages (logged-out www views)."""

from __future__ import annotations

import re

from toolkit.dates import parse_iso, to_utc_iso
from toolkit.models import Capture, Kind, Status
from toolkit.platforms.counts import parse_count
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, json_ld, json_string
from toolkit.platforms.instagram import BASE
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get

# "Megadeth (@megadeth) • Instagram photos and videos"
_PROFILE_TITLE = re.compile(r"^(.*?)\s*\(@([A-Za-z0-9._]{1,30})\)\s*[•·]\s*Instagram")
# "Retro Bay Area on Instagram: "..."" / "... en Instagram: ..."
_POST_TITLE = re.compile(r"^(.*?) (?:on|en|no|sur) Instagram\s*:")
_PROFILE_ID = re.compile(rb'"profile_id"\s*:\s*"(\d+)"')
_MEDIA_ID = re.compile(r"instagram://media\?id=(\d+)")
# "1M Followers, 100 Following, 500 Posts" / "1,2 M seguidores, 10 seguidos, 300 publicaciones"
_COUNTS = re.compile(r"([\d.,]+\s*(?:[KkMm]|mil|mill\.?|mi)?)\s+(Followers|seguidores|abonnés|Following|seguidos|"
                     r"abonnements|Posts|publicaciones|publicações|publications)", re.I)
_FOLLOWERS = {"followers", "seguidores", "abonnés"}
_POSTS = {"posts", "publicaciones", "publicações", "publications"}


@register_detector
class InstagramDetector(Detector):
    platform = "instagram"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.UNAVAILABLE, Status.LOGIN_REQUIRED, Status.RESTRICTED,
                          Status.RATE_LIMITED, Status.ERROR})
    needles = (b"application/ld+json",)
    # A caption is in the <title> and og:title (`<name> on Instagram: "<caption>"`).
    quotes = True

    def claims(self, page: Page) -> bool:
        return (page.meta.get("og:site_name") == "Instagram" or page.meta.get("al:android:package") == "com.instagram.android"
                or bool(page.title and _PROFILE_TITLE.match(page.title)))

    def inspect(self, page: Page, places: Places) -> Finding:
        meta, instagram = page.meta, get("instagram")
        og_ref = instagram.identify(meta["og:url"]) if meta.get("og:url") else None
        requested = next((r for r in (instagram.identify(u) for u in (page.url, page.final_url) if u) if r), None)
        title_match = _PROFILE_TITLE.match(page.title or "") or _PROFILE_TITLE.match(meta.get("twitter:title", ""))
        media = _MEDIA_ID.match(meta.get("al:ios:url", ""))
        profile_id = _PROFILE_ID.search(page.body)
        description = clean(meta.get("og:description") or meta.get("description"))
        evidence = None
        if og_ref is not None:
            evidence = Evidence(meta["og:url"], "meta:og:url")
        elif media:
            evidence = Evidence(meta["al:ios:url"], "meta:al:ios:url")
        elif title_match and profile_id:
            evidence = Evidence(f"profile_id {profile_id.group(1).decode()}", "json:profile_id")
        main = og_ref or requested
        if main is None and title_match:
            main = instagram.identify(f"{BASE}/{title_match.group(2)}/")
        if main is None:
            return Finding([], evidence)
        if main.kind in (Kind.POST, Kind.VIDEO):
            ld = next((o for o in json_ld(page) if isinstance(o.get("author"), dict)), {})
            author = ld.get("author") or {}
            handle = author.get("alternateName") or json_string(page.body, "username")
            owner = title_match.group(2) if title_match else (handle or "").lstrip("@") or None
            parent = instagram.identify(f"{BASE}/{owner}/") if owner else instagram.parent_of(meta.get("og:url", ""))
            caption = clean(ld.get("articleBody") or ld.get("caption")) or _caption(meta.get("og:title"))
            post = Capture(item=main, url=main.url, parent=parent, text=first(caption, description),
                           created_at=_iso(ld.get("dateCreated") or ld.get("uploadDate")))
            if media:
                post.fields["media_id"] = media.group(1)
            captures = [post]
            name = _POST_TITLE.match(meta.get("og:title", "") or page.title or "")
            if parent and name:
                captures.append(Capture(item=parent, url=parent.url, name=clean(name.group(1)),
                                        status_marker=evidence.marker if evidence else None,
                                        status_place=evidence.place if evidence else None))
            return Finding(captures, evidence)
        counts = _profile_counts(description)
        capture = Capture(item=main, url=main.url, name=clean(title_match.group(1)) if title_match else clean(meta.get("og:title")),
                          text=description, followers=counts.get("followers"))
        if profile_id:
            capture.fields["profile_id"] = profile_id.group(1).decode()
        if counts.get("posts") is not None:
            capture.fields["posts"] = counts["posts"]
        return Finding([capture], evidence)


def _iso(value: object) -> str | None:
    moment = parse_iso(str(value)) if value else None
    return to_utc_iso(moment) if moment else None


def _caption(og_title: str | None) -> str | None:
    """The caption inside og:title `Name on Instagram: "caption"`."""
    if not og_title or ":" not in og_title:
        return None
    text = og_title.split(":", 1)[1].strip()
    return clean(text[1:-1] if text.startswith(("\"", "“")) and text.endswith(("\"", "”")) else text)


def _profile_counts(description: str | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, word in _COUNTS.findall(description or ""):
        value = parse_count(number)
        if value is None:
            continue
        if word.lower() in _FOLLOWERS:
            found.setdefault("followers", value)
        elif word.lower() in _POSTS:
            found.setdefault("posts", value)
    return found
