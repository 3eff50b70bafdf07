"""Time to removal, interval-censored: an item is only known gone between two checks.

For each cohort item and origin (its first capture, or its first notice) the observation is an
interval (L, R] in days: L = the last check that saw it live before the first check that saw it
gone (0 when none did), R = that first gone check. Items never seen gone are right-censored at their
last live check, R = infinity; a listing marked sold is censored there too (sold is not a
takedown). A wave is one look: a live check of a wave counts until the wave's last check (Wayback
lookups and checks of no wave keep their own time), so an item the wave saw live is never taken as
possibly removed before the removals the same wave saw minutes later (without this, a last wave
that finds 2 of 10 gone made the NPMLE remove all 10). Times are rounded up to whole hours, both
ends, so checks in one hour are simultaneous, live before gone; a removal is never dated before
the check that saw it.

The survival curve is Turnbull's nonparametric maximum-likelihood estimate (NPMLE), fitted by the
EM algorithm on the distinct intervals with their counts, vectorised with numpy: the same estimator
as lifelines' `KaplanMeierFitter.fit_interval_censoring` (the tests check the two agree), whose
pure-Python loop takes minutes on 100,000 items. Within each Turnbull interval the mass is placed at
its right end, i.e. at the check that first saw the item gone: shares "gone within t days" are
never earlier than the evidence shows. Intervals are percentile bootstrap intervals (fixed seed, so
the report is deterministic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.models import DateSource, Method
from toolkit.report.frame import CaseFrame

IMPORT_DATED = "dated at import time"

DAY = 86_400.0
RESOLUTION_HOURS = 1
MAX_DISTINCT = 1_000  # distinct (L, R] intervals above which times are rounded to whole days
HORIZONS = (1, 7, 30)
BOOTSTRAP = 200
SEED = 20210416
LEVEL = 0.95
FIT_TOL = 1e-9
BOOT_TOL = 1e-6  # replicates start from the fit; shares are reported to 0.1% at most
BOOT_ITER = 300


@dataclass(frozen=True)
class Turnbull:
    """A fitted NPMLE: innermost intervals (left, right] and the probability mass on each."""

    left: np.ndarray
    right: np.ndarray
    mass: np.ndarray

    def gone_by(self, t: float) -> float:
        """Estimated share gone by `t` days (mass counted at the right end of its interval)."""
        return float(self.mass[self.right <= t].sum())

    def possibly_gone_by(self, t: float) -> float:
        """The largest share gone by `t` the data allow (mass counted at the left end of its interval)."""
        return float(self.mass[self.left < t].sum())

    def median(self) -> float:
        """The first time the estimated share still live falls to one half or below (inf if never)."""
        cumulative = np.cumsum(self.mass)
        hit = np.nonzero(cumulative >= 0.5 - 1e-9)[0]
        return float(self.right[hit[0]]) if len(hit) else math.inf


def innermost(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turnbull's innermost intervals (q, p] for half-open observations (left, right].

    Sorting all endpoints with a right end before a left end at equal values (because (a, x] and
    (x, b] are disjoint), an innermost interval is a left end directly followed by a right end.
    """
    values = np.concatenate([right, left])
    kinds = np.concatenate([np.zeros(len(right)), np.ones(len(left))])  # 0 = right end, 1 = left end
    order = np.lexsort((kinds, values))
    values, kinds = values[order], kinds[order]
    starts = np.nonzero((kinds[:-1] == 1) & (kinds[1:] == 0))[0]
    return values[starts], values[starts + 1]


def turnbull(left, right, weights=None, *, start: np.ndarray | None = None, tol: float = 1e-10,
             max_iter: int = 20_000, support: tuple[np.ndarray, np.ndarray] | None = None) -> Turnbull:
    """Fit the Turnbull NPMLE to interval-censored observations (left, right] with optional weights."""
    left = np.asarray(left, dtype=float)
    weights = np.ones(len(left)) if weights is None else np.asarray(weights, dtype=float)
    q, p = support if support is not None else innermost(left, np.asarray(right, dtype=float))
    return turnbull_many(left, right, weights[None, :], start=start, tol=tol, max_iter=max_iter, support=(q, p))[0]


