"""Fixed formatting of numbers for every output, so the same case gives the same bytes."""

from __future__ import annotations

import math

from toolkit.report.stats import Share


def whole_percent(value: float) -> int:
    """A share as the nearest whole percentage, an exact half to the even one (12.5% -> 12%, 87.5% ->
    88%): the still-live and gone shares of one denominator then always add to 100%, where halves
    rounded up would print 13% and 88%. The share is first taken to 9 places, so that float noise
    (23 / 40 * 100 is 57.49999999999999) does not decide which way a half goes."""
    return round(round(value * 100, 9))


def percent(value: float | None) -> str:
    """A share as a whole percentage (`whole_percent`: 0.385 -> 38%, 0.575 -> 58%); "-" when undefined."""
    if value is None:
        return "-"
    return f"{whole_percent(value)}%"


def ci(share: Share) -> str:
    """The Wilson interval as "26-52%" ("-" when undefined)."""
    if share.low is None or share.high is None:
        return "-"
    return f"{whole_percent(share.low)}-{whole_percent(share.high)}%"


def share(value: Share) -> str:
    """"38% (26-52%)", or "-" when nothing is known."""
    return "-" if value.p is None else f"{percent(value.p)} ({ci(value)})"


def number(value: int | float | None) -> str:
    """Thousands separated integers: 44,000."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{round(value):,}"


def days(value: float | None) -> str:
    """Days with one decimal, "not reached" for infinity."""
    if value is None:
        return "-"
    if math.isinf(value):
        return "not reached"
    return f"{value:.1f}"


def p_value(value: float | None) -> str:
    if value is None:
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def fixed(value: float | None, places: int = 4) -> float | None:
    """A float rounded for JSON (None stays None, infinity becomes None)."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(value, places)
