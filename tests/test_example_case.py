"""The bundled example case, as cases/example/run.sh runs it: its canary reads live in both waves,
and its time to removal is what it was before dates had sources (its cohort's first captures are
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
    # The same figures as before date sources existed.
    assert (out / "survival.csv").read_text(encoding="utf-8-sig") == (
        "origin,days,still_live\nfirst_capture,0.0000,1.0000\nfirst_capture,30.0000,0.0000\n"
        "notice,0.0000,1.0000\nnotice,31.6667,0.5000\nnotice,61.6667,0.0000\n")
    markdown = (out / "report.md").read_text()
    assert "| from first capture | 3 | 1 | 2 | 30.0 (30.0 to 30.0) |" in markdown
    assert "| from notice | 5 | 3 | 2 | 31.7 (31.7 to 61.7) |" in markdown
    assert "blind" not in markdown.split("## Methodology")[0]