def turnbull_many(left, right, weights: np.ndarray, *, start: np.ndarray | None = None, tol: float = 1e-10,
                  max_iter: int = 20_000, support: tuple[np.ndarray, np.ndarray] | None = None) -> list[Turnbull]:
    """Fit the Turnbull NPMLE once per row of `weights` (observations (left, right] weighted by that
    row, e.g. bootstrap replicates), all rows at once: each row runs exactly the iterations a fit of
    its own would, and stops where that fit would stop."""
    left, right = np.asarray(left, dtype=float), np.asarray(right, dtype=float)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    q, p = support if support is not None else innermost(left, right)
    if len(q) == 0:
        return [Turnbull(q, p, np.zeros(0)) for _ in weights]
    # Innermost intervals are disjoint and sorted, so observation i holds a contiguous run of them,
    # first[i]..last[i]; sums over runs are differences of cumulative sums: O(n + m) per EM step.
    first = np.searchsorted(q, left, side="left")
    last = np.searchsorted(p, right, side="right") - 1
    m, n = len(q), len(left)
    # The bins of every row's difference array in one flat array: row r's bins start at r * (m + 1).
    offsets = (np.arange(len(weights)) * (m + 1))[:, None]
    up, down = (first + offsets).ravel(), (last + 1 + offsets).ravel()

    def em(mass: np.ndarray, w: np.ndarray, total: np.ndarray) -> np.ndarray:
        """One EM step for as many fits as `mass` has rows (weighted by the rows of `w`)."""
        k = len(mass)
        cumulative = np.zeros((k, m + 1))
        np.cumsum(mass, axis=1, out=cumulative[:, 1:])
        denominator = np.take(cumulative, last + 1, axis=1) - np.take(cumulative, first, axis=1)
        ratio = np.divide(w, denominator, out=np.zeros_like(w), where=denominator > 0).ravel()
        # Add each observation's ratio to every innermost interval in its run (a difference array).
        runs = (np.bincount(up[:k * n], ratio, minlength=k * (m + 1))
                - np.bincount(down[:k * n], ratio, minlength=k * (m + 1))).reshape(k, m + 1)
        return mass * np.cumsum(runs, axis=1)[:, :m] / total[:, None]

    totals = weights.sum(axis=1)
    mass = np.tile(np.full(m, 1 / m) if start is None else start, (len(weights), 1))
    active = np.arange(len(weights))
    w, total = weights, totals
    # Plain EM converges linearly and slowly on these problems; SQUAREM (Varadhan & Roland 2008)
    # extrapolates two EM steps, projected back onto the simplex, then takes a stabilising EM step.
    for _ in range(int(max_iter)):
        now = mass[active]
        one = em(now, w, total)
        two = em(one, w, total)
        r, v = one - now, two - 2 * one + now
        norm_v = np.sqrt((v * v).sum(axis=1))
        updated = two.copy()
        jump = norm_v > 0
        if jump.any():
            alpha = (-np.sqrt((r[jump] * r[jump]).sum(axis=1)) / norm_v[jump])[:, None]
            jumped = np.clip(now[jump] - 2 * alpha * r[jump] + alpha * alpha * v[jump], 0.0, None)
            sums = jumped.sum(axis=1)
            rows = np.flatnonzero(jump)[sums > 0]
            if len(rows):
                updated[rows] = em(jumped[sums > 0] / sums[sums > 0, None], w[rows], total[rows])
        done = np.abs(updated - now).max(axis=1) < tol
        mass[active] = updated
        if done.any():
            active = active[~done]
            w, total = weights[active], totals[active]
        if not len(active):
            break
    return [Turnbull(q, p, row / row.sum()) for row in mass]


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    possible: float | None = None  # for shares: the most the data allow (mass at the left ends)


@dataclass
class Survival:
    """Time to removal from one origin, with its counts and what was left out and why."""

    origin: str  # "first_capture" or "notice"
    items: int  # cohort items with this origin and at least one check after it
    removals: int  # items seen gone (interval-censored)
    censored: int  # items still live (or sold) at their last check
    excluded: dict[str, int] = field(default_factory=dict)
    reappeared: int = 0  # items seen live again in a later wave after a gone check
    resolution_hours: int = RESOLUTION_HOURS  # times rounded up to this many hours
    median: Estimate | None = None
    within: dict[int, Estimate] = field(default_factory=dict)
    curve: list[tuple[float, float]] = field(default_factory=list)  # (days, share still live)


