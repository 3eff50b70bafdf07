"""What the Telegram Desktop JSON and HTML exports share: chat identity and message captures.

Both exports name a chat by its title; only the JSON gives its numeric id and type, and neither
gives the public @username. So a chat exported from Telegram Desktop is keyed by its title
(`name:<title>`, whitespace collapsed, Unicode NFC), which both formats carry, and the numeric id is
kept in the capture's fields. A message is keyed `<chat key>/<message id>`: the JSON and the HTML
export of the same channel give the same items.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from toolkit.models import Capture, ItemRef, Kind, Status

PLATFORM = "telegram"
KIND_BY_TYPE = {
    "public_channel": Kind.CHANNEL,
    "private_channel": Kind.CHANNEL,
    "public_supergroup": Kind.GROUP,
    "private_supergroup": Kind.GROUP,
    "private_group": Kind.GROUP,
}
# One-to-one conversations of the account holder: private, not public content, never imported.
PRIVATE_TYPES = frozenset({"personal_chat", "bot_chat", "saved_messages", "private_chat", "replies",
                           "verification_codes"})
# The stand-in text tdesktop writes when a media file was not downloaded: not a path to keep.
NOT_INCLUDED = re.compile(r"^\((?:File not included|File exceeds maximum size)", re.I)
WHITESPACE = re.compile(r"\s+")
LINK = re.compile(r"https?://[^\s<>\"')\]]+", re.I)


def chat_key(name: str) -> str:
    """The key of a chat from its title: the same for the JSON and the HTML export."""
    return "name:" + unicodedata.normalize("NFC", WHITESPACE.sub(" ", name).strip())


def chat_ref(name: str, kind: Kind) -> ItemRef:
    return ItemRef(PLATFORM, kind, chat_key(name), None)


def message_ref(chat: ItemRef, message_id: int) -> ItemRef:
    return ItemRef(PLATFORM, Kind.MESSAGE, f"{chat.key}/{message_id}", None)


def chat_capture(name: str, kind: Kind, *, telegram_id: int | None = None, chat_type: str | None = None,
                 kind_inferred: bool = False) -> Capture:
    """The channel or group item of an export."""
    fields: dict[str, Any] = {}
    if telegram_id is not None:
        fields["telegram_id"] = telegram_id
    if chat_type:
        fields["chat_type"] = chat_type
    if kind_inferred:
        # The HTML export does not say channel or group; the kind was read from who posts.
        fields["kind_inferred"] = True
    return Capture(item=chat_ref(name, kind), status=Status.AVAILABLE, name=name.strip(), fields=fields)


def message_capture(chat: ItemRef, message_id: int, *, text: str | None, created_at: str | None,
                    fields: dict[str, Any], raw: Any = None) -> Capture:
    """One message of a chat; absent fields are left out of `fields`."""
    clean = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    links = sorted(set(clean.pop("links", [])) | set(LINK.findall(text or "")))
    if links:
        clean["links"] = links
    return Capture(item=message_ref(chat, message_id), status=Status.AVAILABLE, parent=chat,
                   text=text or None, created_at=created_at, fields=clean, raw=raw)


def tidy_text(text: str) -> str:
    """Message text as both exports give it: outer whitespace dropped, line ends normalised."""
    return text.replace("\r\n", "\n").strip()
