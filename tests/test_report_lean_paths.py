"""The report's leaner paths give what the paths they replaced gave: time to removal read a block
of whole items at a time (`survival.intervals`, `CHUNK`), and each row's audience found by numpy
(`frame._audience_at`) as pandas' merge_asof found it (`frame._audience_asof`)."""

from __future__ import annotations

import sqlite3
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from report_builder import CaseBuilder, synthetic

from toolkit.report import survival
from toolkit.report.frame import _audience_asof, _audience_at, build_frame


def _case(tmp_path) -> sqlite3.Connection:
    """The synthetic report case, with more items whose checks span waves, a reappearance, an item
    gone at its origin and checks of no wave (to split across blocks)."""
    root = synthetic(tmp_path / "c")
    b = CaseBuilder.__new__(CaseBuilder)
    b.root, b.db = root, sqlite3.connect(root / "case.db", isolation_level=None)
    b._waves = dict(b.db.execute("SELECT name, id FROM wave").fetchall())
    b.db.execute("BEGIN")
    for n in range(12):
        item = b.item(f"extra.{n}", first_seen=f"2021-04-1{n % 4}T09:30:00Z")
        b.review(item)
        if n % 3 == 0:
            b.notice(item, f"2021-04-2{n % 2}T10:00:00Z")
        b.check(item, "w1", f"2021-04-23T1{n % 5}:00:00Z", "available" if n % 4 else "unavailable")
        b.check(item, "w2", f"2021-05-17T1{n % 4}:00:00Z", ("available", "unavailable", "sold", "error")[n % 4])
        if n % 5 == 1:
            b.check(item, None, "2021-05-30T08:00:00Z", "available")  # back after a gone reading
        if n == 7:
            b.check(item, None, "2021-04-01T08:00:00Z", "unavailable")  # gone before its first capture
    b.close()
    conn = sqlite3.connect(root / "case.db")
    conn.row_factory = sqlite3.Row
    return conn


@pytest.mark.parametrize("origin", ["first_capture", "notice"])
def test_intervals_in_blocks_of_items_as_in_one(tmp_path, monkeypatch, origin):
    cf = build_frame(_case(tmp_path), "2021-06-30T00:00:00Z")
    whole, excluded, reappeared = survival.intervals(cf, origin)
    assert len(whole) > 10
    for size in (1, 2, 5):
        monkeypatch.setattr(survival, "CHUNK", size)
        assert len(survival._item_blocks(cf.checks["item_id"].to_numpy(), size)) > 1
        data, excluded_b, reappeared_b = survival.intervals(cf, origin)
        pd.testing.assert_frame_equal(data, whole)
        assert (excluded_b, reappeared_b) == (excluded, reappeared)


def test_item_blocks_end_where_items_end():
    item_id = np.array([1, 1, 1, 2, 3, 3, 4, 4, 4, 4, 9])
    blocks = survival._item_blocks(item_id, 2)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(item_id)
    assert all(a < b and b == c for (a, b), (c, _) in pairwise(blocks))
    assert all(item_id[b - 1] != item_id[b] for _, b in blocks[:-1])  # no item split
    assert survival._item_blocks(item_id, 100) == [(0, len(item_id))]
    assert survival._item_blocks(np.array([], dtype=np.int64), 2) == [(0, 0)]


def test_audience_at_as_merge_asof():
    rng = np.random.default_rng(3)
    base = np.datetime64("2021-04-10T00:00:00", "ns")
    # Few distinct times and items: ties of time within an item, captures after every wave end,
    # items without a capture, and a row whose wave ends before its item's first capture.
    owners = rng.integers(1, 30, 400)
    times = base + rng.integers(0, 12, 400).astype("timedelta64[D]")
    audience = pd.DataFrame({"item_id": owners, "t": pd.DatetimeIndex(times, tz="UTC"),
                             "audience": pd.array(rng.integers(0, 1000, 400).astype(float), dtype="Float64")})
    item_id = np.tile(np.arange(0, 40), 5)
    end_t = pd.array(pd.DatetimeIndex(base + np.repeat(np.array([-1, 2, 5, 5, 20]), 40).astype("timedelta64[D]"),
                                      tz="UTC"))
    got = _audience_at(item_id, end_t, audience)
    want = _audience_asof(item_id, end_t, audience)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got).any() and not np.isnan(got).all()
    empty = audience.iloc[:0]
    assert np.isnan(_audience_at(item_id, end_t, empty)).all()


