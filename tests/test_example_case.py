"""The bundled example case, as cases/example/run.sh runs it: its canary reads live in both waves,
and its time to removal follows what its waves saw (its cohort's first captures are
all dated by their files)."""

from __future__ import annotations

import json
import shutil

from conftest import ROOT


def test_example_case_end_to_end(tmp_path, invoke):
    case = tmp_path / "example"
    shutil.copytree(ROOT / "cases" / "example", case, ignore=shutil.ignore_patterns("case.db*", "evidence", "reports"))
    steps = [("scan", case, case / "exports"),
             ("review", case, "--import", case / "reviews.csv", "--reviewer", "example-reviewer"),
             ("flag", case, "--from", case / "notices.csv", "--by", "example-reviewer"),
             ("recheck", case, "--wave", "2021-05-17", case / "exports-wave2"),
             ("recheck", case, "--wave", "2021-06-16", case / "exports-wave3")]
    for step in steps:
        result = invoke(*step)
        assert result.exit_code == 0, result.output
    listed = json.loads(invoke("canary", "list", case, "--format", "json").stdout)
    assert [(r["wave"], r["status"]) for r in listed] == [("2021-05-17", "available"), ("2021-06-16", "available")]
    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2021-06-30", "-o", out, "--format", "md,csv")
    assert result.exit_code == 0, result.output
    # What the waves saw: from notice, 2 of 5 gone in the first wave and 3 of 5 in the second (the
    # 2 still live at the end are censored there, not removed with the others).
    assert (out / "survival.csv").read_text(encoding="utf-8-sig") == (
        "origin,days,still_live\nfirst_capture,0.0000,1.0000\nfirst_capture,30.0000,0.6667\n"
        "notice,0.0000,1.0000\nnotice,31.6667,0.6000\nnotice,61.6667,0.4000\n")
    markdown = (out / "report.md").read_text()
    assert "| from first capture | 3 | 1 | 2 | not reached (30.0 to not reached) |" in markdown
    assert "| from notice | 5 | 3 | 2 | 61.7 (31.7 to not reached) |" in markdown
    assert "blind" not in markdown.split("## Methodology")[0]
