"""Telegram Desktop "Export chat history" / "Export Telegram data" in JSON (`result.json`).

A single-chat export is `{name, type, id, messages: [...]}`; a full-account export holds the chats
under `chats.list` (and `left_chats.list`). The file is streamed (ijson): a channel of a million
messages is never loaded whole, and its nesting and record sizes are bounded
(`toolkit.safeio.JsonGuard`). Each chat yields its channel or group item, then one message item
per message (service events such as "pinned a message" are not messages and are skipped).
One-to-one chats (personal, bot, saved messages) are private conversations and are not imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ijson

from toolkit.dates import from_unix, parse_iso, to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Capture, Kind
from toolkit.safeio import MB, JsonGuard
from toolkit.sources import _telegram as tg
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

# Where chats sit in the two export shapes.
CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
HEAD_SHAPE = re.compile(r'"(?:messages|chats)"\s*:')
FIELDS_KEPT = ("from", "from_id", "author", "forwarded_from", "forwarded_from_id", "reply_to_message_id",
               "media_type", "mime_type", "file_name", "duration_seconds", "sticker_emoji", "via_bot")


@register
class TelegramJson(Importer):
    name = "telegram-json"
    version = "1"
    description = "Telegram Desktop export, JSON (result.json): single chat or whole account"
    priority = 80

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head).lstrip()
        if not text.startswith("{") or not HEAD_SHAPE.search(text):
            return False
        if '"personal_information"' in text or '"chats"' in text:
            return '"about"' in text or '"list"' in text or '"personal_information"' in text
        return '"type"' in text and '"name"' in text and '"id"' in text

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            guard = JsonGuard(binary, str(path))
            yield from _records(guard, path, ctx)
            if guard.cut:
                ctx.note(f"{guard.cut} string(s) longer than {guard.max_string:,} bytes cut to that size")

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        chat = raw["chat"]
        kind = tg.KIND_BY_TYPE.get(chat.get("type") or "", Kind.GROUP)
        if raw["record"] == "chat":
            return [tg.chat_capture(chat["name"], kind, telegram_id=chat.get("id"), chat_type=chat.get("type"))]
        return [_message(tg.chat_ref(chat["name"], kind), raw["message"])]


def _chat_of_message(prefix: str) -> str | None:
    """The chat prefix a `...messages.item` prefix belongs to, or None for any other prefix."""
    if prefix == "messages.item":
        return ""
    chat = prefix[: -len(".messages.item")] if prefix.endswith(".messages.item") else None
    return chat if chat in CHAT_PREFIXES else None


def _records(guard: JsonGuard, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
    """Chat records (once per chat, before its messages) and message records, streamed; each
    message is measured by the guard from its start."""
    chats: dict[str, dict[str, Any]] = {}
    announced: set[str] = set()
    skipped: list[str] = []  # the chats not imported, named
    builder: ijson.ObjectBuilder | None = None
    building_at = ""
    count = 0
    try:
        for prefix, event, value in ijson.parse(guard, use_float=True, buf_size=MB):
            if builder is not None:
                builder.event(event, value)
                if prefix == building_at and event == "end_map":
                    message = builder.value
                    builder = None
                    guard.record()
                    chat_prefix = _chat_of_message(building_at) or ""
                    chat = chats[chat_prefix]
                    if not _importable(chat):
                        continue
                    if chat_prefix not in announced:
                        announced.add(chat_prefix)
                        yield None, {"record": "chat", "chat": dict(chat)}
                    count += 1
                    if message.get("type", "message") != "message":
                        continue
                    yield None, {"record": "message", "chat": chat, "message": message}
                continue
            chat_prefix, _, tail = prefix.rpartition(".") if "." in prefix else ("", "", prefix)
            if chat_prefix in CHAT_PREFIXES and tail in {"name", "type", "id"} and event in {"string", "number"}:
                chat = chats.setdefault(chat_prefix, {})
                chat[tail] = value
            elif event == "start_map" and _chat_of_message(prefix) is not None:
                chat_prefix = _chat_of_message(prefix)
                chat = chats.setdefault(chat_prefix, {})
                if not chat.get("name"):
                    # tdesktop writes name, type and id before the messages; a chat without a
                    # name cannot be given the identity its HTML export would have.
                    chat["name"] = str(chat.get("id") or "unnamed chat")
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                guard.record()
                building_at = prefix
            elif event == "end_map" and prefix.endswith(".list.item"):
                # End of one chat in a full-account export: its slot is reused by the next chat.
                chat = chats.pop(prefix, {})
                if not _importable(chat):
                    skipped.append(_named(chat))
                elif chat.get("name") and prefix not in announced:
                    yield None, {"record": "chat", "chat": chat}
                announced.discard(prefix)
    except ijson.JSONError as exc:
        raise InputError(str(path), f"broken JSON after {count:,} messages ({exc})",
                         "Export the chat again from Telegram Desktop; the file looks cut off") from exc
    if "" in chats and "" not in announced and chats[""].get("name") and _importable(chats[""]):
        yield None, {"record": "chat", "chat": chats[""]}
    if "" in chats and not _importable(chats[""]):
        skipped.append(_named(chats[""]))
    if skipped:
        ctx.note(f"{len(skipped)} chat(s) not imported, only channels and groups are: " + ", ".join(skipped[:20])
                 + (f" and {len(skipped) - 20} more" if len(skipped) > 20 else ""))


def _importable(chat: dict[str, Any]) -> bool:
    """Channels and groups only: one-to-one chats (personal, bot, saved messages) are private
    conversations, and a type tdesktop may add later is not known to be either. A chat without a
    type (older exports) is kept."""
    kind = chat.get("type")
    return kind is None or kind in tg.KIND_BY_TYPE


def _named(chat: dict[str, Any]) -> str:
    kind = chat.get("type")
    what = "one-to-one, private" if kind in tg.PRIVATE_TYPES else "not a channel or group"
    return f"{chat.get('name') or chat.get('id') or 'unnamed chat'!r} ({kind}: {what})"


def flatten_text(text: Any) -> str:
    """The plain text of a message: `text` is a string or a list of strings and entity objects."""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in text
                       if isinstance(part, str | dict))
    return ""


def _links(message: dict[str, Any]) -> list[str]:
    links = []
    for entity in message.get("text_entities") or (message["text"] if isinstance(message.get("text"), list) else []):
        if isinstance(entity, dict):
            if entity.get("type") == "text_link" and entity.get("href"):
                links.append(str(entity["href"]))
            elif entity.get("type") == "link" and entity.get("text"):
                link = str(entity["text"])
                links.append(link if "://" in link else "https://" + link)
            elif entity.get("type") == "mention" and str(entity.get("text", "")).startswith("@"):
                # The HTML export renders a mention as a link to the public username.
                links.append("https://t.me/" + str(entity["text"])[1:])
    return links


def _when(message: dict[str, Any], unix_key: str, local_key: str) -> str | None:
    if message.get(unix_key) not in (None, ""):
        return from_unix(message[unix_key])
    # Older exports have only the local time of the exporting machine, without its offset: kept as
    # that local time without a Z (and marked as local), never passed off as UTC.
    local = parse_iso(str(message.get(local_key) or ""))
    if local is None:
        return None
    return to_utc_iso(local) if local.tzinfo is not None else local.isoformat(timespec="seconds")


def _message(chat, message: dict[str, Any]) -> Capture:
    try:
        message_id = int(message["id"])
    except (KeyError, TypeError, ValueError):
        raise MapError("no-message-id", "message without a numeric id") from None
    fields: dict[str, Any] = {key: message.get(key) for key in FIELDS_KEPT}
    if message.get("date_unixtime") in (None, "") and message.get("date"):
        fields["date_is_local_time"] = True
    fields["edited_at"] = _when(message, "edited_unixtime", "edited") if message.get("edited") else None
    if not fields["media_type"] and message.get("type") == "message":
        fields["media_type"] = "photo" if "photo" in message else "file" if "file" in message else None
    for media in ("photo", "file", "thumbnail"):
        value = message.get(media)
        if isinstance(value, str) and not tg.NOT_INCLUDED.match(value):
            fields[media] = value
        elif value:
            fields[f"{media}_not_included"] = True
    if isinstance(message.get("views"), int):
        fields["views"] = message["views"]
    reactions = [{"emoji": r.get("emoji") or r.get("document_id") or r.get("type"), "count": r.get("count")}
                 for r in message.get("reactions") or [] if isinstance(r, dict)]
    if reactions:
        fields["reactions"] = reactions
    if isinstance(message.get("poll"), dict):
        fields["poll_question"] = message["poll"].get("question")
    fields["links"] = _links(message)
    text = tg.tidy_text(flatten_text(message.get("text")))
    return tg.message_capture(chat, message_id, text=text, created_at=_when(message, "date_unixtime", "date"),
                              fields=fields, raw=message)
