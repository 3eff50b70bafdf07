"""Audit of time to removal: the estimate must agree with what the waves saw.

A wave reads its items one after another, minutes or hours apart. The Turnbull estimate worked on
the clock times of the checks, so an item a wave saw live at 10:00 could be "removed" at the
10:05 check that saw another item gone, and a last wave that found 2 of 10 gone reported every
item gone (the curve at 0, "gone within 7 days: 100%").
"""

from __future__ import annotations

import orjson
from report_builder import CaseBuilder

NOTICED = "2021-04-16T15:00:00Z"


def _case(root, waves: dict[str, list[str]]):
    """Ten pages noticed together; each wave checks them one a minute, in item order."""
    b = CaseBuilder(root)
    for name in waves:
        b.wave(name, f"{name}T10:00:00Z")
    for n in range(10):
        item = b.item(f"cruce.page.{n}", name=f"Cruce {n}")
        b.review(item)
        b.notice(item, NOTICED)
        for name, statuses in waves.items():
            b.check(item, name, f"{name}T10:{n:02d}:30Z", statuses[n])
    return b.close()


def _survival(tmp_path, invoke, case) -> dict:
    result = invoke("report", case, "-o", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    return orjson.loads((tmp_path / "out" / "report.json").read_bytes())["time_to_removal"]["notice"]


LIVE, GONE = "available", "unavailable"


def test_a_wave_that_finds_two_of_ten_gone_says_two_of_ten(tmp_path, invoke):
    # Items 3 and 7 read gone at 10:03 and 10:07; the others live, some of them read before.
    case = _case(tmp_path / "c", {"2021-04-20": [GONE if n in (3, 7) else LIVE for n in range(10)]})
    notice = _survival(tmp_path, invoke, case)
    assert (notice["items"], notice["removals"], notice["censored"]) == (10, 2, 8)
    assert notice["gone_within_days"]["7"]["value"] == 0.2  # the wave's own 2 of 10
    assert notice["gone_within_days"]["30"]["value"] == 0.2
    assert notice["median_days"]["value"] is None  # not reached: 8 of 10 were still live
    assert notice["curve"][-1][1] == 0.8


def test_an_item_seen_live_in_a_wave_is_not_removed_in_it(tmp_path, invoke):
    # First wave (day 4): only item 5 gone, read at 10:05, after items 0-4 were read live.
    # Second wave (day 11): items 0-4 gone too; 6-9 still live.
    case = _case(tmp_path / "c", {"2021-04-20": [GONE if n == 5 else LIVE for n in range(10)],
                                  "2021-04-27": [GONE if n <= 5 else LIVE for n in range(10)]})
    notice = _survival(tmp_path, invoke, case)
    assert (notice["items"], notice["removals"], notice["censored"]) == (10, 6, 4)
    assert notice["gone_within_days"]["7"]["value"] == 0.1  # 1 of 10 by the first wave, as it saw
    assert notice["gone_within_days"]["30"]["value"] == 0.6  # 6 of 10 by the second
    assert [share for _, share in notice["curve"]] == [1.0, 0.9, 0.4]


def test_the_wave_table_and_the_curve_agree_on_a_wave_spanning_hours(tmp_path, invoke):
    # One wave read over three hours, the live items first: the curve at the wave is its own share.
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-05-17T13:00:00Z")
    for n in range(6):
        item = b.item(f"cruce.page.{n}", name=f"Cruce {n}")
        b.review(item)
        b.notice(item, NOTICED)
        b.check(item, "w1", f"2021-05-17T1{3 + n // 2}:{n * 7:02d}:00Z", LIVE if n < 4 else GONE)
    case = b.close()
    notice = _survival(tmp_path, invoke, case)
    assert notice["curve"][-1][1] == round(4 / 6, 4)
    assert notice["gone_within_days"]["30"]["value"] == 0.0 and notice["median_days"]["value"] is None


def test_a_gone_reading_a_later_look_of_the_same_wave_overrode_is_not_a_removal(tmp_path, invoke):
    # Wave 2 reads item 0 gone at 10:00 (a glitch), then a manual look at 10:20 sees it live: the
    # wave (the one status rule) says live, so time to removal must not remove it there. Before:
    # the wave table said 0 of 2 gone while the curve said 1 of 2 gone within 7 days.
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-04-17T10:00:00Z")
    b.wave("w2", "2021-04-20T10:00:00Z")
    b.wave("w3", "2021-04-27T10:00:00Z")
    items = []
    for n in range(2):
        item = b.item(f"cruce.page.{n}", name=f"Cruce {n}")
        b.review(item)
        b.notice(item, NOTICED)
        b.check(item, "w1", f"2021-04-17T10:0{n}:00Z", LIVE)
        items.append(item)
    b.check(items[0], "w2", "2021-04-20T10:00:00Z", GONE)
    b.check(items[0], "w2", "2021-04-20T10:20:00Z", LIVE, method="manual")
    b.check(items[1], "w2", "2021-04-20T10:01:00Z", LIVE)
    # Wave 3: item 1 gone, then live, then gone again in the same wave: gone, dated by its last gone look.
    b.check(items[0], "w3", "2021-04-27T10:00:00Z", LIVE)
    b.check(items[1], "w3", "2021-04-27T10:01:00Z", GONE)
    b.check(items[1], "w3", "2021-04-27T10:30:00Z", LIVE, method="manual")
    b.check(items[1], "w3", "2021-04-27T11:30:00Z", GONE, method="manual")
    case = b.close()
    notice = _survival(tmp_path, invoke, case)
    assert (notice["removals"], notice["censored"], notice["reappeared"]) == (1, 1, 0)
    assert notice["gone_within_days"]["7"]["value"] == 0.0  # wave 2 saw both live
    assert notice["gone_within_days"]["30"]["value"] == 0.5  # wave 3: item 1 gone
    waves = orjson.loads((tmp_path / "out" / "report.json").read_bytes())["waves"]
    assert [(w["wave"], w["live"], w["gone"]) for w in waves] == [("w1", 2, 0), ("w2", 2, 0), ("w3", 1, 1)]
    listed = invoke("waves", case, "--format", "json")
    # `toolkit waves` applies the confirmation rule: a first gone reading is pending there.
    assert [(w["live"], w["gone"] + w["pending"]) for w in orjson.loads(listed.output)] == [(2, 0), (2, 0), (1, 1)]


def test_overruled_is_a_later_live_look_of_the_same_wave():
    # Property: against the definition, check by check, on random frames in the frame's order.
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from toolkit.report.survival import overruled

    row = st.tuples(st.integers(1, 3), st.sampled_from([None, 1, 2]), st.sampled_from(["live", "manual", "wayback"]),
                    st.sampled_from(["live", "gone", "ended", "unknown"]))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(row, max_size=25))
    def check(rows):
        rows = sorted(rows, key=lambda r: r[0])  # by item; time order within an item is the list's
        frame = pd.DataFrame(rows, columns=["item_id", "wave_id", "method", "family"])
        frame["wave_id"] = pd.array(frame["wave_id"], dtype="Int64")
        frame["method"], frame["family"] = pd.Categorical(frame["method"]), pd.Categorical(frame["family"])
        expected = [f in ("gone", "ended") and w is not None and m != "wayback" and any(
            i2 == i and w2 == w and m2 != "wayback" and f2 == "live" for i2, w2, m2, f2 in rows[n + 1:])
            for n, (i, w, m, f) in enumerate(rows)]
        assert overruled(frame).tolist() == expected

    check()
