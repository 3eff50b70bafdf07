"""Platform mappers for Zeeschuimer's `data` objects: TikTok, Instagram and Facebook.

Each mapper is pure: `(data, observed_at) -> [parent capture, item capture]`, parents first. Field
paths follow what Zeeschuimer captures and what 4CAT's `map_item` functions read (see FORMATS.md §3).
Absent values stay absent: a count that is not in the record is not in the capture.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from toolkit.dates import from_unix
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms import facebook, instagram, tiktok
from toolkit.sources._crowdtangle import user_id_alias

HASHTAG = re.compile(r"#(\w+)")


class ShapeError(Exception):
    """A record this mapper cannot place; `cause` is a short stable code."""

    def __init__(self, cause: str, detail: str):
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


def dig(obj: Any, *path: str | int) -> Any:
    """The value at `path` through dicts and lists, or None when any step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or not -len(obj) <= step < len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)
    return obj


def listed(value: Any) -> list[Any]:
    """`value` when it is a list, else an empty list (platforms send null, {} or "" for "none")."""
    return value if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def count(value: Any) -> int | None:
    """A count as int (numbers or digit strings, as TikTok's statsV2 sends them), else None."""
    if type(value) is int:  # the common case first: this runs for every count of every record
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def unique(values: list[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return list(seen)


def present(fields: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that have a value (None, empty lists and empty strings are absent)."""
    return {k: v for k, v in fields.items() if v is not None and v != [] and v != ""}


# --- TikTok -------------------------------------------------------------------------------------

TIKTOK_COUNTS = (("play_count", "playCount"), ("comment_count", "commentCount"), ("share_count", "shareCount"),
                 ("collect_count", "collectCount"))
PROFILE_COUNTS = (("following_count", "followingCount"), ("heart_count", "heartCount"), ("video_count", "videoCount"))


def map_tiktok(data: dict[str, Any], observed: str | None) -> list[Capture]:
    """A TikTok video, with its author's profile as parent."""
    video_id = data.get("id")
    video_id = str(video_id) if isinstance(video_id, int | str) else ""
    if not tiktok.VIDEO_ID.match(video_id):
        raise ShapeError("no-video-id", "TikTok item without a numeric `id`")
    author = data.get("author")
    if isinstance(author, dict):
        handle, nickname = text(author.get("uniqueId")), text(author.get("nickname"))
    else:  # older captures: author is the handle, the nickname sits beside it
        handle, nickname, author = text(author), text(data.get("nickname")), {}
    if handle and not tiktok.HANDLE.match(handle):
        handle = None
    stats, stats_v2 = mapping(data.get("stats")), mapping(data.get("statsV2"))

    def stat(name: str) -> int | None:
        value = count(stats.get(name))
        return value if value is not None else count(stats_v2.get(name))

    stickers = unique([t for s in listed(data.get("stickersOnItem")) for t in listed(dig(s, "stickerText"))])
    hashtags = unique([dig(t, "hashtagName") for t in listed(data.get("textExtra"))]
                      + [dig(c, "title") for c in listed(data.get("challenges"))])
    desc = text(data.get("desc"))
    # What a viewer reads: the description, then the text overlaid on the video.
    body = "\n".join(unique([desc or "", *stickers])) or None
    profile = tiktok.profile_ref(handle) if handle else None
    video = tiktok.video_ref(video_id, handle)

    # Built field by field: this runs once per line of exports with millions of lines.
    fields: dict[str, Any] = {}
    if desc:
        fields["desc"] = desc
    if stickers:
        fields["stickers"] = stickers
    if hashtags:
        fields["hashtags"] = hashtags
    for field, key in TIKTOK_COUNTS:
        if (value := stat(key)) is not None:
            fields[field] = value
    if handle:
        fields["author"] = handle
    if nickname:
        fields["author_nickname"] = nickname
    music = mapping(data.get("music"))
    if value := text(music.get("title")):
        fields["music"] = value
    if value := text(music.get("authorName")):
        fields["music_author"] = value
    if (value := count(dig(data, "video", "duration"))) is not None:
        fields["duration"] = value
    if (value := text(dig(data, "duetInfo", "duetFromId"))) and value != "0":
        fields["duet_from"] = value
    if data.get("isAd") is True:
        fields["is_ad"] = True
    if value := text(data.get("locationCreated")):
        fields["location_created"] = value
    for field, key, inner in (("warnings", "warnInfo", "text"), ("effects", "effectStickers", "name"),
                              ("labels", "diversificationLabels", None)):
        if key in data and (values := unique([dig(v, inner) if inner else v for v in listed(data[key])])):
            fields[field] = values

    captures = []
    if profile is not None:
        author_stats = mapping(data.get("authorStats"))
        profile_fields = present({
            "user_id": text(author.get("id")), "sec_uid": text(author.get("secUid")),
            "verified": author.get("verified") if isinstance(author.get("verified"), bool) else None,
            "private": author.get("privateAccount") if isinstance(author.get("privateAccount"), bool) else None,
        })
        for field, key in PROFILE_COUNTS:
            if (value := count(author_stats.get(key))) is not None:
                profile_fields[field] = value
        captures.append(Capture(
            item=profile, status=Status.AVAILABLE, observed_at=observed, name=nickname,
            text=text(author.get("signature")), url=profile.url,
            followers=count(author_stats.get("followerCount")), fields=profile_fields,
            aliases=user_id_alias(author.get("id")),
        ))
    captures.append(Capture(
        item=video, status=Status.AVAILABLE, parent=profile, observed_at=observed, text=body, url=video.url,
        likes=stat("diggCount"), created_at=from_unix(data["createTime"]) if data.get("createTime") else None,
        fields=fields,
    ))
    return captures


# --- Instagram ----------------------------------------------------------------------------------

MEDIA_TYPES = {1: "photo", 2: "video", 8: "carousel"}
GRAPH_TYPES = {"GraphImage": "photo", "GraphVideo": "video", "GraphSidecar": "carousel"}
POLARIS_TYPES = {"XIGPolarisPhotoMedia": "photo", "XIGPolarisImageMedia": "photo",
                 "XIGPolarisVideoMedia": "video", "XIGPolarisCarouselMedia": "carousel"}


def _ig_author(data: dict[str, Any]) -> dict[str, Any]:
    """`owner` and `user` merged (`user` wins); two different usernames mean a record we cannot place."""
    user, owner = mapping(data.get("user")), mapping(data.get("owner"))
    if user.get("username") and owner.get("username") and user["username"] != owner["username"]:
        raise ShapeError("owner-mismatch", "Instagram post whose `user` and `owner` are different accounts")
    return {**owner, **{k: v for k, v in user.items() if v is not None}}


def map_instagram(data: dict[str, Any], observed: str | None) -> list[Capture]:
    """An Instagram post (any of the graph, item-list and Polaris shapes), with its author's profile."""
    link = data.get("link")
    if data.get("product_type") == "ad" or (isinstance(link, str) and link.startswith("https://www.facebook.com/ads/ig_redirect")):
        raise ShapeError("instagram-ad", "an ad shown in the feed, not a post")
    typename = data.get("__typename") if isinstance(data.get("__typename"), str) else ""
    graph = typename.startswith("Graph")
    code = data.get("shortcode") if graph else data.get("code")
    if not isinstance(code, str) or not instagram.SHORTCODE.match(code):
        raise ShapeError("no-shortcode", "Instagram item without a shortcode (`code`)")
    author = _ig_author(data)
    username = text(author.get("username"))
    if graph:
        caption = text(dig(data, "edge_media_to_caption", "edges", 0, "node", "text"))
        created = data.get("taken_at_timestamp")
        likes = count(dig(data, "edge_media_preview_like", "count") or dig(data, "edge_liked_by", "count"))
        comments = count(dig(data, "edge_media_preview_comment", "count") or dig(data, "edge_media_to_comment", "count"))
        media_type = GRAPH_TYPES.get(typename)
        usertags = [dig(e, "node", "user", "username") for e in listed(dig(data, "edge_media_to_tagged_user", "edges"))]
    else:
        caption = text(dig(data, "caption", "text"))
        created = data.get("taken_at")
        likes = count(data.get("like_count"))
        comments = count(data.get("comment_count"))
        if comments is None and isinstance(data.get("comments"), list) and "polaris" not in typename.lower():
            comments = len(data["comments"])
        media_type = POLARIS_TYPES.get(typename) or MEDIA_TYPES.get(count(data.get("media_type")) or 0)
        usertags = [dig(t, "user", "username") for t in listed(dig(data, "usertags", "in"))]
    if data.get("like_and_view_counts_disabled"):
        likes = None  # Instagram sends a made-up small number when likes are hidden
    plays = next((count(data.get(k)) for k in ("view_count", "play_count", "video_view_count", "ig_play_count")
                  if count(data.get(k)) is not None), None)
    profile = instagram.profile_ref(username) if username and instagram.USERNAME.match(username) else None
    post = instagram.post_ref(code)
    author_id = text(str(author.get("id") or author.get("pk") or "")) or (
        data["id"].split("_", 1)[1] if isinstance(data.get("id"), str) and "_" in data["id"] else None)
    captures = []
    if profile is not None:
        captures.append(Capture(
            item=profile, status=Status.AVAILABLE, observed_at=observed, name=text(author.get("full_name")),
            url=profile.url,
            followers=count(author.get("follower_count")) if count(author.get("follower_count")) is not None
            else count(dig(author, "edge_followed_by", "count")),
            fields=present({
                "user_id": author_id,
                "verified": author.get("is_verified") if isinstance(author.get("is_verified"), bool) else None,
                "private": author.get("is_private") if isinstance(author.get("is_private"), bool) else None,
            }),
            aliases=user_id_alias(author_id),
        ))
    captures.append(Capture(
        item=post, status=Status.AVAILABLE, parent=profile, observed_at=observed, text=caption, url=post.url,
        likes=likes, created_at=from_unix(created) if count(created) else None,
        fields=present({
            "shortcode": code,
            "media_id": text(str(data.get("pk") or "")),
            "author": username,
            "author_id": author_id,
            "media_type": media_type,
            "product_type": text(data.get("product_type")),
            "comment_count": comments,
            "play_count": plays,
            "hashtags": unique(HASHTAG.findall(caption or "")),
            "usertags": unique(usertags),
            "location": text(dig(data, "location", "name")),
            "carousel_count": count(data.get("carousel_media_count")),
        }),
    ))
    return captures


# --- Facebook -----------------------------------------------------------------------------------

TIMESTAMP_STRATEGY = "CometFeedStoryMinimizedTimestampStrategy"


def map_facebook(data: dict[str, Any], observed: str | None) -> list[Capture]:
    """A Facebook post (a GraphQL `Story` with `comet_sections`), with its page or group as parent."""
    if data.get("__typename") != "Story" or not isinstance(data.get("comet_sections"), dict):
        raise ShapeError("not-a-story", "Facebook object that is not a `Story` with `comet_sections`")
    story = mapping(dig(data, "comet_sections", "content", "story"))
    metadata = listed(dig(data, "comet_sections", "context_layout", "story", "comet_sections", "metadata"))
    timing = mapping(next((m.get("story") for m in metadata
                           if isinstance(m, dict) and m.get("__typename") == TIMESTAMP_STRATEGY), None))
    www_url = text(story.get("wwwURL")) or text(timing.get("url")) or text(data.get("url"))
    actor = mapping(dig(story, "actors", 0))
    platform = facebook.Facebook()

    # In a group the actor is a member: the group is the post's parent, the actor its author.
    parent = next((ref for u in (timing.get("url"), www_url) if isinstance(u, str)
                   for ref in [platform.parent_of(u)] if ref is not None and ref.kind == Kind.GROUP), None)
    parent_name, actor_ref = None, None
    if parent is None:
        actor_id = str(actor.get("id") or "")
        actor_ref = platform.identify(actor["url"]) if text(actor.get("url")) else None
        if actor_id.isdigit():
            parent = ItemRef("facebook", Kind.PAGE, actor_id,
                             actor_ref.url if actor_ref is not None and actor_ref.kind == Kind.PAGE else f"{facebook.BASE}/{actor_id}")
        elif actor_ref is not None and actor_ref.kind == Kind.PAGE:
            parent = actor_ref
        parent_name = text(actor.get("name"))

    post_id = str(story.get("post_id") or data.get("post_id") or "")
    if facebook.POST_ID.match(post_id):
        post = facebook.post_ref(post_id, parent)
    else:
        from_url = platform.identify(www_url) if www_url else None
        if from_url is None or from_url.kind not in {Kind.POST, Kind.VIDEO}:
            raise ShapeError("no-post-id", "Facebook story without a `post_id` or a post URL")
        post = from_url
    attachments = [a for a in listed(story.get("attachments")) if isinstance(a, dict)]
    captures = []
    if parent is not None:
        # A page keyed by the actor's number whose URL names it by vanity: both keys are the page.
        vanity = actor_ref.key if actor_ref is not None and actor_ref.kind == parent.kind else None
        captures.append(Capture(item=parent, status=Status.AVAILABLE, observed_at=observed, name=parent_name,
                                url=parent.url, aliases=(vanity,) if vanity and vanity != parent.key else ()))
    captures.append(Capture(
        item=post, status=Status.AVAILABLE, parent=parent, observed_at=observed,
        text=text(dig(story, "message", "text")), url=www_url or post.url,
        created_at=from_unix(timing["creation_time"]) if count(timing.get("creation_time")) else None,
        fields=present({
            "post_id": post_id or None,
            "author": text(actor.get("name")),
            "author_id": text(str(actor.get("id") or "")),
            "author_url": text(actor.get("url")),
            "author_type": text(actor.get("__typename")),
            "photos": unique([str(dig(a, "target", "id") or "") for a in attachments
                              if dig(a, "target", "__typename") == "Photo"]),
            "links": unique([dig(a, "url") for a in attachments] + [dig(a, "target", "url") for a in attachments]),
        }),
    ))
    return captures


MAPPERS: dict[str, Callable[[dict[str, Any], str | None], list[Capture]]] = {
    "tiktok.com": map_tiktok,
    "instagram.com": map_instagram,
    "facebook.com": map_facebook,
}