def binned(left: pd.Series, right: pd.Series, hours: int) -> tuple[pd.Series, pd.Series]:
    """Both ends rounded up to whole multiples of `hours`: checks in one bin count as simultaneous,
    live before gone (Kaplan-Meier's order for ties), and a removal is never dated earlier than the
    check that saw it. (Rounding live ends down instead would put an item seen live at 10:05 before
    one seen gone at 10:10 in the same bin, and let the NPMLE remove it there.) An item seen live
    and gone in the same bin is gone within that bin."""
    step = hours / 24
    up = np.ceil(right / step - 1e-9) * step
    return np.minimum(np.ceil(left / step - 1e-9) * step, up - step) + 0.0, up  # + 0.0: no -0.0


def overruled(checks: pd.DataFrame) -> np.ndarray:
    """Which of `checks` (in the frame's order: item, time, id) are gone or ended readings that a
    later live check of the same wave overrode. The one status rule lets the latest known look of a
    wave decide; a reading it overrode is no removal here either, so the curve and the wave table
    say the same of every item. (Wayback lookups and checks of no wave stand on their own.)"""
    out = np.zeros(len(checks), dtype=bool)
    waved = (checks["wave_id"].notna() & (checks["method"] != str(Method.WAYBACK))).to_numpy()
    live = np.flatnonzero(waved & (checks["family"] == "live").to_numpy())
    ended = np.flatnonzero(waved & checks["family"].isin(["gone", "ended"]).to_numpy())
    if not len(live) or not len(ended):
        return out
    # One integer per (item, wave); each one's last live position, found by binary search.
    waves = checks["wave_id"].to_numpy(dtype=np.int64, na_value=0)
    key = checks["item_id"].to_numpy(dtype=np.int64) * (int(waves.max()) + 1) + waves
    order = np.argsort(key[live], kind="stable")  # stable: positions stay ascending within a key
    keys, spots = key[live][order], live[order]
    last = np.r_[keys[1:] != keys[:-1], True]
    keys, spots = keys[last], spots[last]
    at = np.minimum(np.searchsorted(keys, key[ended]), len(keys) - 1)
    out[ended[(keys[at] == key[ended]) & (spots[at] > ended)]] = True
    return out


CHUNK = 100_000  # checks per block of items in `intervals` (a block's arrays, not all checks', at once)


def intervals(cf: CaseFrame, origin: str) -> tuple[pd.DataFrame, dict[str, int], int]:
    """Per-item (L, R] in days from `origin`, the exclusions by cause, and the reappearance count."""
    column = "first_seen_t" if origin == "first_capture" else "noticed_at_t"
    items = cf.items[["item_id", column]].rename(columns={column: "t0"})
    excluded: dict[str, int] = {}
    # A date taken from the import time says nothing of when the item was seen: such captures never
    # give a first capture, such checks never bound a removal.
    import_dated = set(cf.items.loc[cf.items["import_dated"].astype(bool), "item_id"]) if origin == "first_capture" else set()
    # The checks are in item order (`frame._check_order`): they are read a block of whole items at
    # a time (an item's checks all in one block), so that the arrays made of them are a block's,
    # not those of 500,000 checks at once (~50 MB). Every step is per item: the blocks' results
    # are the whole's. Families are the checks' category codes: an object array of them was 4 MB,
    # and every copy of it as much again.
    checks = cf.checks
    codes, code = _family_codes(checks)
    blocks = _item_blocks(checks["item_id"].to_numpy(), CHUNK)
    known = np.isin(codes, [code["live"], code["gone"], code["ended"]])
    dated = known.copy()
    for a, b in blocks:
        part = checks.iloc[a:b]
        dated[a:b] &= (part["date_source"].to_numpy(dtype=object) != str(DateSource.IMPORT_TIME)) & ~overruled(part)
    checked = checks["item_id"].to_numpy()
    # Items whose every known check is dated at import time (numpy's set operations).
    only_import = np.setdiff1d(checked[known], checked[dated])
    del known
    import_dated |= set(np.intersect1d(only_import, items.dropna(subset=["t0"])["item_id"].to_numpy()).tolist())
    missing = int((items["t0"].isna() & ~items["item_id"].isin(import_dated)).sum())
    if missing:
        excluded["no first capture date" if origin == "first_capture" else "not noticed"] = missing
    if import_dated:
        excluded[IMPORT_DATED] = len(import_dated)
    items = items.dropna(subset=["t0"])
    items = items[~items["item_id"].isin(import_dated)]
    origins = items.sort_values("item_id", kind="stable")
    ids, starts = origins["item_id"].to_numpy(), origins["t0"].values  # UTC datetime64
    early: set[int] = set()
    parts, reappeared = [], 0
    for a, b in blocks:
        part, gone_early, again = _block_intervals(cf, checks.iloc[a:b], codes[a:b], code, dated[a:b], ids, starts)
        early |= gone_early
        reappeared += again
        parts.append(part)
    if early:
        excluded["already gone at the origin"] = len(early)
    filled = [part for part in parts if len(part)]
    frame = pd.concat(filled) if len(filled) > 1 else (filled or parts)[0]  # parts: one block at least
    silent = len(items) - len(early) - len(frame)
    if silent:
        excluded["no live or gone check after the origin"] = silent
    frame["L"], frame["R"] = binned(frame["L"], frame["R"], RESOLUTION_HOURS)
    return frame[["L", "R", "event"]].reset_index(), excluded, reappeared


