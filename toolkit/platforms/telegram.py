"""Telegram: URL identity for public channels/groups and their messages (t.me web previews).

Channels are keyed by the lower-cased username, messages by `<username>/<number>`; `t.me/s/`
(the web message list), `telegram.me` and `?embed=1` forms name the same items. Invite links
(`t.me/+code`, `t.me/joinchat/code`) are channels keyed by `+code`.
"""

from __future__ import annotations

import re

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, split
from toolkit.platforms.registry import register

BASE = "https://t.me"
RESERVED = frozenset({"share", "addstickers", "addemoji", "proxy", "socks", "iv", "login", "setlanguage", "addtheme",
                      "confirmphone", "bg", "invoice", "boost", "contact", "i", "k", "a", "z"})
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


@register
class Telegram(Platform):
    name = "telegram"
    hosts = ("t.me", "telegram.me", "telegram.dog")

    def identify(self, url: str) -> ItemRef | None:
        segs = [s for s in split(url).path.split("/") if s]
        if segs and segs[0] == "s":
            segs = segs[1:]
        if not segs:
            return None
        if segs[0] == "joinchat" and len(segs) > 1:
            return ItemRef("telegram", Kind.CHANNEL, "+" + segs[1], f"{BASE}/+{segs[1]}")
        if segs[0].startswith("+") and len(segs[0]) > 1:
            return ItemRef("telegram", Kind.CHANNEL, segs[0], f"{BASE}/{segs[0]}")
        if segs[0] == "c" and len(segs) > 2 and segs[1].isdigit() and segs[2].isdigit():
            return ItemRef("telegram", Kind.MESSAGE, f"c/{segs[1]}/{segs[2]}", f"{BASE}/c/{segs[1]}/{segs[2]}")
        name = segs[0].lower()
        if name in RESERVED or not USERNAME.match(segs[0]):
            return None
        if len(segs) > 1 and segs[1].isdigit():
            return ItemRef("telegram", Kind.MESSAGE, f"{name}/{segs[1]}", f"{BASE}/{name}/{segs[1]}")
        return ItemRef("telegram", Kind.CHANNEL, name, f"{BASE}/{name}")

    def parent_of(self, url: str) -> ItemRef | None:
        ref = self.identify(url)
        if ref is None or ref.kind != Kind.MESSAGE or ref.key.startswith("c/"):
            return None
        name = ref.key.split("/")[0]
        return ItemRef("telegram", Kind.CHANNEL, name, f"{BASE}/{name}")
