"""Confirmation rules computed from raw checks, waves and the per-wave summary."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from toolkit.case import open_case
from toolkit.errors import CaseError
from toolkit.recheck.confirm import Rule, confirmed_states, last_seen_live
from toolkit.recheck.waves import summary
from toolkit.store.checks import CheckRecord, insert_check, open_wave

WAVES = {"w1": "2021-05-01T00:00:00Z", "w2": "2021-05-17T00:00:00Z", "w3": "2021-06-01T00:00:00Z"}

# item -> wave -> [(status, method, minutes after the wave's start)]
HISTORY = {
    1: {"w1": [("unavailable", "live", 0)], "w2": [("unavailable", "live", 0)], "w3": [("login_required", "live", 0)]},
    2: {"w1": [("unavailable", "live", 0)], "w2": [("login_required", "live", 0)], "w3": [("unavailable", "live", 0)]},
    3: {"w1": [("unavailable", "live", 0)], "w2": [("available", "live", 0)], "w3": [("unavailable", "live", 0)]},
    4: {"w1": [("available", "live", 0)], "w3": [("error", "live", 0)]},
    5: {"w1": [("unavailable", "live", 0), ("available", "manual", 30), ("error", "live", 60)],
        "w2": [("not_seen", "export", 0), ("available", "wayback", -60 * 24 * 20)]},
}


@pytest.fixture
def filled(case):
    with open_case(case) as opened:
        conn = opened.db
        for n in HISTORY:
            conn.execute("INSERT INTO item (id, platform, kind, key, url, added_at) VALUES (?, 'facebook', 'page', ?, ?, ?)",
                         (n, f"p{n}", f"https://www.facebook.com/p{n}", "2021-04-01T00:00:00Z"))
        wave_ids = {name: open_wave(conn, name, start, "live") for name, start in WAVES.items()}
        for item, waves in HISTORY.items():
            for name, observed in waves.items():
                for status, method, minutes in observed:
                    start = datetime.fromisoformat(WAVES[name].replace("Z", "+00:00"))
                    when = (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    insert_check(conn, CheckRecord(item, wave_ids[name], when, method, status))
    return case, wave_ids


def states(case, rule):
    with open_case(case) as opened:
        return {(s.item_id, s.wave): s.state for s in confirmed_states(opened.db, rule)}


def test_consecutive_rule(filled):
    case, _ = filled
    got = states(case, Rule("consecutive", waves=2))
    assert [got[(1, w)] for w in WAVES] == ["pending", "gone", "gone"]  # stays confirmed through a login wall
    assert [got[(2, w)] for w in WAVES] == ["pending", "unknown", "gone"]  # unknown neither counts nor breaks
    assert [got[(3, w)] for w in WAVES] == ["pending", "live", "pending"]  # live resets the run
    assert [got[(4, w)] for w in WAVES] == ["live", "unchecked", "unknown"]
    # The latest check that says something stands for the wave (manual live beats an earlier fetch,
    # a later error says nothing); Wayback never stands for a wave.
    assert [got[(5, w)] for w in WAVES] == ["live", "unknown", "unchecked"]
    one = states(case, Rule("consecutive", waves=1))
    assert one[(3, "w1")] == "gone"


def test_days_rule(filled):
    case, _ = filled
    got = states(case, Rule("days", days=20))
    assert [got[(1, w)] for w in WAVES] == ["pending", "pending", "unknown"]  # 16 days only
    assert [got[(2, w)] for w in WAVES] == ["pending", "unknown", "gone"]  # 31 days from first gone reading
    assert states(case, Rule("days", days=0))[(3, "w1")] == "gone"


def test_bad_rule_is_refused(filled):
    case, _ = filled
    with open_case(case) as opened, pytest.raises(CaseError, match=r"confirm\.rule"):
        confirmed_states(opened.db, Rule("sometimes"))
    assert Rule.from_config({"confirm": {"rule": "days", "waves": 2, "days": 30}}).describe() == \
        "gone for at least 30 day(s) since last seen live"


def test_summary_and_last_seen_live(filled):
    case, wave_ids = filled
    with open_case(case) as opened:
        rows = summary(opened, wave_ids["w1"])
        seen = last_seen_live(opened.db)
    assert rows == [{"platform": "facebook", "kind": "page", "items": 5, "available": 2, "unavailable": 3,
                     "removed": 0, "account_gone": 0, "sold": 0, "login_required": 0, "restricted": 0,
                     "rate_limited": 0, "error": 0, "not_seen": 0,
                     "reasons": [("unavailable", None)] * 3 + [("available", None)] * 2}]
    assert seen[5] == "2021-05-01T00:30:00Z" and 1 not in seen
