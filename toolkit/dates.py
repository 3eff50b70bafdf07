"""Every time helper: the clock (`utcnow`), and parsing the dates researchers type and exports
carry, always to ISO-8601 UTC, and the days between two of them."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from toolkit.errors import UsageError


def utcnow() -> str:
    """The current time as ISO-8601 UTC with seconds, e.g. 2021-04-16T10:00:00Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_stamp() -> str:
    """The current time as a compact UTC stamp for file and folder names, e.g. 20210416T100000Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


# How far past the clock a date a researcher gives may be (time zones, a clock a little off).
AHEAD = timedelta(days=1)


def in_the_future(given: str, now: str) -> bool:
    """Whether the ISO date `given` is more than `AHEAD` after `now` (both ISO; False when either
    is not a date): a notice or a verdict dated then is a typo, not a fact."""
    moment, current = parse_iso(given), parse_iso(now)
    return moment is not None and current is not None and moment > current + AHEAD


def to_utc_iso(moment: datetime) -> str:
    """ISO-8601 UTC with seconds and a Z; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    """A datetime from ISO-8601 text (date only, with or without offset or Z), else None."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        moment = datetime(day.year, day.month, day.day)
    return moment


def days_between(start: str, end: str) -> float:
    """Days (fractional) from `start` to `end`, two ISO-8601 times as `parse_iso` reads them (naive
    ones, date-only ones included, are UTC); ValueError when either is not a date."""
    first, last = parse_iso(start), parse_iso(end)
    if first is None or last is None:
        raise ValueError(f"not an ISO date: {start if first is None else end!r}")
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return (last - first).total_seconds() / 86400


def parse_http_date(text: str) -> datetime | None:
    """A datetime from an HTTP or e-mail date ("Wed, 21 Oct 2015 07:28:00 GMT": Retry-After, an
    MHTML's Date), UTC when it names no zone; None when it is not one."""
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_when(text: str, option: str = "date") -> str:
    """A date typed by a researcher (2021-04-16, 2021-04-16T10:00-05:00) as ISO UTC; else UsageError."""
    moment = parse_iso(text)
    if moment is None:
        raise UsageError(f"{option}: not a date: {text!r}", "Use ISO dates such as 2021-04-16 or 2021-04-16T10:00-05:00")
    return to_utc_iso(moment)


def given_time(observed_at: str | None, collected_at: str | None) -> str | None:
    """The save time the researcher gave (--observed-at, or its older name --collected-at), as ISO UTC."""
    if observed_at and collected_at:
        raise UsageError("--observed-at and --collected-at both given", "They mean the same: give one")
    if observed_at:
        return parse_when(observed_at, "--observed-at")
    return parse_when(collected_at, "--collected-at") if collected_at else None


_DAYS: dict[int, str] = {}  # day number since 1970 -> "YYYY-MM-DD", for from_unix's fast path
_DAYS_LIMIT = 1 << 14  # cleared when full, so memory stays flat


def from_unix(seconds: float | int | str) -> str | None:
    """ISO UTC from a Unix timestamp in seconds (milliseconds are recognised by size)."""
    if type(seconds) is int and 0 <= seconds < 1 << 53:
        # Imports call this twice per record: the day's date is looked up, the time of day is
        # arithmetic (UTC has no leap seconds in Unix time, so every day is 86,400 s).
        whole = seconds // 1000 if seconds > 100_000_000_000 else seconds
        day, rest = divmod(whole, 86_400)
        text = _DAYS.get(day)
        if text is None:
            try:
                text = datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()
            except (OverflowError, OSError, ValueError):
                return None
            if len(_DAYS) >= _DAYS_LIMIT:
                _DAYS.clear()
            _DAYS[day] = text
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{text}T{hour:02d}:{minute:02d}:{second:02d}Z"
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return None
    if value > 1e11:  # milliseconds
        value /= 1000
    try:
        # isoformat of a whole-second UTC time is ~3x faster than strftime; imports call this per record.
        return datetime.fromtimestamp(math.floor(value), UTC).isoformat()[:19] + "Z"
    except (OverflowError, OSError, ValueError):
        return None
