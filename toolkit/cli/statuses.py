"""A status and its reason, side by side, in every table that shows a status.

A status alone hides what a researcher needs to act on: `error` may be `dns-error` (the URL is
wrong), `read-timeout` (try again) or `no-url` (nothing to fetch); `unavailable` may be the
platform's wording or a 404. Every command that prints a status column puts the reason code
right after it with `status_columns`, and a table of counts by status lists the reasons behind
them with `reason_counts`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

REASON = "reason"


def status_columns(columns: Sequence[str], status: str = "status", reason: str = REASON) -> list[str]:
    """`columns` with `reason` right after `status` (moved there if it was elsewhere)."""
    out = [c for c in columns if c != reason]
    if status in out:
        out.insert(out.index(status) + 1, reason)
    return out


def reason_counts(pairs: Iterable[tuple[str | None, str | None]], only: Iterable[str] | None = None) -> str:
    """`error: dns-error 2, read-timeout 1; login_required: login-wall 3` from (status, reason) pairs.

    Statuses are listed in the order first met, reasons by count (most first, then by name); a
    status with no reason code counts as `no reason recorded`. With `only`, other statuses are left
    out (a summary lists the reasons of the statuses it cannot explain by themselves).
    """
    keep = set(only) if only is not None else None
    per_status: dict[str, Counter[str]] = {}
    for status, reason in pairs:
        if status is None or (keep is not None and status not in keep):
            continue
        per_status.setdefault(status, Counter())[reason or "no reason recorded"] += 1
    return "; ".join(
        f"{status}: " + ", ".join(f"{reason} {n}" for reason, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
        for status, counter in per_status.items())
