"""Meta Content Library exports (CSV from the UI, JSON from the API), read by their column names.

MCL flattens nested fields into dotted column names (`post_owner.name`, `statistics.views`); the
API's JSON nests them (`post_owner: {data: {...}}`). Both are flattened to the same dotted names
here, so one mapping serves both and columns may come in any order or be missing. Each record
gives the post and, when the export names it, the page, group or account that posted it.
Everything in MCL was public when it was collected, so captures are `available`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ijson

from toolkit.dates import from_unix, parse_iso, to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms import identify
from toolkit.safeio import MB, JsonGuard
from toolkit.sources._text import UnreadDates, csv_rows, looks_binary, repeated_header, rounded_id, sniff_delimiter
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

# Column names that only MCL uses: two of them in a header (or JSON head) identify the format.
SIGNATURE = ("post_owner.", "statistics.", "mcl_url", "creation_time", "view_date_last_refreshed")
URL_COLUMNS = ("url", "post_url", "link", "mcl_url")
OWNER_KINDS = {"page": Kind.PAGE, "group": Kind.GROUP, "profile": Kind.PROFILE, "user": Kind.PROFILE,
               "business": Kind.PROFILE, "creator": Kind.PROFILE, "personal": Kind.PROFILE}
INSTAGRAM_OWNERS = frozenset({"business", "creator", "personal"})
COUNTS = ("like_count", "reaction_count", "comment_count", "share_count", "views", "love_count", "wow_count",
          "haha_count", "sad_count", "angry_count", "care_count")
NUMBER = re.compile(r"^-?\d[\d,.\s]*$")


def _signature_hits(text: str) -> int:
    return sum(1 for mark in SIGNATURE if mark in text)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys; the API's `post_owner.data.x` is MCL's `post_owner.x`."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            inner = flatten(value, name + ".")
            for inner_key, inner_value in inner.items():
                flat[inner_key.replace(".data.", ".", 1) if inner_key.startswith(name + ".data.") else inner_key] = inner_value
        else:
            flat[name] = value
    return flat


@register
class MetaContentLibrary(Importer):
    name = "mcl"
    version = "1"
    description = "Meta Content Library CSV or JSON (dotted columns such as post_owner.name, statistics.views)"
    priority = 60

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        text = head_text(head)
        stripped = text.lstrip()
        if stripped.startswith(("[", "{")):
            return '"creation_time"' in text and ('"post_owner"' in text or '"statistics"' in text)
        first = stripped.split("\n", 1)[0].lower()
        columns = [c.strip().strip('"') for c in first.split(sniff_delimiter(first))]
        return "id" in columns and _signature_hits(first) >= 2

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            first = binary.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
            if first.startswith((b"[", b"{")):
                yield from _json_records(binary, path, first.startswith(b"{"), ctx)
                return
            text = head_text(binary.peek(65536)[:65536])
            rows = csv_rows(binary, path, sniff_delimiter(text))
            try:
                _, header = next(rows)
            except StopIteration:
                return
            header = [h.strip().lower() for h in header]
            when = header.index("creation_time") if "creation_time" in header else None
            unread = UnreadDates("an ISO date or Unix time")
            for number, row in rows:
                if not any(cell.strip() for cell in row):
                    continue
                if row[-1].strip().lower() == header[-1] and repeated_header(row, header, ctx, number):
                    continue  # not a post named "text"
                if len(row) != len(header):
                    ctx.fail("wrong-cell-count", f"{len(row)} cells for {len(header)} columns", number)
                    continue
                if when is not None and (value := row[when].strip()) and _when(value) is None:
                    # A spreadsheet that saved the file again wrote its own form ("11/04/2021 08:00",
                    # day or month first): left empty, never guessed, and said.
                    unread.see("creation_time", value, number)
                yield number, dict(zip(header, row, strict=True))
            unread.report(ctx)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return map_record(flatten(raw) if any(isinstance(v, dict) for v in raw.values()) else raw)


def _json_records(binary, path: Path, is_object: bool, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
    # The API wraps results as {"data": [...]}; saved UI JSON is a bare array.
    prefix = "data.item" if is_object else "item"
    guard = JsonGuard(binary, str(path))
    try:
        for record in ijson.items(guard, prefix, use_float=True, buf_size=MB):
            guard.record()
            if isinstance(record, dict):
                yield None, record
    except ijson.JSONError as exc:
        raise InputError(str(path), f"broken JSON ({exc})", "Download the export again; the file looks cut off") from exc
    if guard.cut:
        ctx.note(f"{guard.cut} string(s) longer than {guard.max_string:,} bytes cut to that size")


def _text(raw: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = raw.get(key)
        if value is not None and str(value).strip() not in ("", "null", "None"):
            return str(value).strip()
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value or "").strip()
    if not text or not NUMBER.match(text):
        return None
    digits = re.sub(r"[^\d]", "", text.split(".")[0] if re.match(r"^\d+\.\d{1,2}$", text) else text)
    return int(digits) if digits else None


def _when(value: str | None) -> str | None:
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return from_unix(value)
    # The API writes offsets as +0000, which fromisoformat reads; a bare date is midnight UTC.
    moment = parse_iso(value.replace(" ", "T", 1) if re.match(r"^\d{4}-\d\d-\d\d \d", value) else value)
    return to_utc_iso(moment) if moment is not None else None


def _platform(raw: dict[str, Any], url: str | None) -> str:
    declared = (_text(raw, "platform") or "").lower()
    if "instagram" in declared:
        return "instagram"
    if "facebook" in declared:
        return "facebook"
    if url and "instagram.com" in url:
        return "instagram"
    owner_type = (_text(raw, "post_owner.type") or "").lower()
    return "instagram" if owner_type in INSTAGRAM_OWNERS else "facebook"


def map_record(raw: dict[str, Any]) -> list[Capture]:
    """The owner (when named) and the post of one MCL record."""
    for column in ("id", "post_id", "post_owner.id"):
        if (value := raw.get(column)) and isinstance(value, str) and (why := rounded_id(value)):
            # Keyed by it, distinct posts or owners would become one item.
            raise MapError("rounded-id", f"{column} {why}")
    post_id = _text(raw, "id", "post_id")
    urls = [u for u in (_text(raw, c) for c in URL_COLUMNS) if u]
    platform_url = next((u for u in urls if re.search(r"(?:facebook|instagram)\.com/", u)), None)
    platform = _platform(raw, platform_url)
    post_ref = identify(platform_url, platform) if platform_url else None
    if post_ref is None or post_ref.kind not in {Kind.POST, Kind.VIDEO}:
        if not post_id:
            raise MapError("no-post-id", "record has neither an id nor a post URL")
        post_ref = ItemRef(platform, Kind.POST, post_id, platform_url)
    owner = _owner(raw, platform)
    fields: dict[str, Any] = {}
    for name in COUNTS:
        value = _count(raw.get(f"statistics.{name}"))
        if value is not None:
            fields[name] = value
    for key in ("lang", "media_type", "content_type", "hashtags", "is_branded_content", "shared_post_id",
                "modified_time", "link_attachment_fields.link", "link_attachment_fields.name", "mcl_url", "id"):
        value = _text(raw, key)
        if value is not None:
            fields["mcl_id" if key == "id" else key] = value
    post = Capture(item=post_ref, status=Status.AVAILABLE, parent=owner.item if owner else None,
                   text=_text(raw, "text", "message"), url=platform_url or post_ref.url,
                   created_at=_when(_text(raw, "creation_time")),
                   likes=fields.get("like_count", fields.get("reaction_count")), fields=fields, raw=raw)
    return [owner, post] if owner else [post]


def _owner(raw: dict[str, Any], platform: str) -> Capture | None:
    owner_id = _text(raw, "post_owner.id")
    username = _text(raw, "post_owner.username")
    name = _text(raw, "post_owner.name")
    if not (owner_id or username):
        return None
    owner_type = (_text(raw, "post_owner.type") or "").lower()
    kind = OWNER_KINDS.get(owner_type, Kind.PROFILE if platform == "instagram" else Kind.PAGE)
    if platform == "instagram":
        ref = identify(f"https://www.instagram.com/{username}/", "instagram") if username else None
        if ref is None or ref.platform != "instagram" or ref.kind != Kind.PROFILE:
            ref = ItemRef("instagram", Kind.PROFILE, owner_id or (username or "").lower(), None)
    elif kind == Kind.GROUP:
        key = owner_id or (username or "").lower()
        ref = ItemRef("facebook", Kind.GROUP, key, f"https://www.facebook.com/groups/{key}")
    else:
        key = owner_id or (username or "").lower()
        ref = ItemRef("facebook", kind, key, f"https://www.facebook.com/{username or key}")
    fields = {"owner_type": owner_type} if owner_type else {}
    if username:
        fields["username"] = username
    if owner_id and ref.key != owner_id:
        fields["platform_id"] = owner_id
    followers = _count(raw.get("post_owner.followers_count") or raw.get("post_owner.follower_count"))
    return Capture(item=ref, status=Status.AVAILABLE, name=name, url=ref.url, followers=followers, fields=fields)
