"""CrowdTangle API JSON: answers of `/posts`, `/post/:id`, `/links` and `/posts/search`, as saved.

Accepted shapes: the envelope `{"status": 200, "result": {"posts": [...]}}`, a bare post object, a
list of posts, or a list of envelopes (several pages of results saved together). Each post becomes
a capture of the post item with its account (page, group or Instagram account) as parent; the
account gets a capture when its name or audience differs from the last one this file gave.

The API's answer for a post it no longer has, `{"status": 200, "notes": "Post not found"}`, becomes
an `unavailable` capture of that post when the file says which post was asked for (a `request`,
`postId`, `platformId`, `postUrl`, `url` or `link` key beside it, or a file named after the post,
`<pageid>_<postid>.json` or `<postid>.json`); otherwise it is a per-file note.

Files up to `WHOLE_LIMIT` bytes are parsed at once (orjson); larger ones are streamed post by post
(ijson), so memory stays flat whatever the size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ijson
import orjson

from toolkit.errors import InputError
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms import identify
from toolkit.safeio import MB, JsonGuard, check_json
from toolkit.sources._crowdtangle import (
    FB,
    facebook_account,
    facebook_aliases,
    facebook_post,
    instagram_account,
    instagram_post,
    last_segment,
    user_id_alias,
)
from toolkit.sources._text import looks_binary
from toolkit.sources.base import HEAD_BYTES, Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

WHOLE_LIMIT = 8 << 20  # parsed whole below this (objects take ~5-10x the bytes), streamed above
NOT_FOUND = re.compile(r'^\s*[\[{].*"status"\s*:\s*\d+.*"notes"\s*:', re.S)
POST_KEYS = ("platformId", "postUrl", "subscriberCount", "statistics", "expandedLinks")
REQUEST_KEYS = ("request", "postId", "platformId", "postUrl", "url", "link")
POST_NAME = re.compile(r"^(?:(\d+)_)?(\d{6,}|pfbid[0-9A-Za-z]+)$")
ACCOUNT_MEMORY = 100_000
STATISTICS = ("likeCount", "shareCount", "commentCount", "loveCount", "wowCount", "hahaCount", "sadCount",
              "angryCount", "thankfulCount", "careCount", "favoriteCount")
POST_TEXTS = {"type": "type", "title": "title", "caption": "caption", "description": "description", "link": "link",
              "imageText": "image_text", "languageCode": "language", "liveVideoStatus": "live_video_status",
              "updated": "updated", "id": "ct_id", "Id": "ct_id"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()


def api_time(text: Any) -> str | None:
    """ISO UTC from the API's "YYYY-MM-DD HH:MM:SS" (UTC by the API's definition)."""
    if not isinstance(text, str) or len(text) < 19 or text[4] != "-" or text[13] != ":":
        return None
    return text[:10] + "T" + text[11:19] + "Z"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def account_ref(post: dict[str, Any]) -> ItemRef | None:
    """The page, group or Instagram account a post belongs to, from its account and ids."""
    account = post.get("account") if isinstance(post.get("account"), dict) else {}
    kind = str(account.get("accountType") or "")
    platform = str(post.get("platform") or account.get("platform") or "").lower()
    if platform == "instagram" or kind.startswith("instagram"):
        handle = account.get("handle")
        return instagram_account(str(handle)) if handle else None
    # The id in the post's own platformId (<owner>_<post>) is the one in its URL and in dashboard
    # CSVs' Facebook Id; the account's platformId can be a newer id of the same page.
    owner = str(post.get("platformId") or "").partition("_")
    page_id = owner[0] if owner[1] else str(account.get("platformId") or "")
    if not page_id:
        return None
    if kind == "facebook_profile":
        return ItemRef("facebook", Kind.PROFILE, page_id, f"{FB}/profile.php?id={page_id}")
    return facebook_account(page_id, kind == "facebook_group")


def post_ref(post: dict[str, Any], account: ItemRef | None) -> ItemRef:
    url = str(post.get("postUrl") or "")
    if account is not None and account.platform == "instagram":
        ref = instagram_post(url)
        if ref is None:
            raise MapError("bad-post-url", f"no Instagram post in postUrl {url[:80]!r}")
        return ref
    platform_id = str(post.get("platformId") or "")
    post_id = platform_id.rpartition("_")[2] or (last_segment(url) if url else None)
    if not post_id:
        raise MapError("no-post-id", "post has neither platformId nor postUrl")
    return facebook_post(post_id, account)


def requested_post(doc: dict[str, Any], path: Path) -> ItemRef | None:
    """The post a "Post not found" answer was about, when the file or its name says."""
    for key in REQUEST_KEYS:
        value = doc.get(key)
        if isinstance(value, (str, int)) and str(value).strip():
            text = str(value).strip()
            if "/" in text:
                ref = identify(text)
                if ref.kind in {Kind.POST, Kind.VIDEO}:
                    return ref
            elif match := POST_NAME.match(text):
                return _post_from_ids(match.group(1), match.group(2))
    if match := POST_NAME.match(path.stem):
        return _post_from_ids(match.group(1), match.group(2))
    return None


def _post_from_ids(owner: str | None, post_id: str) -> ItemRef:
    url = f"{FB}/permalink.php?story_fbid={post_id}&id={owner}" if owner else None
    return ItemRef("facebook", Kind.POST, post_id, url)


@register
class CrowdTangleApi(Importer):
    name = "crowdtangle-api"
    version = "1"
    description = "CrowdTangle API JSON: /posts, /post/:id, /links answers (envelope, post, or list), 'Post not found'"
    priority = 60

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        text = head_text(head).lstrip()
        if not text.startswith(("{", "[")):
            return False
        if sum(f'"{key}"' in text for key in POST_KEYS) >= 2:
            return True
        # A bare API answer without posts is small: the whole file is in the head, and it is an
        # object (or a list of them) with a numeric status and notes, as CrowdTangle writes it.
        if len(head) >= HEAD_BYTES or not NOT_FOUND.match(text):
            return False
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        docs = doc if isinstance(doc, list) else [doc]
        return bool(docs) and all(isinstance(d, dict) and isinstance(d.get("status"), int) and "notes" in d
                                  for d in docs)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        accounts: dict[str, tuple[Any, ...]] = {}
        for item in self._documents(path, ctx):
            yield from self._records(item, path, ctx, accounts)

    def _documents(self, path: Path, ctx: ReadContext) -> Iterator[Any]:
        """The top-level document, or for a large file its posts (or list elements) one by one."""
        with ctx.open_binary() as binary:
            head = binary.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
            size = path.stat().st_size
            try:
                if size <= WHOLE_LIMIT:
                    data = binary.read(WHOLE_LIMIT + 1)
                    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
                    check_json(data, str(path))
                    yield orjson.loads(data)
                    return
                prefix = "item" if head.startswith(b"[") else "result.posts.item"
                guard = JsonGuard(binary, str(path))
                for post in ijson.items(guard, prefix, use_float=True, buf_size=MB):
                    guard.record()
                    yield post
                if guard.cut:
                    ctx.note(f"{guard.cut} string(s) longer than {guard.max_string:,} bytes cut to that size")
            except orjson.JSONDecodeError as exc:
                raise InputError(str(path), f"not valid JSON ({exc.msg}, column {exc.colno})",
                                 "The file may be cut off or edited; save the API answer again", line=exc.lineno) from exc
            except ijson.JSONError as exc:
                raise InputError(str(path), f"not valid JSON ({exc})",
                                 "The file may be cut off or edited; save the API answer again") from exc

    def _records(self, doc: Any, path: Path, ctx: ReadContext, accounts: dict) -> Iterator[tuple[int | None, Any]]:
        if isinstance(doc, list):
            for element in doc:
                yield from self._records(element, path, ctx, accounts)
            return
        if not isinstance(doc, dict):
            ctx.fail("not-an-object", f"expected a post object, found {type(doc).__name__}")
            return
        result = doc.get("result")
        if isinstance(result, dict):
            posts = result.get("posts")
            if isinstance(posts, list):
                for post in posts:
                    yield from self._records(post, path, ctx, accounts)
            elif isinstance(result.get("post"), dict):
                yield from self._records(result["post"], path, ctx, accounts)
            else:
                ctx.note("a CrowdTangle answer without posts (keys: " + ", ".join(sorted(result)) + ")")
            return
        if any(key in doc for key in ("platformId", "postUrl")):
            account = doc.get("account") if isinstance(doc.get("account"), dict) else {}
            key = f"{account.get('platformId')}|{account.get('handle')}"
            state = (account.get("name"), account.get("subscriberCount"))
            emit = bool(account) and accounts.get(key) != state
            if emit:
                if len(accounts) >= ACCOUNT_MEMORY:
                    accounts.clear()
                accounts[key] = state
            yield None, ("post", doc, emit)
            return
        if "notes" in doc or "status" in doc:
            notes = str(doc.get("notes") or doc.get("message") or f"status {doc.get('status')}")
            ref = requested_post(doc, path) if "not found" in notes.lower() else None
            if ref is not None:
                yield None, ("missing", doc, ref)
            else:
                ctx.note(f"CrowdTangle answered {notes!r}" + (" without saying which post was asked for; name the "
                         "file after the post (<pageid>_<postid>.json) to record it as unavailable"
                         if "not found" in notes.lower() else ""))
            return
        ctx.fail("not-a-post", "an object that is neither a post nor a CrowdTangle answer (keys: "
                 + ", ".join(sorted(doc)[:8]) + ")")

    def map(self, raw: tuple[str, dict[str, Any], Any]) -> Iterable[Capture]:
        kind, doc, extra = raw
        if kind == "missing":
            return [Capture(item=extra, status=Status.UNAVAILABLE, status_marker=str(doc.get("notes")),
                            status_place="api:notes", url=extra.url, raw=doc)]
        account = account_ref(doc)
        post = post_ref(doc, account)
        captures = []
        if extra and account is not None:
            captures.append(self._account_capture(doc["account"], account))
        fields: dict[str, Any] = {}
        for key, name in POST_TEXTS.items():
            value = doc.get(key)
            if value not in (None, ""):
                fields[name] = value
        stats = doc.get("statistics")
        actual = stats.get("actual") if isinstance(stats, dict) else None
        likes = None
        if isinstance(actual, dict):
            for key in STATISTICS:
                if (value := _int(actual.get(key))) is not None:
                    fields[_snake(key)] = value
            likes = _int(actual.get("likeCount"))
            if likes is None:
                likes = _int(actual.get("favoriteCount"))
        for key, name in (("score", "score"), ("subscriberCount", "followers_at_posting"),
                          ("videoLengthMS", "video_length_ms")):
            if isinstance(doc.get(key), (int, float)) and not isinstance(doc.get(key), bool):
                fields[name] = doc[key]
        links = doc.get("expandedLinks")
        if isinstance(links, list):
            expanded = [link.get("expanded") or link.get("original") for link in links if isinstance(link, dict)]
            if expanded := [link for link in expanded if link]:
                fields["expanded_links"] = expanded
        media = doc.get("media")
        if isinstance(media, list):
            urls = [m.get("full") or m.get("url") for m in media if isinstance(m, dict)]
            if urls := [u for u in urls if u]:
                fields["media"] = urls
        captures.append(Capture(item=post, status=Status.AVAILABLE, parent=account,
                                text=doc.get("message") or doc.get("description") or None,
                                url=doc.get("postUrl") or post.url, likes=likes, created_at=api_time(doc.get("date")),
                                fields=fields, raw=doc))
        return captures

    def _account_capture(self, account: dict[str, Any], ref: ItemRef) -> Capture:
        """The account as the API shows it when the answer was saved (subscriberCount is current)."""
        fields = {name: account[key] for key, name in (
            ("handle", "handle"), ("pageCategory", "category"), ("accountType", "account_type"),
            ("verified", "verified"), ("id", "ct_account_id"), ("platformId", "account_platform_id"),
            ("url", "account_url"), ("profileImage", "profile_image"),
        ) if account.get(key) not in (None, "")}
        audience = _int(account.get("subscriberCount"))
        group = ref.kind == Kind.GROUP
        if ref.platform == "instagram":
            aliases = user_id_alias(account.get("platformId"))
        else:
            # The handle is the vanity name URLs carry; the account's own platformId can be a newer
            # id of the page than the one in the post's platformId.
            number = str(account.get("platformId") or "")
            aliases = facebook_aliases(ref, account.get("handle")) + (
                (number,) if number.isdigit() and number != ref.key else ())
        return Capture(item=ref, status=Status.AVAILABLE, name=account.get("name") or None, aliases=aliases,
                       text=account.get("pageDescription") or None, url=ref.url,
                       followers=None if group else audience, members=audience if group else None,
                       created_at=api_time(account.get("pageCreatedDate")),
                       country=account.get("pageAdminTopCountry") or None, fields=fields)
