"""Removal shares with their denominators and 95% intervals, per wave and per group.

Removal rate = gone / (live + gone). `ended` (a listing marked sold), the unknowns (login walls,
errors, rate limits...) and items a wave did not check are counted beside it, never folded into
the denominator. Intervals are Wilson score intervals from scipy; the noticed-vs-not-noticed
difference is tested with Fisher's exact test from scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from toolkit.report.frame import FAMILIES, NOT_CHECKED, CaseFrame

LEVEL = 0.95
SPLITS = ("platform", "kind", "category", "language", "channel", "noticed")


@dataclass(frozen=True)
class Share:
    """k of n, the proportion and its Wilson interval (all None when n is 0)."""

    k: int
    n: int
    p: float | None
    low: float | None
    high: float | None


def wilson(k: int, n: int, level: float = LEVEL) -> Share:
    """k of n with its Wilson score interval at `level`, from scipy.stats.binomtest."""
    if n <= 0:
        return Share(k, n, None, None, None)
    low, high = _wilson(k, n, level)
    return Share(k, n, k / n, low, high)


@lru_cache(maxsize=4096)
def _wilson(k: int, n: int, level: float) -> tuple[float, float]:
    # A report asks for the same (k, n) many times (splits, headline, tests): scipy is asked once.
    # scipy.stats is imported when first used (a second of start-up; `build.prefetch_imports`).
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Counts:
    """The status of a set of items in one wave: families, unknown statuses, and both shares."""

    items: int
    live: int
    gone: int
    ended: int
    unknown: int
    not_checked: int
    statuses: dict[str, int]  # every status token seen (blind ones as "blind"), with its count
    unknown_statuses: dict[str, int]  # the same, for the items whose status is unknown
    still_live: Share
    removed: Share

    @property
    def known(self) -> int:
        return self.live + self.gone


def count(rows: pd.DataFrame) -> Counts:
    """Counts and shares for the rows of one wave (one row per item)."""
    return count_by(rows, None).get("", _counts({}, {}, {}))


def count_by(rows: pd.DataFrame, groups: pd.Series | None) -> dict[str, Counts]:
    """Counts and shares per value of `groups` (aligned with `rows`; its values as text), or of all
    the rows under "" when `groups` is None; only the values that occur."""
    # Each column as numbers of its distinct values, the (group, family, label) triples counted by
    # numpy in one pass: a report asks this for every wave and split of 100,000 items.
    group_codes, group_names = _factors(groups) if groups is not None else (np.zeros(len(rows), np.int64), [""])
    family_codes, family_names = _factors(rows["family"])
    label_codes, label_names = _factors(rows["label"])
    nf, nl = len(family_names), len(label_names)
    counted = np.bincount((group_codes * nf + family_codes) * nl + label_codes, minlength=len(group_names) * nf * nl)
    families: dict[str, dict[str, int]] = {}
    statuses: dict[str, dict[str, int]] = {}
    unknown: dict[str, dict[str, int]] = {}
    for at in np.flatnonzero(counted).tolist():
        n, rest = int(counted[at]), at // nl
        group, family, label = group_names[rest // nf], family_names[rest % nf], label_names[at % nl]
        families.setdefault(group, {})[family] = families.get(group, {}).get(family, 0) + n
        statuses.setdefault(group, {})[label] = statuses.get(group, {}).get(label, 0) + n
        if family == "unknown":
            unknown.setdefault(group, {})[label] = unknown.get(group, {}).get(label, 0) + n
    return {group: _counts(families[group], statuses[group], unknown.get(group, {})) for group in families}


def _factors(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each value's number among the distinct values, and those values as text (a missing one as
    "nan", as pandas writes it)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), [str(value) for value in uniques]


def _counts(families: dict[str, int], statuses: dict[str, int], unknown: dict[str, int]) -> Counts:
    live, gone = families.get("live", 0), families.get("gone", 0)
    return Counts(
        items=sum(families.values()), live=live, gone=gone, ended=families.get("ended", 0),
        unknown=families.get("unknown", 0), not_checked=families.get(NOT_CHECKED, 0),
        statuses=dict(sorted(statuses.items())), unknown_statuses=dict(sorted(unknown.items())),
        still_live=wilson(live, live + gone), removed=wilson(gone, live + gone),
    )


@dataclass(frozen=True)
class WaveStats:
    wave_id: int
    name: str
    order: int
    started_at: str
    methods: list[str]
    first_check: str | None
    last_check: str | None
    counts: Counts


def by_wave(cf: CaseFrame) -> list[WaveStats]:
    """One WaveStats per wave up to as_of, in wave order."""
    out = []
    # Only the columns counted are grouped: each group is a copy of its rows' columns.
    frame = cf.frame[["wave_order", "family", "label"]]
    grouped = {key: rows for key, rows in frame.groupby("wave_order", observed=True)} if len(frame) else {}
    for wave in cf.waves.itertuples():
        rows = grouped.get(wave.wave_order, frame.iloc[0:0])
        out.append(WaveStats(
            wave_id=int(wave.wave_id), name=wave.name, order=int(wave.wave_order), started_at=wave.started_at,
            methods=list(wave.methods), first_check=_str(wave.first_check), last_check=_str(wave.last_check),
            counts=count(rows),
        ))
    return out


@dataclass(frozen=True)
class GroupStats:
    wave: str
    dimension: str
    group: str
    counts: Counts


def by_group(cf: CaseFrame, dimensions: tuple[str, ...] = SPLITS) -> list[GroupStats]:
    """Counts per wave, per dimension, per group value (sorted by wave order, dimension, group)."""
    out = []
    if not len(cf.frame):
        return out
    frame = cf.frame[["wave_order", "wave", "family", "label", *dimensions]]  # the columns used, grouped
    for (_order, wave), rows in frame.groupby(["wave_order", "wave"], observed=True, sort=True):
        for dimension in dimensions:
            values = rows[dimension].map({True: "noticed", False: "not_noticed"}) if dimension == "noticed" else rows[dimension]
            counted = count_by(rows, values)
            out += [GroupStats(str(wave), dimension, group, counted[group]) for group in sorted(counted)]
    return out


@dataclass(frozen=True)
class FisherTest:
    """Fisher's exact test of gone vs live between noticed and not-noticed items in one wave."""

    wave: str
    noticed: Counts
    not_noticed: Counts
    odds_ratio: float | None
    p_value: float | None


def noticed_test(cf: CaseFrame) -> list[FisherTest]:
    """Per wave, Fisher's exact test when both noticed and not-noticed items have a known status."""
    out = []
    if not len(cf.frame):
        return out
    frame = cf.frame[["wave_order", "wave", "family", "label", "noticed"]]  # the columns used, grouped
    for (_order, wave), rows in frame.groupby(["wave_order", "wave"], observed=True, sort=True):
        split = count_by(rows, rows["noticed"].astype(bool))
        noticed, other = split.get("True", count(rows.iloc[0:0])), split.get("False", count(rows.iloc[0:0]))
        if noticed.known and other.known:
            from scipy.stats import fisher_exact

            odds, p = fisher_exact([[noticed.gone, noticed.live], [other.gone, other.live]])
            out.append(FisherTest(str(wave), noticed, other, _finite(odds), float(p)))
        else:
            out.append(FisherTest(str(wave), noticed, other, None, None))
    return out


def _finite(value: float) -> float | None:
    value = float(value)
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _str(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


__all__ = ["FAMILIES", "LEVEL", "SPLITS", "Counts", "FisherTest", "GroupStats", "Share", "WaveStats", "by_group",
           "by_wave", "count", "count_by", "noticed_test", "wilson"]
