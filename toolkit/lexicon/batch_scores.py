"""Scores for a whole batch at once, with array operations, for the records whose score is a sum.

Most records are scored by terms that count their weight, or their `alone` share when a required
signal is nowhere in the record, or nothing when an excluding context is present. For them the
score needs no positions, only which signals the record holds, so it can be computed for every
such record of a batch together:

- a record's signals are the bitwise OR of its hits' signal masks and its indicators' types;
- each scoring term counts once per record (its first hit), in the order the hits come;
- the totals per category are sums in that order (the same additions, in the same order, as
  `Scorer.score_plain` makes, so the same floating-point values);
- the score, raw value and category follow from the totals and the signals by `Scorer._numbers`,
  called once per distinct (totals, signals) in the batch, and memoised.

A term that requires a signal it gives itself counts in full when an indicator gives that signal
or another hit does (hits counted with repeats; where hits overlap, the rule engine's test of a
hit at another place, asked of the caller). A `within` term asks its caller whether a signal is
near (positions, one Python check per such term). A hit inside a longer hit of another term does
not count. Records with a term that requires a signal it gives itself together with contact
indicators (an indicator may share the term's span) are not handled here.

The rule engine (`Scorer.score_plain`, or `Scorer.score` for overlapping hits) gives the same
numbers on every record (tests check it on every record of a corpus), plus the explanation, which
is built only when read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from toolkit.lexicon.scoring import ANYWHERE, SELF, WITHIN, Scorer

MEMO_LIMIT = 100_000  # distinct (totals, signals) kept; cleared when full so memory stays flat


@dataclass(slots=True)
class Bulk:
    """What `BatchScorer.numbers` gives for the records it scored (numbered 0..count-1).

    Per record: `score`, `raw`, `category`, `signals` (mask), and `values[inverse[i]]`, the full
    `Scorer._numbers` tuple (with the values per category, boosts and negatives). Per counted
    term (a record's first row of a scoring term, in order): `rows` (index into the rows given),
    `counted`, `alone` and `excluded` (whether an excluding context is present). Together they
    are what a Score's explanation is made of.
    """

    score: np.ndarray
    raw: np.ndarray
    category: list[str | None]
    signals: np.ndarray
    values: list[tuple]
    inverse: np.ndarray
    rows: np.ndarray
    counted: np.ndarray
    alone: np.ndarray
    excluded: np.ndarray


class BatchScorer:
    """Per-term arrays of a Scorer, and the memo of numbers per (totals, signals)."""

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        spec = scorer.spec
        self.categories = sorted({s[0] for s, scores in zip(spec, scorer.scores, strict=True) if scores})
        column = {category: i for i, category in enumerate(self.categories)}
        self.category = np.array([column.get(s[0], 0) for s in spec], dtype=np.int64)
        self.weight = np.array([float(s[1]) for s in spec], dtype=np.float64)
        self.share = np.array([float(s[5]) for s in spec], dtype=np.float64)
        self.anywhere = np.array([s[2] == ANYWHERE for s in spec], dtype=bool)
        self.self_rule = np.array([s[2] == SELF for s in spec], dtype=bool)
        self.within = np.array([s[2] == WITHIN for s in spec], dtype=bool)
        self.scores = np.array(scorer.scores, dtype=bool)
        self.memo: dict[bytes, tuple] = {}  # what Scorer._numbers gives, per (totals, signals)
        self.refresh()

    def refresh(self) -> bool:
        """(Re)build the signal-mask arrays; False when the signals no longer fit in 63 bits.

        New indicator types get a bit when first seen, so the masks can grow after construction.
        """
        bits = self.scorer.bits
        self.width = len(bits.names)
        if self.width > 63:
            return False
        self.give = np.array(self.scorer.give_mask, dtype=np.uint64)
        self.required = np.array([s[6] for s in self.scorer.spec], dtype=np.uint64)
        self.excluding = np.array([s[7] for s in self.scorer.spec], dtype=np.uint64)
        return True

    def usable(self) -> bool:
        """Whether the signal masks fit in one 64-bit word (user lexicons may define many tags)."""
        return (len(self.scorer.bits.names) == self.width or self.refresh()) and self.width <= 63

    def numbers(self, count: int, rec: np.ndarray, tid: np.ndarray, kinds: np.ndarray, covered: np.ndarray | None,
                near: Callable[[np.ndarray], np.ndarray], overlapping: np.ndarray | None = None,
                elsewhere: Callable[[np.ndarray], np.ndarray] | None = None) -> Bulk:
        """Score, raw value and category of `count` records from their hits' rows (see `Bulk`).

        `rec` and `tid` hold one row per hit, in hit order within each record and the record's
        fields in order (records numbered 0..count-1, each with at least one scoring hit); `kinds`
        is each record's mask of indicator types (contact included). `covered` marks the rows
        inside a longer hit of another scoring term (see scoring._covered), which do not count;
        `near(rows)` says, for the given rows of `within` terms, whether a signal they require
        is within reach. In records marked `overlapping` (whose hits overlap: the rule engine
        decides them by positions), `elsewhere(rows)` says, for rows of terms that require a
        signal they give themselves, whether a hit at another place gives it. No record may have
        such a term together with contact indicators.
        """
        signals = kinds.copy()
        np.bitwise_or.at(signals, rec, self.give[tid])
        # Each scoring term counts once per record: at its first row that no longer hit covers.
        counts = self.scores[tid] if covered is None else self.scores[tid] & ~covered
        scoring = np.flatnonzero(counts)
        pair = rec[scoring] * len(self.weight) + tid[scoring]
        _, first = np.unique(pair, return_index=True)
        rows = scoring[np.sort(first)]
        rrec, rtid = rec[rows], tid[rows]
        held = signals[rrec]
        counted = self.weight[rtid]
        alone = self.anywhere[rtid] & ((held & self.required[rtid]) == 0)
        within = self.within[rtid]
        if within.any():
            alone[within] = ~near(rows[within])
        own = self.self_rule[rtid]
        if own.any():
            missing = self._self_missing(count, rec, tid, kinds, rrec[own], rtid[own])
            if overlapping is not None and elsewhere is not None:
                positional = overlapping[rrec[own]]
                if positional.any():
                    missing[positional] = ~elsewhere(rows[own][positional])
            alone[own] = missing
        counted = np.where(alone, counted * self.share[rtid], counted)
        counted = np.where((held & self.excluding[rtid]) != 0, 0.0, counted)
        width = len(self.categories)
        cell = rrec * width + self.category[rtid]
        # bincount adds in row order: the same sums, in the same order, as the rule engine's.
        totals = np.bincount(cell, weights=counted, minlength=count * width).reshape(count, width)
        present = np.bincount(cell, minlength=count * width).reshape(count, width) > 0
        keys = np.concatenate((totals.view(np.int64), present.astype(np.int64), signals.view(np.int64)[:, None]), axis=1)
        representative, inverse = _distinct_rows(keys)
        values = [self._numbers(keys[i]) for i in representative.tolist()]
        score = np.array([v[0] for v in values], dtype=np.float64)[inverse]
        raw = np.array([v[1] for v in values], dtype=np.float64)[inverse]
        labels = [v[2] for v in values]
        category = [labels[i] for i in inverse.tolist()]
        excluded = (held & self.excluding[rtid]) != 0
        return Bulk(score, raw, category, signals, values, inverse, rows, counted, alone, excluded)

    def _self_missing(self, count: int, rec: np.ndarray, tid: np.ndarray, kinds: np.ndarray, rrec: np.ndarray,
                      rtid: np.ndarray) -> np.ndarray:
        """For terms that require a signal they give themselves (at rows `rrec`, `rtid`): whether
        every required signal is missing, i.e. no indicator type gives it and no hit other than
        the term's own one does (hits counted with repeats, as the rule engine counts them)."""
        # Only the signals these terms require, and only the hits of their records, are counted.
        needed = int(np.bitwise_or.reduce(self.required[rtid]))
        shifts = np.array([i for i in range(self.width) if needed >> i & 1], dtype=np.uint64)
        one = np.uint64(1)
        mine = np.zeros(count, dtype=bool)
        mine[rrec] = True
        rows = mine[rec]
        givers = np.zeros((count, len(shifts)), dtype=np.int64)  # per record and signal: hits giving it
        np.add.at(givers, rec[rows], ((self.give[tid[rows]][:, None] >> shifts) & one).astype(np.int64))
        own = ((self.give[rtid][:, None] >> shifts) & one).astype(np.int64)
        present = (givers[rrec] > own) | (((kinds[rrec][:, None] >> shifts) & one) != 0)
        required = ((self.required[rtid][:, None] >> shifts) & one) != 0
        return ~(present & required).any(axis=1)

    def _numbers(self, row: np.ndarray) -> tuple:
        key = row.tobytes()
        found = self.memo.get(key)
        if found is None:
            width = len(self.categories)
            totals_row = row[:width].view(np.float64)
            present = row[width : 2 * width]
            totals = {category: float(total) for category, total, here in
                      zip(self.categories, totals_row.tolist(), present.tolist(), strict=True) if here}
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[key] = self.scorer._numbers(totals, int(row[-1]) & ((1 << 64) - 1))
        return found


def _distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One representative row index per distinct row of `keys` (int64), and each row's group.

    Rows are grouped by a 64-bit hash of their columns, then every row is compared with its
    group's representative in full: a hash collision (never seen, but possible) falls back to an
    exact sort of the rows.
    """
    weights = np.arange(1, 2 * keys.shape[1], 2, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    hashed = (keys.view(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    if (keys == keys[first[inverse]]).all():
        return first, inverse.ravel()
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()
