"""What the CrowdTangle importers share: time zones, locale-formatted numbers, item identities.

CrowdTangle's dashboard renders every date in the researcher's own time zone and names it by its
abbreviation at the end of `Post Created` ("2021-07-05 18:02:45 BRT"); numbers come in the
researcher's locale ("407.137" is four hundred thousand, "1,4" is one point four). The API gives
dates in UTC ("2016-10-05 11:15:30") and plain JSON numbers.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

from toolkit.models import ItemRef, Kind
from toolkit.platforms.facebook import NAME

FB = "https://www.facebook.com"
IG = "https://www.instagram.com"

# Offsets in minutes east of UTC. Where an abbreviation is ambiguous the reading CrowdTangle's
# (US-based) dashboard used is chosen: CST is US Central, IST is India, BST is British Summer Time.
TZ_MINUTES: dict[str, int] = {
    "UTC": 0, "GMT": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "TRT": 180, "SAST": 120, "WAT": 60,
    "CAT": 120, "EAT": 180, "GST": 240, "PKT": 300, "NPT": 345, "BDT": 360, "ICT": 420, "WIB": 420,
    "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "JST": 540, "KST": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
    "BRT": -180, "BRST": -120, "ART": -180, "UYT": -180, "CLT": -240, "CLST": -180, "PYT": -240,
    "BOT": -240, "VET": -240, "COT": -300, "PET": -300, "ECT": -300,
}
_DELTAS = {zone: timedelta(minutes=minutes) for zone, minutes in TZ_MINUTES.items()}
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?")


def split_zone(text: str) -> tuple[str, str | None]:
    """("2021-07-05 18:02:45", "BRT") from "2021-07-05 18:02:45 BRT"; the zone is None when absent."""
    stamp, _, zone = text.strip().rpartition(" ")
    if not stamp or ":" in zone or "-" in zone:
        return text.strip(), None
    return stamp, zone.upper()


def local_to_utc(stamp: str, zone: str | None) -> tuple[str | None, bool]:
    """An ISO time from a CrowdTangle local time and its zone: (iso, zone_known).

    With a known zone the result is UTC ending in Z; with no zone or an unknown one the local time
    is kept as it was shown, without Z, because inventing an offset would be worse than none.
    Text that is not a date gives (None, True).
    """
    if len(stamp) < 16 or not _STAMP.match(stamp):
        return None, True
    iso = stamp[:10] + "T" + stamp[11:19] if len(stamp) >= 19 else stamp[:10] + "T" + stamp[11:16] + ":00"
    if zone is None:
        return iso, False
    delta = _DELTAS.get(zone)
    if delta is None:
        return iso, False
    if not delta:
        return iso + "Z", True
    try:
        moment = datetime.fromisoformat(iso) - delta
    except ValueError:
        return None, True
    return moment.isoformat() + "Z", True


def ct_time(text: str) -> tuple[str | None, str | None, bool]:
    """(iso, zone, zone_known) for a dashboard date such as "2021-07-05 18:02:45 BRT"."""
    # Fast path for the one shape dashboards write, a known zone after "YYYY-MM-DD HH:MM:SS ".
    if len(text) > 20 and text[19] == " " and text[10] == " " and text[13] == ":":
        zone = text[20:]
        delta = _DELTAS.get(zone)
        if delta is not None:
            if not delta:
                return text[:10] + "T" + text[11:19] + "Z", zone, True
            try:
                return (datetime.fromisoformat(text[:19]) - delta).isoformat() + "Z", zone, True
            except ValueError:
                pass
    stamp, zone = split_zone(text)
    iso, known = local_to_utc(stamp, zone)
    return iso, zone, known


_GROUPED = re.compile(r"-?\d{1,3}(?:([.,'\u00a0\u202f ])\d{3})(?:\1\d{3})*")
_SEPARATORS = re.compile(r"[.,'\u00a0\u202f ]")
_NA = frozenset({"", "N/A", "n/a", "-", "--", "null", "None"})


def count(text: str) -> int | None:
    """A count from locale-formatted text: "407.137", "1,234", "1 234", "270729"; else None.

    A separator followed by exactly three digits (repeated) is a thousands separator in every
    locale CrowdTangle used, so counts are read that way; anything else is not a count.
    """
    if text.isdigit():
        return int(text)
    return _formatted_count(text)


def _formatted_count(text: str) -> int | None:
    text = text.strip()
    if text in _NA:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    if _GROUPED.fullmatch(text):
        return int(_SEPARATORS.sub("", text))
    return None


@lru_cache(maxsize=1 << 12)  # scores such as "1,4" repeat throughout an export
def decimal(text: str) -> float | None:
    """A decimal number in either locale: "1,4", "-2.35", "1.234,5", "1,234.5"; else None."""
    if "." not in text and text.count(",") == 1:  # the common "1,4"
        try:
            return float(text.replace(",", "."))
        except ValueError:
            pass
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if text in _NA:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


# Exports repeat the same small counts and scores over and over: the cached forms answer those from
# a table (bounded, so memory stays flat).
cached_count = lru_cache(maxsize=1 << 16)(count)


def last_segment(url: str) -> str | None:
    """The last path segment of a URL (query and trailing slash ignored): the post id in CrowdTangle."""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    segment = path.rsplit("/", 1)[-1] if "/" in path else ""
    return segment or None


def facebook_account(platform_id: str, group: bool) -> ItemRef:
    """The page or group with this Facebook id."""
    if group:
        return ItemRef("facebook", Kind.GROUP, platform_id, f"{FB}/groups/{platform_id}")
    return ItemRef("facebook", Kind.PAGE, platform_id, f"{FB}/{platform_id}")


def facebook_aliases(account: ItemRef, handle: str | None) -> tuple[str, ...]:
    """The vanity name (`User Name`, the API's `handle`) of a page or group keyed by its number, as
    the key a URL with that name gives (lower-cased), when it is a name a URL could carry."""
    name = (handle or "").strip().lstrip("@").lower()
    if not name or name == account.key or name.isdigit() or not NAME.match(name):
        return ()
    return (name,)


def facebook_post(post_id: str, account: ItemRef | None) -> ItemRef:
    """A Facebook post keyed by its id, with the canonical URL under its page or group (None without)."""
    if account is None:
        return ItemRef("facebook", Kind.POST, post_id, None)
    if account.kind is Kind.GROUP:
        return ItemRef("facebook", Kind.POST, post_id, f"{FB}/groups/{account.key}/posts/{post_id}")
    return ItemRef("facebook", Kind.POST, post_id, f"{FB}/{account.key}/posts/{post_id}")


def user_id_alias(user_id: object) -> tuple[str, ...]:
    """The alias for an Instagram or TikTok account's numeric user id: `id:<number>` (handles are
    the keys there, and a handle could be all digits, so ids get their own prefix)."""
    text = str(user_id or "").strip()
    return (f"id:{text}",) if text.isdigit() else ()


def instagram_account(handle: str) -> ItemRef:
    key = handle.strip().lstrip("@").lower()
    return ItemRef("instagram", Kind.PROFILE, key, f"{IG}/{key}/")


def instagram_post(url: str) -> ItemRef | None:
    """An Instagram post from its URL (/p/<code>/, /reel/<code>/, /tv/<code>/), keyed by shortcode."""
    segs = [s for s in url.split("?", 1)[0].split("/") if s]
    for i, seg in enumerate(segs[:-1]):
        if seg in {"p", "reel", "reels", "tv"}:
            code = segs[i + 1]
            return ItemRef("instagram", Kind.POST, code, f"{IG}/p/{code}/")
    return None
