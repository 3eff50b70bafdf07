"""Audit of the report's waves: what the report says of a wave agrees with `toolkit waves`."""

from __future__ import annotations

import csv
import io

import orjson
from report_builder import CaseBuilder


def test_a_waves_wayback_lookups_do_not_date_its_checks(tmp_path, invoke):
    # A live wave on 2021-05-17 that also looked its items up in the Wayback Machine: the archived
    # copies are dated when they were archived (2021-03-01), not when the wave looked.
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-05-17T10:00:00Z")
    for n in range(3):
        item = b.item(f"p{n}", name=f"P{n}")
        b.review(item)
        b.notice(item)
        b.check(item, "w1", f"2021-05-17T10:0{n}:00Z", "available")
        b.check(item, "w1", "2021-03-01T00:00:00Z", "available", method="wayback")
    b.close()
    listed = invoke("waves", tmp_path / "c", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (wave,) = orjson.loads(listed.stdout)
    assert (wave["first_observed"], wave["last_observed"]) == ("2021-05-17T10:00:00Z", "2021-05-17T10:02:00Z")

    result = invoke("report", tmp_path / "c", "-o", tmp_path / "out", "--format", "csv,json")
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO((tmp_path / "out" / "waves.csv").read_text(encoding="utf-8-sig")))
    (data,) = orjson.loads((tmp_path / "out" / "report.json").read_bytes())["waves"]
    for found in (row, data):
        assert (found["first_check"], found["last_check"]) == (wave["first_observed"], wave["last_observed"])


def _one_wave(root, live: int, gone: int):
    b = CaseBuilder(root)
    b.wave("w1", "2021-05-17T14:00:00Z")
    for n in range(live + gone):
        item = b.item(f"cruce.page.{n:02d}", name=f"Cruce {n:02d}")
        b.review(item)
        b.notice(item)
        b.check(item, "w1", "2021-05-17T15:00:00Z", "available" if n < live else "unavailable")
    return b.close()


def test_percentages_are_the_counts_rounded_and_still_live_and_gone_add_to_100():
    from fractions import Fraction

    from toolkit.report.number_format import percent

    for n in range(1, 201):
        for k in range(n + 1):
            live, gone = int(percent(k / n)[:-1]), int(percent((n - k) / n)[:-1])
            assert abs(live - Fraction(100 * k, n)) <= Fraction(1, 2), (k, n)  # the nearest whole percent
            assert live + gone == 100, (k, n)


def test_headline_and_wave_table_shares_add_to_100(tmp_path, invoke):
    # 23 of 40 still live is 57.5%: the float 23 / 40 * 100 is 57.49999999999999, and 17 of 40 is
    # 42.5%. Either way one half goes up and the other down, so the two shares add to 100%; and
    # 1 of 8 (12.5%) against 7 of 8 (87.5%) the same.
    for live, gone, shares in ((23, 17, ("58%", "42%")), (1, 7, ("12%", "88%"))):
        case = _one_wave(tmp_path / f"c{live}", live, gone)
        result = invoke("report", case, "-o", tmp_path / f"out{live}", "--format", "md")
        assert result.exit_code == 0, result.output
        n = live + gone
        assert (f"{live} ({shares[0]}, 95% CI" in result.stdout
                and f"{gone} of {n} ({shares[1]}, 95% CI" in result.stdout), result.stdout
        md = (tmp_path / f"out{live}" / "report.md").read_text(encoding="utf-8")
        assert f"| {shares[0]} (" in md and f"| {shares[1]} (" in md


def test_days_the_report_names_are_utc_days(tmp_path, invoke):
    # docs/report.md: a notice given at 23:30 in Mexico City (UTC-5) is on the next UTC day, and so is
    # a wave read from 23:30 local time; the report names those UTC days.
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-04-21T04:30:00Z")
    for n in range(2):
        item = b.item(f"p{n}", name=f"P{n}")
        b.review(item)
        b.notice(item, "2021-04-17T04:30:00Z")  # flag --at 2021-04-16T23:30-05:00, stored in UTC
        b.check(item, "w1", f"2021-04-21T04:3{n}:00Z", "available")
    b.close()
    result = invoke("report", tmp_path / "c", "-o", tmp_path / "out", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "Of the 2 pages handed to Facebook on 2021-04-17, 2 (100%" in result.stdout
    assert "were still live on 2021-04-21" in result.stdout
