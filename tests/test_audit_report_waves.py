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