def test_frames_hold_no_check_times_as_text(tmp_path):
    # 500,000 checks' times as text were ~37 MB held twice over (checks and tidy frame); the
    # frames hold them parsed (`t`), and the waves' first and last checks are still read as text.
    conn = _case(tmp_path)
    cf = build_frame(conn, "2021-06-30T00:00:00Z")
    assert "observed_at" not in cf.checks.columns and "observed_at" not in cf.frame.columns
    ends = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT wave_id, min(observed_at), max(observed_at) FROM \"check\" WHERE wave_id IS NOT NULL"
        " AND method != 'wayback' GROUP BY wave_id")}
    assert {w: (f, last) for w, f, last in cf.waves[["wave_id", "first_check", "last_check"]].itertuples(index=False)} == ends


def test_tidy_frame_holds_the_rules_readings_as_they_were(tmp_path):
    # The decided readings are held as small codes while the frames are made (`frame._Coded`):
    # the tidy frame must still hold each (item, wave)'s values as the status rule gave them, a
    # missing reason, detector or blind None (pandas' factorize makes it NaN), a blind reading
    # labelled BLIND.
    from toolkit.report.frame import BLIND, NOT_CHECKED
    from toolkit.store.status import decide, judge

    conn = _case(tmp_path)
    cf = build_frame(conn, "2021-06-30T00:00:00Z")
    judged = judge(conn, as_of="2021-06-30T00:00:00Z", items=cf.items["item_id"].tolist(), detector=True)
    at = decide(judged)
    waves = dict(zip(cf.waves["wave_id"], cf.waves["name"], strict=True))
    want = {(int(judged.item_id[n]), waves[int(judged.wave_id[n])]): n for n in at.tolist()}
    frame = cf.frame.astype({"wave": object})
    assert want and len(frame) > len(want)
    for row in frame.itertuples(index=False):
        n = want.get((row.item_id, row.wave))
        if n is None:
            assert row.status == row.label == NOT_CHECKED
            continue
        for column in ("reason", "detector", "blind"):
            value = getattr(judged, column)[n]
            assert getattr(row, column) is value or getattr(row, column) == value, column
        assert row.status == judged.status[n] and row.method == judged.method[n]
        assert row.label == (BLIND if judged.blind[n] is not None else judged.status[n])
    assert any(row.reason is None for row in frame.itertuples(index=False) if (row.item_id, row.wave) in want)


def test_audience_per_wave_as_grouped(tmp_path):
    # `audience.audience` reads each wave's block of the tidy frame: the same figures as the
    # groupby over (wave_order, wave) it replaced.
    from toolkit.report.audience import audience

    cf = build_frame(_case(tmp_path), "2021-06-30T00:00:00Z")
    got = audience(cf).waves
    groups = list(cf.frame.groupby(["wave_order", "wave"], observed=True, sort=True))
    assert [(w.order, w.wave, w.started_at) for w in got] == \
        [(int(order), str(wave), str(rows["wave_at"].iloc[0])) for (order, wave), rows in groups]
    for wave, (_, rows) in zip(got, groups, strict=True):
        having = rows.dropna(subset=["audience"])
        assert (wave.with_figure, wave.total) == (len(having), int(having["audience"].sum()))
        assert wave.live_with_figure == int((having["family"] == "live").sum())


def test_cohort_checks_of_a_large_cohort_as_judged_by_cohort(tmp_path, monkeypatch):
    # A cohort above NARROW: every check read, then the cohort's kept column by column
    # (`Judged.keep`): the same checks, in the same order, with the same readings as `judge`
    # looking them up by item. The synthetic case's checks of items outside the cohort (not
    # violating) must be left out.
    from dataclasses import fields

    from toolkit.store import report_queries as q
    from toolkit.store import status
    from toolkit.store.status import judge

    conn = _case(tmp_path)
    q.prepare_cohort(conn)
    ids = q.cohort_ids(conn)
    want = judge(conn, as_of="2021-06-30T00:00:00Z", items=ids, detector=True)
    every = judge(conn, as_of="2021-06-30T00:00:00Z", detector=True)
    assert 0 < len(want) < len(every)
    monkeypatch.setattr(status, "NARROW", 0)
    got = q.cohort_checks(conn, "2021-06-30T00:00:00Z", ids)
    for field in fields(want):
        a, b = getattr(got, field.name), getattr(want, field.name)
        assert (a is None) == (b is None), field.name
        if a is not None:
            assert a.dtype == b.dtype and a.tolist() == b.tolist(), field.name
