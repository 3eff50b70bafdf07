"""Telegram: URL identity for public channels and groups, their messages, and invite links.

Hosts t.me, telegram.me and telegram.dog are one; `<name>.t.me` is the same channel as
`t.me/<name>`, and the web preview `t.me/s/<name>` too. Channels are keyed by the lower-cased
public name; messages by `<name>/<message id>` with their channel as parent; messages of private
channels (`t.me/c/<internal id>/<message id>`) by `c/<internal id>/<message id>`. Invite links
(`t.me/joinchat/<hash>`, `t.me/+<hash>`) are keyed `+<hash>`: the hash is case-sensitive and says
nothing of the channel's name.
"""

from __future__ import annotations

import re

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, host_of, segments, split
from toolkit.platforms.registry import register

BASE = "https://t.me"
CHANNEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,31}$")
INVITE_HASH = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# First path segments that are Telegram features, not channel names.
RESERVED = frozenset(
    {
        "s", "c", "joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "iv", "login", "setlanguage",
        "addtheme", "bg", "confirmphone", "addlist", "invoice", "contact", "giftcode", "boost", "m", "blog",
        "apps", "faq", "api", "privacy", "tos", "dl",
    }
)


def channel_ref(name: str) -> ItemRef:
    """The channel (or public group) for a public name; names are case-insensitive."""
    key = name.lower()
    return ItemRef("telegram", Kind.CHANNEL, key, f"{BASE}/{key}")


def message_ref(channel: ItemRef, message_id: str) -> ItemRef:
    return ItemRef("telegram", Kind.MESSAGE, f"{channel.key}/{message_id}", f"{BASE}/{channel.key}/{message_id}")


def invite_ref(invite_hash: str) -> ItemRef:
    return ItemRef("telegram", Kind.CHANNEL, f"+{invite_hash}", f"{BASE}/+{invite_hash}")


@register
class Telegram(Platform):
    name = "telegram"
    hosts = ("t.me", "telegram.me", "telegram.dog")

    def check_url(self, url: str) -> str:
        """A public channel's message is read from its `?embed=1` widget: the page at
        t.me/<name>/<id> is a shell built from the address alone (the widget script's
        `data-telegram-post`, an iframe) that looks the same whether the message exists or was
        deleted, while the widget shows the message, or "Post not found"."""
        ref = self.identify(url)
        if ref is None or ref.kind != Kind.MESSAGE or ref.key.startswith("c/"):
            return url
        return f"{BASE}/{ref.key}?embed=1&mode=tme"

    def parse(self, url: str) -> tuple[ItemRef | None, ItemRef | None]:
        parts = split(url)
        host = host_of(parts)
        segs = segments(parts)
        # <name>.t.me is the channel's own subdomain.
        sub = next((host[: -len(h) - 1] for h in self.hosts if host.endswith("." + h)), None)
        if sub and sub != "www" and "." not in sub:
            segs = [sub, *segs]
        if segs and segs[0] == "s":
            segs = segs[1:]
        if not segs:
            return None, None
        first = segs[0]
        if first.startswith("+") and INVITE_HASH.match(first[1:]):
            return invite_ref(first[1:]), None
        if first == "joinchat":
            return (invite_ref(segs[1]), None) if len(segs) > 1 and INVITE_HASH.match(segs[1]) else (None, None)
        if first == "c":
            if len(segs) < 2 or not segs[1].isdigit():
                return None, None
            channel = ItemRef("telegram", Kind.CHANNEL, f"c/{segs[1]}", f"{BASE}/c/{segs[1]}")
            if len(segs) > 2 and segs[2].isdigit():
                return message_ref(channel, segs[2]), channel
            return channel, None
        if first.lower() in RESERVED or not CHANNEL_NAME.match(first):
            return None, None
        channel = channel_ref(first)
        if len(segs) > 1 and segs[1].isdigit():
            return message_ref(channel, segs[1]), channel
        return channel, None
