"""Masking personal data for publication, consistently.

With redaction on, phone numbers, WhatsApp numbers and links, Telegram handles and email addresses
become masks such as `[phone 3fa9c2d1]`, and so do the names and URLs of personal profiles and of
messages (whose name is their author). Page, group and channel names stay: they are the subject of
the report. A mask is a keyed HMAC-SHA256 of the value with a per-case salt kept in the case's meta
table, so the same number always gets the same mask (clusters stay readable) while the mask cannot
be reversed by hashing candidate numbers without the salt.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from toolkit.report.networks import contact_key
from toolkit.store import report_queries as q
from toolkit.store.db import Connection, transaction

SALT_KEY = "report_redaction_salt"
PERSONAL_KINDS = ("profile", "message")

# Contact points written inside names and URLs that no extractor saw.
_PATTERNS = [
    ("whatsapp", re.compile(r"(?:https?://)?(?:wa\.me|api\.whatsapp\.com/send\S*?phone=|chat\.whatsapp\.com)/?[\w+%-]+", re.I)),
    ("telegram", re.compile(r"(?:https?://)?t(?:elegram)?\.me/[\w+]+", re.I)),
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("phone", re.compile(r"\+?\d[\d\s().\-]{5,}\d")),
]


_MASK = re.compile(r"(\[[a-z-]+ [0-9a-f]{8}\])")


def case_salt(conn: Connection) -> str:
    """The case's redaction salt, created (and stored in meta) on first use."""
    existing = q.meta_value(conn, SALT_KEY)
    if existing:
        return existing
    with transaction(conn):
        return q.set_meta_once(conn, SALT_KEY, secrets.token_hex(16))


class Redactor:
    """Applies (or, when disabled, skips) masking; every method returns text safe to publish."""

    def __init__(self, salt: str | None, matched: list[dict] | None = None):
        self.enabled = salt is not None
        self._key = (salt or "").encode()
        # Known spellings of each contact point, longest first so "+52 55 ..." beats "55 ...".
        self._known = sorted(
            ((row["matched"], self.contact(row["type"], row["value"])) for row in (matched or []) if row["matched"]),
            key=lambda pair: (-len(pair[0]), pair[0]),
        )

    def _mask(self, label: str, value: str) -> str:
        digest = hmac.new(self._key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"[{label} {digest[:8]}]"

    def contact(self, kind: str, value: str) -> str:
        """A contact point (phone, whatsapp, telegram, email) or its mask."""
        if not self.enabled:
            return value
        label, key = contact_key(kind, value)
        return self._mask(label, key)

    def text(self, value: str | None) -> str | None:
        """Free text from the platform with every contact point in it masked."""
        if not self.enabled or not value:
            return value
        for spelling, mask in self._known:
            value = value.replace(spelling, mask)
        # Masks already placed are left alone (their hex digits could look like a phone number).
        for label, pattern in _PATTERNS:
            parts = _MASK.split(value)
            for index in range(0, len(parts), 2):
                parts[index] = pattern.sub(lambda m, label=label: self._found(label, m.group()), parts[index])
            value = "".join(parts)
        return value

    def _found(self, label: str, text: str) -> str:
        if label == "phone" and sum(c.isdigit() for c in text) < 7:
            return text  # a price, a year or a short code, not a phone number
        return self._mask(label, re.sub(r"\s", "", text).lower())

    def name(self, kind: str, value: str | None) -> str | None:
        """An item's name: masked whole for personal profiles and messages, else its contacts masked."""
        if not self.enabled or value is None:
            return value
        if kind in PERSONAL_KINDS:
            return self._mask(kind, value)
        return self.text(value)

    def url(self, kind: str, value: str | None) -> str | None:
        """An item's URL: masked whole for personal profiles and messages, else its contacts masked."""
        if not self.enabled or value is None:
            return value
        if kind in PERSONAL_KINDS:
            return self._mask(kind + "-url", value)
        return self.text(value)
