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
or another hit does (hits counted with repeats). Records with a `within` term or overlapping hits,
or with such a term and contact indicators (an indicator may share the term's span), are not
handled here: their score depends on positions, and the rule engine scores them. `Scorer.score_plain` on the same record gives the same numbers (a test
checks it on every record of a corpus), plus the explanation, which is built only when read.
"""

from __future__ import annotations

import numpy as np

from toolkit.lexicon.scoring import ANYWHERE, SELF, Scorer

MEMO_LIMIT = 100_000  # distinct (totals, signals) kept; cleared when full so memory stays flat


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
        self.scores = np.array(scorer.scores, dtype=bool)
        self.memo: dict[bytes, tuple[float, float, str | None]] = {}
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

    def numbers(self, count: int, rec: np.ndarray, tid: np.ndarray, kinds: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """Score, raw value and category of `count` records from their hits' rows.

        `rec` and `tid` hold one row per hit, grouped by record and in hit order within each record
        (records numbered 0..count-1, each with at least one scoring hit); `kinds` is each record's
        mask of indicator types (contact included). No record may have a `within` term, overlapping
        hits, or a term that requires a signal it gives itself together with contact indicators.
        """
        signals = kinds.copy()
        np.bitwise_or.at(signals, rec, self.give[tid])
        # Each scoring term counts once per record: at its first row.
        scoring = np.flatnonzero(self.scores[tid])
        pair = rec[scoring] * len(self.weight) + tid[scoring]
        _, first = np.unique(pair, return_index=True)
        rows = scoring[np.sort(first)]
        rrec, rtid = rec[rows], tid[rows]
        held = signals[rrec]
        counted = self.weight[rtid]
        alone = self.anywhere[rtid] & ((held & self.required[rtid]) == 0)
        own = self.self_rule[rtid]
        if own.any():
            alone[own] = self._self_missing(count, rec, tid, kinds, rrec[own], rtid[own])
        counted = np.where(alone, counted * self.share[rtid], counted)
        counted = np.where((held & self.excluding[rtid]) != 0, 0.0, counted)
        width = len(self.categories)
        cell = rrec * width + self.category[rtid]
        # bincount adds in row order: the same sums, in the same order, as the rule engine's.
        totals = np.bincount(cell, weights=counted, minlength=count * width).reshape(count, width)
        present = np.bincount(cell, minlength=count * width).reshape(count, width) > 0
        keys = np.concatenate((totals.view(np.int64), present.astype(np.int64), signals.view(np.int64)[:, None]), axis=1)
        distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
        values = [self._numbers(row) for row in distinct]
        score = np.array([v[0] for v in values], dtype=np.float64)[inverse.ravel()]
        raw = np.array([v[1] for v in values], dtype=np.float64)[inverse.ravel()]
        labels = [v[2] for v in values]
        category = [labels[i] for i in inverse.ravel().tolist()]
        return score, raw, category

    def _self_missing(self, count: int, rec: np.ndarray, tid: np.ndarray, kinds: np.ndarray, rrec: np.ndarray,
                      rtid: np.ndarray) -> np.ndarray:
        """For terms that require a signal they give themselves (at rows `rrec`, `rtid`): whether
        every required signal is missing, i.e. no indicator type gives it and no hit other than
        the term's own one does (hits counted with repeats, as the rule engine counts them)."""
        shifts = np.arange(self.width, dtype=np.uint64)
        one = np.uint64(1)
        givers = np.zeros((count, self.width), dtype=np.int64)  # per record and signal: hits giving it
        np.add.at(givers, rec, ((self.give[tid][:, None] >> shifts) & one).astype(np.int64))
        own = ((self.give[rtid][:, None] >> shifts) & one).astype(np.int64)
        present = (givers[rrec] > own) | (((kinds[rrec][:, None] >> shifts) & one) != 0)
        required = ((self.required[rtid][:, None] >> shifts) & one) != 0
        return ~(present & required).any(axis=1)

    def _numbers(self, row: np.ndarray) -> tuple[float, float, str | None]:
        key = row.tobytes()
        found = self.memo.get(key)
        if found is None:
            width = len(self.categories)
            totals_row = row[:width].view(np.float64)
            present = row[width : 2 * width]
            totals = {category: float(total) for category, total, here in
                      zip(self.categories, totals_row.tolist(), present.tolist(), strict=True) if here}
            names = self.scorer.bits.names_of(int(row[-1]) & ((1 << 64) - 1))
            score, raw, category = self.scorer._numbers(totals, names)[:3]
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[key] = (score, raw, category)
        return found
