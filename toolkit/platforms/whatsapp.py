"""WhatsApp: URL identity for group invites, click-to-chat numbers and channels.

Group invites (`chat.whatsapp.com/<code>`) are groups keyed by the code (case-sensitive);
`wa.me/<number>` and `api.whatsapp.com/send?phone=<number>` are profiles keyed by the digits;
`whatsapp.com/channel/<id>` is a channel.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, host_of, split
from toolkit.platforms.registry import register

INVITE = re.compile(r"^[A-Za-z0-9]{10,40}$")


@register
class WhatsApp(Platform):
    name = "whatsapp"
    hosts = ("whatsapp.com", "wa.me", "whatsapp.net")

    def identify(self, url: str) -> ItemRef | None:
        parts = split(url)
        host = host_of(parts)
        segs = [s for s in parts.path.split("/") if s]
        if segs and segs[0] == "channel" and len(segs) > 1:
            return ItemRef("whatsapp", Kind.CHANNEL, segs[1], f"https://whatsapp.com/channel/{segs[1]}")
        if segs and segs[-1] == "send":
            digits = re.sub(r"\D", "", (parse_qs(parts.query).get("phone") or [""])[0])
            return ItemRef("whatsapp", Kind.PROFILE, digits, f"https://wa.me/{digits}") if digits else None
        if len(segs) != 1:
            return None
        # wa.me/<number>; on any other host (chat.whatsapp.com, or a mirror) a code is an invite.
        digits = re.sub(r"[\s+()-]", "", segs[0])
        if digits.isdigit() and not host.startswith("chat."):
            return ItemRef("whatsapp", Kind.PROFILE, digits, f"https://wa.me/{digits}")
        if INVITE.match(segs[0]):
            return ItemRef("whatsapp", Kind.GROUP, segs[0], f"https://chat.whatsapp.com/{segs[0]}")
        return None
