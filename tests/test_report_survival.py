"""Time to removal: the Turnbull estimate against hand-worked examples and against lifelines."""

from __future__ import annotations

import numpy as np
import pytest
from report_builder import CaseBuilder

from toolkit.report.frame import build_frame
from toolkit.report.survival import estimate, innermost, intervals, turnbull

INF = np.inf


def test_disjoint_intervals_give_the_empirical_shares():
    # Two gone in (0,1], one in (1,2], one live at day 2: each observation holds one innermost
    # interval, so the NPMLE is the share of observations in each: 2/4, 1/4, 1/4.
    fit = turnbull([0, 0, 1, 2], [1, 1, 2, INF])
    assert list(fit.right) == [1, 2, INF]
    assert fit.mass == pytest.approx([0.5, 0.25, 0.25], abs=1e-9)
    assert fit.gone_by(1) == pytest.approx(0.5) and fit.gone_by(2) == pytest.approx(0.75)
    assert fit.median() == 1


def test_overlapping_intervals_hand_worked():
    # Observations A=(0,2], B=(1,3], C=(0,1], D=(2,inf). Innermost intervals: (0,1], (1,2], (2,3].
    # Likelihood (p1+p2)(p2+p3) p1 p3 with p1+p2+p3 = 1 is maximised at p = (1/2, 0, 1/2):
    # by symmetry p1 = p3 = a, and (1-a)^2 a^2 peaks at a = 1/2. So S(1) = S(2) = 1/2, S(3) = 0.
    left, right = innermost(np.array([0, 1, 0, 2.0]), np.array([2, 3, 1, INF]))
    assert list(zip(left, right, strict=True)) == [(0, 1), (1, 2), (2, 3)]
    fit = turnbull([0, 1, 0, 2], [2, 3, 1, INF])
    assert fit.mass == pytest.approx([0.5, 0.0, 0.5], abs=1e-3)
    assert 1 - fit.gone_by(2) == pytest.approx(0.5, abs=1e-3)
    assert fit.gone_by(3) == pytest.approx(1.0)


def test_exact_times_reduce_to_kaplan_meier():
    # Events at 2 and 4, censored at 3 and 5. Kaplan-Meier by hand: S(2) = 3/4, S(4) = 3/4 * 1/2 = 0.375.
    eps = 1e-3
    fit = turnbull([2 - eps, 3, 4 - eps, 5], [2, INF, 4, INF])
    assert 1 - fit.gone_by(2) == pytest.approx(0.75, abs=1e-6)
    assert 1 - fit.gone_by(4) == pytest.approx(0.375, abs=1e-6)
    lifelines = pytest.importorskip("lifelines")
    km = lifelines.KaplanMeierFitter().fit([2, 3, 4, 5], [1, 0, 1, 0])
    assert 1 - fit.gone_by(4) == pytest.approx(float(km.survival_function_at_times(4).iloc[0]), abs=1e-6)


def test_agrees_with_lifelines_npmle_on_wave_like_data():
    npmle = pytest.importorskip("lifelines.fitters.npmle")
    rng = np.random.default_rng(7)
    checks = np.array([0, 3, 7, 14, 30, 45.0])
    left, right = [], []
    for _ in range(60):
        gone = rng.exponential(20)
        seen = checks[rng.random(len(checks)) < 0.7]  # each item misses some checks
        seen = np.union1d([0.0], seen)
        after = seen[seen >= gone]
        left.append(float(seen[seen < gone].max()))
        right.append(float(after.min()) if len(after) else INF)
    fit = turnbull(left, right)
    # lifelines takes closed intervals [l, r]; (l, r] is [l + tiny, r] on this grid of whole days.
    mass, spans = npmle.npmle(np.array(left) + 1e-6, np.array(right), tol=1e-12)
    reference = {round(span.right, 6): m for span, m in zip(spans, mass, strict=True)}
    ours = {round(float(r), 6): m for r, m in zip(fit.right, fit.mass, strict=True)}
    assert set(ours) == set(reference)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-3), key


def test_intervals_from_checks_with_hours_rounded_up(tmp_path):
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-04-12T00:00:00Z")
    b.wave("w2", "2021-04-20T00:00:00Z")
    one = b.item("one", first_seen="2021-04-10T09:30:00Z")
    b.check(one, "w1", "2021-04-12T10:10:00Z", "available")
    b.check(one, "w2", "2021-04-14T00:00:00Z", "error")  # an unknown says nothing
    b.check(one, "w2", "2021-04-20T08:00:00Z", "unavailable")
    b.check(one, None, "2021-04-25T08:00:00Z", "available")  # back again: counted as reappeared
    early = b.item("early", first_seen="2021-04-10T09:30:00Z")
    b.notice(early, "2021-04-16T00:00:00Z")
    b.check(early, "w1", "2021-04-12T10:00:00Z", "unavailable")  # gone before it was reported
    sold = b.item("sold", kind="listing", first_seen="2021-04-10T09:30:00Z")
    b.check(sold, "w1", "2021-04-12T12:00:00Z", "available")
    b.check(sold, "w2", "2021-04-20T12:00:00Z", "sold")
    for item in (one, early, sold):
        b.review(item)
    b.close()
    import sqlite3

    conn = sqlite3.connect(tmp_path / "c" / "case.db")
    conn.row_factory = sqlite3.Row
    cf = build_frame(conn, "2021-06-01T00:00:00Z")
    data, excluded, reappeared = intervals(cf, "first_capture")
    rows = {int(r.item_id): (r.L, r.R, r.event) for r in data.itertuples()}
    # Seen live at 2 d 0 h 40 min in w1, whose last check ("sold", at 2 d 2 h 30 min) ends the look:
    # live until then, up to 2 d 3 h.
    assert rows[one][0] == pytest.approx(2 + 3 / 24)
    assert rows[one][1] == pytest.approx(9 + 23 / 24)  # 9 d 22 h 30 min, up to 9 d 23 h
    assert rows[one][2]
    assert rows[early][:2] == (0.0, pytest.approx(2 + 1 / 24)) and rows[early][2]
    assert rows[sold][1] == INF and not rows[sold][2]  # sold is not a takedown: censored
    assert reappeared == 1 and excluded == {}
    notice = estimate(cf, "notice")
    assert notice.excluded == {"not noticed": 2, "already gone at the origin": 1}
    assert notice.items == 0 and notice.median is None
