"""Facebook "Download Your Information" JSON: posts, group posts, group membership, comments.

DYI files carry no post ids or URLs: posts and comments are keyed `dyi:<hash>` of what identifies
them in the file (time, title, text), so importing the same export twice finds the same items.
Groups are keyed by their name (`name:<group>`): DYI gives no group ids. Every string in a
DYI file is UTF-8 mis-escaped as Latin-1 code points ("tilf\\u00c3\\u00b8jet"); `repair` undoes that.
The account holder's own activity says nothing of what the public sees, so captures carry no status.
File layouts changed over the years, so files are recognised by their root keys, not their paths.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ijson

from toolkit.dates import from_unix
from toolkit.errors import InputError
from toolkit.models import Capture, ItemRef, Kind
from toolkit.safeio import MB, JsonGuard
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

# Root key -> what its entries are. Newer exports drop the _v2 suffix on some of them.
ROOT_KEYS = {
    "group_posts_v2": "group_post", "group_posts": "group_post",
    "groups_joined_v2": "membership", "groups_joined": "membership",
    "groups_admined_v2": "admin", "groups_admined": "admin",
    "comments_v2": "comment", "comments": "comment",
}
ROOT = re.compile(r'^\s*\{\s*"(' + "|".join(ROOT_KEYS) + r')"\s*:')
POSTS_ARRAY = re.compile(r'^\s*\[\s*\{\s*"(?:timestamp|attachments|data|title)"')


def repair(text: str) -> str:
    """Undo DYI's mojibake (UTF-8 bytes shown as Latin-1); text that is not mojibake is returned as is."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def repair_all(value: Any) -> Any:
    """`repair` applied to every string in a JSON value."""
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, list):
        return [repair_all(v) for v in value]
    if isinstance(value, dict):
        return {repair(k): repair_all(v) for k, v in value.items()}
    return value


@register
class FacebookDyi(Importer):
    name = "facebook-dyi"
    version = "1"
    description = "Facebook Download Your Information JSON: posts, group posts, group membership, comments"
    priority = 60

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head[:4096])
        if ROOT.match(text):
            return True
        # Your posts: a bare array of {timestamp, data, attachments, title}; name checked too,
        # since other exports are also arrays of objects.
        return bool(POSTS_ARRAY.match(text)) and "post" in path.name.lower() and '"timestamp"' in text

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            head = head_text(binary.peek(4096)[:4096])
            match = ROOT.match(head)
            prefix, what = (f"{match.group(1)}.item", ROOT_KEYS[match.group(1)]) if match else ("item", "post")
            guard = JsonGuard(binary, str(path))
            try:
                for entry in ijson.items(guard, prefix, use_float=True, buf_size=MB):
                    guard.record()
                    if isinstance(entry, dict):
                        yield None, {"what": what, "entry": entry}
            except ijson.JSONError as exc:
                raise InputError(str(path), f"broken JSON ({exc})", "Download the export again; the file looks cut off") from exc
            if guard.cut:
                ctx.note(f"{guard.cut} string(s) longer than {guard.max_string:,} bytes cut to that size")

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        entry = repair_all(raw["entry"])
        what = raw["what"]
        if what in {"membership", "admin"}:
            return _membership(entry, what)
        if what == "comment":
            return _comment(entry)
        return _post(entry, what)


def _key(*parts: Any) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"dyi:{digest[:20]}"


def _group_ref(name: str) -> ItemRef:
    return ItemRef("facebook", Kind.GROUP, "name:" + " ".join(name.split()), None)


def _membership(entry: dict[str, Any], what: str) -> list[Capture]:
    names = [d.get("name") for d in entry.get("data") or [] if isinstance(d, dict) and d.get("name")]
    if not names:
        # "You left group X" entries name the group only inside a localised sentence.
        raise MapError("no-group-name", f"membership entry without a group name: {entry.get('title', '')[:80]!r}")
    fields = {"membership": "admin" if what == "admin" else "joined", "title": entry.get("title"),
              "membership_at": from_unix(entry["timestamp"]) if entry.get("timestamp") else None}
    return [Capture(item=_group_ref(name), status=None, name=name,
                    fields={k: v for k, v in fields.items() if v}, raw=entry) for name in names]


def _attachments(entry: dict[str, Any]) -> tuple[list[str], list[str]]:
    urls, media = [], []
    for attachment in entry.get("attachments") or []:
        for data in attachment.get("data") or [] if isinstance(attachment, dict) else []:
            if not isinstance(data, dict):
                continue
            context = data.get("external_context")
            if isinstance(context, dict) and context.get("url"):
                urls.append(context["url"])
            item = data.get("media")
            if isinstance(item, dict) and item.get("uri"):
                media.append(item["uri"])
    return urls, media


def _post(entry: dict[str, Any], what: str) -> list[Capture]:
    texts = [d["post"] for d in entry.get("data") or [] if isinstance(d, dict) and isinstance(d.get("post"), str)]
    text = "\n\n".join(t for t in texts if t.strip()) or None
    title = entry.get("title")
    stamp = entry.get("timestamp")
    if stamp is None and not text:
        raise MapError("empty-post", "post entry with neither time nor text")
    # A link attached to a post is what the post shares, not where it was posted: no parent.
    urls, media = _attachments(entry)
    fields = {"dyi_type": what, "title": title, "links": urls, "media": media}
    capture = Capture(item=ItemRef("facebook", Kind.POST, _key(what, stamp, title, text), None), status=None,
                      text=text, created_at=from_unix(stamp) if stamp is not None else None,
                      fields={k: v for k, v in fields.items() if v}, raw=entry)
    return [capture]


def _comment(entry: dict[str, Any]) -> list[Capture]:
    captures = []
    for data in entry.get("data") or []:
        comment = data.get("comment") if isinstance(data, dict) else None
        if not isinstance(comment, dict) or not comment.get("comment"):
            continue
        stamp = comment.get("timestamp", entry.get("timestamp"))
        fields = {"dyi_type": "comment", "title": entry.get("title"), "author": comment.get("author"),
                  "group": comment.get("group")}
        captures.append(Capture(
            item=ItemRef("facebook", Kind.POST, _key("comment", stamp, comment.get("author"), comment["comment"]), None),
            status=None, parent=_group_ref(comment["group"]) if comment.get("group") else None,
            text=comment["comment"], created_at=from_unix(stamp) if stamp is not None else None,
            fields={k: v for k, v in fields.items() if v}, raw=entry))
    if not captures:
        raise MapError("comment-without-text", "comment entry with no comment text (e.g. a deleted comment)")
    return captures