def _item_blocks(item_id: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Row ranges [a, b) of about `size` rows over `item_id` (sorted), each ending where an item
    does; one range (the whole) when there are fewer rows, or none."""
    n = len(item_id)
    bounds = [0]
    while bounds[-1] + size < n:
        cut = int(np.searchsorted(item_id, item_id[bounds[-1] + size], side="right"))
        if cut >= n:
            break
        bounds.append(cut)
    return list(zip(bounds, [*bounds[1:], n], strict=True))


def _block_intervals(cf: CaseFrame, checks: pd.DataFrame, codes: np.ndarray, code: dict[str, int], dated: np.ndarray,
                     ids: np.ndarray, starts: np.ndarray) -> tuple[pd.DataFrame, set[int], int]:
    """`intervals` for a block of whole items' `checks`: per item its gone, ended, event, stop,
    last_live, L and R (R before binning), the items already gone at the origin, and how many
    items reappeared. `ids`, `starts`: the items left and their origins, by id."""
    # Each dated check of an item left, with the item's origin (an inner join on the item): its
    # position among the checks, and only then its columns, so that each is copied once.
    rows = np.flatnonzero(dated)
    item_id = checks["item_id"].to_numpy()[rows]
    at = np.minimum(np.searchsorted(ids, item_id), max(len(ids) - 1, 0))
    joined = (ids[at] == item_id) if len(ids) else np.zeros(len(item_id), dtype=bool)
    rows, item_id, t0 = rows[joined], item_id[joined], starts[at[joined]]
    del at, joined
    family = codes[rows]
    rel = (pd.Series(checks["t"].values[rows]) - pd.Series(t0)).dt.total_seconds().to_numpy() / DAY
    # The end of the wave of each check (Wayback lookups and checks of no wave: NaT, their own time).
    end = (pd.Series(_wave_ends_of(cf.waves, checks)[rows]) - pd.Series(t0)).dt.total_seconds().to_numpy() / DAY
    del rows, t0
    early = set(item_id[(family == code["gone"]) & (rel <= 0)].tolist())
    keep = (rel > 0) & ~np.isin(item_id, np.fromiter(early, dtype=np.int64, count=len(early)))
    # Column by column: a frame made at once stacks the float columns into one block, a copy.
    after = pd.DataFrame({"item_id": item_id[keep]})
    after["rel"] = rel[keep]
    after["family"] = family[keep]
    after["end"] = np.fmax(rel[keep], end[keep])  # fmax: a check of no wave keeps its time
    del item_id, family, rel, keep, end
    gone = after[after["family"] == code["gone"]].groupby("item_id")["rel"].min()
    ended = after[after["family"] == code["ended"]].groupby("item_id")["rel"].min()
    frame = pd.DataFrame(index=pd.Index(np.unique(after["item_id"].to_numpy()), name="item_id"))
    frame["gone"] = gone
    frame["ended"] = ended
    frame["event"] = frame["gone"].notna() & (frame["ended"].isna() | (frame["gone"] < frame["ended"]))
    frame["stop"] = frame["gone"].where(frame["event"], frame["ended"]).fillna(math.inf)
    live = after[after["family"] == code["live"]].join(frame["stop"], on="item_id")
    before = live[live["rel"] < live["stop"]]
    # A wave is one look: an item it saw live counts as live until the wave's last check, so that
    # the items it saw gone a minute later do not make the NPMLE place that item's removal (or
    # its right-censored survival) before their removals. Its own gone check in the same wave
    # stays after its live one: then the check's own time counts.
    frame["last_live"] = before["end"].where(before["end"] < before["stop"], before["rel"]).groupby(before["item_id"]).max()
    reappeared = int(live[live["rel"] > live["stop"]].loc[lambda d: d["item_id"].isin(frame.index[frame["event"]]), "item_id"].nunique())
    frame["L"] = frame["last_live"].fillna(0.0)
    frame["R"] = frame["gone"].where(frame["event"], math.inf)
    # An item seen only sold (or only gone before the origin) says nothing about removal after it.
    frame = frame[frame["event"] | frame["last_live"].notna()]
    return frame, early, reappeared


def _family_codes(checks: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
    """The checks' families as integer codes, and the code of live, gone and ended (-2, which no
    check has, for a family no check has)."""
    family = checks["family"].astype("category")  # a category already (`frame._checks`): no copy
    code = {name: -2 for name in ("live", "gone", "ended")}
    code.update((str(name), n) for n, name in enumerate(family.cat.categories))
    return family.cat.codes.to_numpy(), code


def _wave_ends(cf: CaseFrame) -> np.ndarray:
    """Per check of `cf.checks`, the end of its wave (`_wave_ends_of`)."""
    return _wave_ends_of(cf.waves, cf.checks)


def _wave_ends_of(waves: pd.DataFrame, checks: pd.DataFrame) -> np.ndarray:
    """Per check, the end of its wave (UTC datetime64; NaT for a Wayback lookup, a check of no
    wave and one of a wave after as_of), looked up by numpy: a lookup through pandas made an
    object per check (500,000 of them, 50 MB at once)."""
    out = np.full(len(checks), np.datetime64("NaT"), dtype="datetime64[ns]")
    if not len(waves) or not len(checks):
        return out
    keys = waves["wave_id"].to_numpy(dtype=np.int64)
    ends = waves["end_t"].to_numpy(dtype="datetime64[ns]")  # UTC, as numpy holds it
    order = np.argsort(keys, kind="stable")
    keys, ends = keys[order], ends[order]
    wave = checks["wave_id"].to_numpy(dtype=np.int64, na_value=0)  # no wave: 0, never a wave's id
    at = np.minimum(np.searchsorted(keys, wave), len(keys) - 1)
    found = (keys[at] == wave) & checks["wave_id"].notna().to_numpy() & \
        ~(checks["method"] == str(Method.WAYBACK)).to_numpy()
    out[found] = ends[at[found]]
    return out


def estimate(cf: CaseFrame, origin: str, horizons: tuple[int, ...] = HORIZONS, bootstrap: int = BOOTSTRAP) -> Survival:
    """Turnbull estimate of time to removal from `origin`, with bootstrap intervals."""
    data, excluded, reappeared = intervals(cf, origin)
    result = Survival(origin=origin, items=len(data), removals=int(data["event"].sum()),
                      censored=int((~data["event"]).sum()), excluded=excluded, reappeared=reappeared)
    if result.removals == 0:
        return result
    grouped = data.groupby(["L", "R"]).size().reset_index(name="n")
    if len(grouped) > MAX_DISTINCT:
        # Many distinct intervals (origins spread over time): whole days keep the fit tractable.
        result.resolution_hours = 24
        data["L"], data["R"] = binned(data["L"], data["R"], 24)
        grouped = data.groupby(["L", "R"]).size().reset_index(name="n")
    left, right, weights = grouped["L"].to_numpy(), grouped["R"].to_numpy(), grouped["n"].to_numpy(float)
    support = innermost(left, right)
    fit = turnbull(left, right, weights, support=support, tol=FIT_TOL, max_iter=5_000)
    rng = np.random.Generator(np.random.PCG64(SEED))
    draws = rng.multinomial(int(weights.sum()), weights / weights.sum(), size=bootstrap)
    boots = turnbull_many(left, right, draws, start=fit.mass, support=support, tol=BOOT_TOL, max_iter=BOOT_ITER)
    alpha = (1 - LEVEL) / 2

    def interval(values: list[float]) -> tuple[float, float]:
        low, high = np.quantile(np.asarray(values), [alpha, 1 - alpha], method="inverted_cdf")
        return float(low), float(high)

    medians = [b.median() for b in boots]
    result.median = Estimate(fit.median(), *interval(medians))
    for days in horizons:
        result.within[days] = Estimate(fit.gone_by(days), *interval([b.gone_by(days) for b in boots]),
                                       possible=fit.possibly_gone_by(days))
    still = 1 - np.cumsum(fit.mass)
    result.curve = [(0.0, 1.0)] + [(float(t), float(max(s, 0.0))) for t, s in zip(fit.right, still, strict=True)
                                   if math.isfinite(t)]
    return result
