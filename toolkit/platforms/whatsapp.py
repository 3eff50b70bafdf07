"""WhatsApp: URL identity for click-to-chat numbers, group invites, business catalogs and channels.

- `wa.me/<number>`, `api.whatsapp.com/send?phone=<number>`, `web.whatsapp.com/send?phone=...`:
  the account behind a phone number, kind `profile`, keyed by the number in E.164 form (`+525555550101`).
- `chat.whatsapp.com/<code>` (also `/invite/<code>`): a group invite, kind `group`, keyed by the
  case-sensitive invite code.
- `wa.me/c/<number>`: a business's catalog, kind `page`, keyed `catalog/+<number>`, with the
  account as parent.
- `whatsapp.com/channel/<id>`: a WhatsApp channel, kind `channel`.
- `wa.me/message/<code>`: a business short link that hides its number: kept as a `profile`
  keyed by its canonical URL until resolved.
"""

from __future__ import annotations

import re

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, host_of, query_value, segments, split
from toolkit.platforms.registry import register

INVITE = re.compile(r"^[A-Za-z0-9]{10,40}$")
CHANNEL_ID = re.compile(r"^[A-Za-z0-9]{10,40}$")
CODE = re.compile(r"^[A-Za-z0-9]{4,40}$")


def phone_digits(text: str) -> str | None:
    """The international number in `text` as digits (no + or 00 prefix), or None if it is not one."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits if 7 <= len(digits) <= 15 and not digits.startswith("0") else None


def number_ref(digits: str) -> ItemRef:
    return ItemRef("whatsapp", Kind.PROFILE, f"+{digits}", f"https://wa.me/{digits}")


@register
class WhatsApp(Platform):
    name = "whatsapp"
    hosts = ("wa.me", "whatsapp.com")

    def parse(self, url: str) -> tuple[ItemRef | None, ItemRef | None]:
        parts = split(url)
        host = host_of(parts)
        segs = segments(parts)
        if host.startswith("chat.") or (segs and segs[0] == "invite" and host != "wa.me"):
            code = segs[-1] if segs else ""
            if INVITE.match(code):
                return ItemRef("whatsapp", Kind.GROUP, code, f"https://chat.whatsapp.com/{code}"), None
            return None, None
        if segs and segs[0] == "channel" and len(segs) > 1 and CHANNEL_ID.match(segs[1]):
            return ItemRef("whatsapp", Kind.CHANNEL, segs[1], f"https://whatsapp.com/channel/{segs[1]}"), None
        if (segs and segs[0] in {"send", "send.php"}) or (not segs and query_value(parts, "phone")):
            digits = phone_digits(query_value(parts, "phone") or "")
            return (number_ref(digits), None) if digits else (None, None)
        if segs and segs[0] == "c" and len(segs) > 1:
            digits = phone_digits(segs[1])
            if not digits:
                return None, None
            owner = number_ref(digits)
            return ItemRef("whatsapp", Kind.PAGE, f"catalog/+{digits}", f"https://wa.me/c/{digits}"), owner
        if segs and segs[0] == "message" and len(segs) > 1 and CODE.match(segs[1]):
            short = f"https://wa.me/message/{segs[1]}"
            return ItemRef("whatsapp", Kind.PROFILE, short, short), None
        if segs and len(segs) == 1 and re.fullmatch(r"\+?[\d\s().-]+", segs[0]):
            digits = phone_digits(segs[0])
            return (number_ref(digits), None) if digits else (None, None)
        return None, None
