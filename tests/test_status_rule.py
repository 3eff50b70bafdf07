"""One status rule everywhere: items, show, waves and the report (Markdown and JSON) agree on every
item in every wave, whatever order walls, removals and Wayback copies come in; and no other place
in the code picks a status or maps a status to a family."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from report_builder import CaseBuilder

# item key -> wave -> [(minute, status, method)]: the orderings the rule must get right.
HISTORY = {
    # The disagreement that started it: live at 10:00, a login wall at 10:05, in one wave.
    "live.then.wall": {"w1": [(0, "available", "live"), (5, "login_required", "live")],
                       "w2": [(0, "available", "manual")]},
    "gone.then.wall": {"w1": [(0, "unavailable", "live"), (5, "login_required", "live")],
                       "w2": [(0, "unavailable", "live")]},
    "wall.then.gone": {"w1": [(0, "login_required", "live"), (5, "unavailable", "live")],
                       "w2": [(0, "rate_limited", "live"), (3, "removed", "manual"), (6, "error", "live")]},
    # A Wayback copy of an older day, looked up after the live check: it never stands for the wave.
    "wayback.after.live": {"w1": [(0, "available", "live"), (30, "unavailable", "wayback")],
                           "w2": [(0, "unavailable", "export"), (10, "available", "wayback")]},
    "only.unknown": {"w1": [(0, "login_required", "live"), (5, "error", "live")],
                     "w2": [(0, "not_seen", "export")]},
    "sold": {"w1": [(0, "sold", "export"), (5, "login_required", "live")], "w2": []},
}
# What the rule says: item -> wave -> (status, family); absent: not checked in that wave.
EXPECTED = {
    "live.then.wall": {"w1": ("available", "live"), "w2": ("available", "live")},
    "gone.then.wall": {"w1": ("unavailable", "gone"), "w2": ("unavailable", "gone")},
    "wall.then.gone": {"w1": ("unavailable", "gone"), "w2": ("removed", "gone")},
    "wayback.after.live": {"w1": ("available", "live"), "w2": ("unavailable", "gone")},
    "only.unknown": {"w1": ("error", "unknown"), "w2": ("not_seen", "unknown")},
    "sold": {"w1": ("sold", "ended")},
}
WAVES = {"w1": "2021-05-17T10:00:00Z", "w2": "2021-06-16T10:00:00Z"}


def _at(wave: str, minute: int, method: str) -> str:
    if method == "wayback":  # an archived copy is dated when the archive took it, months before
        return f"2021-0{3 if wave == 'w1' else 4}-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"
    return f"{WAVES[wave][:11]}10:{minute:02d}:00Z"


@pytest.fixture(scope="module")
def ordered_case(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    b = CaseBuilder(tmp_path_factory.mktemp("rule") / "case")
    for name, start in WAVES.items():
        b.wave(name, start)
    ids = {}
    for key, waves in HISTORY.items():
        ids[key] = b.item(key, name=key)
        b.review(ids[key])
        b.notice(ids[key])
        for wave, checks in waves.items():
            for minute, status, method in checks:
                b.check(ids[key], wave, _at(wave, minute, method), status, method=method)
    return b.close(), ids


def _json(invoke, *args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_items_show_waves_and_report_agree_on_every_item_in_every_wave(ordered_case, invoke, tmp_path):
    case, ids = ordered_case
    names = {v: k for k, v in ids.items()}

    # toolkit items: the rule over each item's latest wave, the raw last observation beside it.
    listed = {names[row["id"]]: row for row in _json(invoke, "items", case, "--format", "json")}
    for key, per_wave in EXPECTED.items():
        latest = per_wave[max(per_wave)]
        assert listed[key]["status"] == latest[0], key
    assert listed["wall.then.gone"]["last_observed"] == "error"  # the raw latest, beside the rule's status
    assert listed["live.then.wall"]["last_observed"] == "available"

    # toolkit show: the status in every wave, and the same latest status.
    for key, item_id in ids.items():
        shown = _json(invoke, "show", case, str(item_id), "--format", "json")
        assert {w["wave"]: (w["status"], w["family"]) for w in shown["waves"]} == EXPECTED[key], key
        assert shown["status"]["status"] == listed[key]["status"]

    # toolkit waves --items: the same status per item and wave.
    states = _json(invoke, "waves", case, "--items", "--format", "json")
    got = {(names[s["item"]], s["wave"]): s["status"] for s in states if s["status"] is not None}
    assert got == {(key, wave): sf[0] for key, per_wave in EXPECTED.items() for wave, sf in per_wave.items()}

    # toolkit report: the appendix's status per wave, and the wave counts by family (JSON and Markdown).
    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2021-06-30", "-o", out, "--format", "md,json")
    assert result.exit_code == 0, result.output
    appendix = {names[row["id"]]: row["status"] for row in json.loads((out / "items.json").read_text())}
    for key, per_wave in EXPECTED.items():
        assert appendix[key] == {w: per_wave.get(w, ("not_checked",))[0] for w in WAVES}, key
    data = json.loads((out / "report.json").read_text())
    markdown = (out / "report.md").read_text()
    for wave in data["waves"]:
        families = [sf[1] for per_wave in EXPECTED.values() for w, sf in per_wave.items() if w == wave["wave"]]
        counts = {f: families.count(f) for f in ("live", "gone", "ended", "unknown")}
        assert {f: wave[f] for f in counts} == counts, wave["wave"]
        assert wave["not_checked"] == len(EXPECTED) - len(families)
        row = f"| {wave['wave']} | {wave['started_at'][:10]} | "
        line = next(line for line in markdown.splitlines() if line.startswith(row))
        cells = [c.strip() for c in line.split("|")[4:10]]
        assert cells == [str(len(EXPECTED)), str(counts["live"]), str(counts["gone"]), str(counts["ended"]),
                         str(counts["unknown"]), str(wave["not_checked"])]
    assert "w1: error 1" in markdown and "w2: not_seen 1" in markdown  # which unknown statuses


def test_the_wayback_copy_still_bounds_last_seen_live(ordered_case):
    import sqlite3

    from toolkit.store.status import last_seen_live

    case, ids = ordered_case
    conn = sqlite3.connect(case / "case.db")
    conn.row_factory = sqlite3.Row
    seen = last_seen_live(conn)
    conn.close()
    # The live check of w1 is the latest live reading; the archived copy from April bounds nothing later.
    assert seen[ids["wayback.after.live"]] == "2021-05-17T10:00:00Z"


# Status picking and family mapping live in toolkit/store/status.py and toolkit/models.py only.
STATUS_TOKENS = "available|unavailable|removed|account_gone|sold|login_required|restricted|rate_limited|error|not_seen"
FORBIDDEN = {
    "a status mapped to a family by hand": re.compile(rf"""['"]({STATUS_TOKENS})['"]\s*:\s*['"](live|gone|ended|unknown)['"]"""),
    "a status compared in SQL": re.compile(rf"""status\s*(=|!=|<>|IN)\s*\(?\s*'({STATUS_TOKENS})'""", re.I),
    "a check picked as the latest": re.compile(r"""FROM\s+"check"[^;]*?ORDER BY[^;]*?observed_at DESC[^;]*?(LIMIT 1|rn\b)""", re.S),
    "a removed helper": re.compile(r"\b(family_of|pick_wave_check)\b|def family\("),
    "a list of known statuses": re.compile(r"""['"]available['"],\s*['"]unavailable['"],\s*['"]removed['"]"""),
}
ALLOWED = {"toolkit/models.py", "toolkit/store/status.py"}


def test_no_other_status_picking_or_family_mapping():
    found = []
    for path in sorted((ROOT / "toolkit").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        for what, pattern in FORBIDDEN.items():
            for match in pattern.finditer(text):
                found.append(f"{rel}: {what}: {match.group(0)[:80]!r}")
    assert not found, "\n".join(found)
