"""What a saved page says about itself: the URL it was saved from, and when.

SingleFile writes a comment `<!-- Page saved with SingleFile \n url: <URL> \n saved date: <date> -->`
near the top; browsers' "Save page as" write `<!-- saved from url=(0042)<URL> -->`; an MHTML
file ("Save page as... single file") carries `Snapshot-Content-Location` and `Date` headers and
the page as its first text/html part.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime

from toolkit.dates import to_utc_iso

_SINGLEFILE = re.compile(rb"Page saved with SingleFile\s+url:\s*(\S+)(?:\s+saved date:\s*([^\r\n]+?)\s*(?:-->|\n|$))?",
                         re.I)
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
# "Tue Apr 16 2024 10:12:03 GMT-0600 (hora estándar central)"
_JS_DATE = re.compile(r"\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})")
HEAD = 8192


@dataclass(frozen=True, slots=True)
class SavedFrom:
    url: str | None
    saved_at: str | None  # ISO UTC when the file says


def saved_from(body: bytes) -> SavedFrom:
    """The source URL and save time a saved page records in its first few KB (None when absent)."""
    head = body[:HEAD]
    match = _SINGLEFILE.search(head)
    if match:
        url = match.group(1).decode("utf-8", "replace")
        when = _js_date(match.group(2).decode("utf-8", "replace")) if match.group(2) else None
        return SavedFrom(url, when)
    match = _SAVED_FROM.search(head)
    if match:
        return SavedFrom(match.group(1).decode("utf-8", "replace"), None)
    return SavedFrom(None, None)


def is_mhtml(body: bytes) -> bool:
    head = body[:4096].lower()
    return b"multipart/related" in head and (b"snapshot-content-location" in head or b"mime-version" in head)


def page_from_mhtml(body: bytes) -> tuple[bytes, SavedFrom] | None:
    """The HTML page inside an MHTML file and where/when it was saved, or None when it holds none."""
    message = email.message_from_bytes(body, policy=email.policy.compat32)
    url = message.get("Snapshot-Content-Location")
    saved_at = None
    if message.get("Date"):
        try:
            saved_at = to_utc_iso(email.utils.parsedate_to_datetime(message["Date"]))
        except (TypeError, ValueError):
            saved_at = None
    for part in message.walk():
        if part.get_content_type() == "text/html":
            html = part.get_payload(decode=True)
            if isinstance(html, bytes):
                return html, SavedFrom(url or part.get("Content-Location"), saved_at)
    return None


def _js_date(text: str) -> str | None:
    match = _JS_DATE.search(text)
    if not match:
        return None
    try:
        moment = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%b %d %Y %H:%M:%S %z")
    except ValueError:
        return None
    return to_utc_iso(moment)
