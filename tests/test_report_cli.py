"""`toolkit report` on cases at every stage: nothing reviewed, nothing rechecked, bad options."""

from __future__ import annotations

from report_builder import CaseBuilder


def test_case_with_no_cohort_says_so(case, invoke):
    result = invoke("report", case)
    assert result.exit_code == 0, result.output
    assert "no cohort whose removal can be measured" in result.stdout
    folders = list((case / "reports").iterdir())
    assert len(folders) == 1
    names = sorted(p.name for p in folders[0].iterdir())
    assert {"report.md", "report.html", "items.csv", "report.json", "stamp.json"} <= set(names)
    md = (folders[0] / "report.md").read_text()
    assert "No recheck wave up to this date." in md and "No export has been imported" in md


def test_cohort_without_waves(tmp_path, invoke):
    b = CaseBuilder(tmp_path / "c")
    for n in range(3):
        item = b.item(f"p{n}")
        b.review(item)
    b.close()
    result = invoke("report", tmp_path / "c", "--as-of", "2021-05-31", "-o", tmp_path / "out", "--format", "md,json")
    assert result.exit_code == 0, result.output
    assert "3 pages are confirmed as violating; none has been rechecked up to 2021-05-31" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["items.json", "report.json", "report.md",
                                                                    "stamp.json"]


def test_default_as_of_is_the_latest_event_so_reports_repeat(tmp_path, invoke):
    b = CaseBuilder(tmp_path / "c")
    b.wave("w1", "2021-05-17T14:00:00Z")
    item = b.item("p")
    b.review(item)
    b.check(item, "w1", "2021-05-17T15:00:00Z", "login_required")
    b.close()
    first = invoke("report", tmp_path / "c", "-o", tmp_path / "a", "--format", "md")
    second = invoke("report", tmp_path / "c", "-o", tmp_path / "b", "--format", "md")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "none had a status that could be determined on 2021-05-17; 1 could not be determined (login_required 1)" \
        in first.stdout
    assert (tmp_path / "a" / "report.md").read_bytes() == (tmp_path / "b" / "report.md").read_bytes()
    assert "As of 2021-05-17T15:00:00Z" in (tmp_path / "a" / "report.md").read_text()


def test_bad_options_are_usage_errors(case, invoke):
    result = invoke("report", case, "--format", "pdf")
    assert result.exit_code == 2
    assert "unknown report format pdf" in result.output
    result = invoke("report", case, "--as-of", "last tuesday")
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_missing_case_is_one_line_error(tmp_path, invoke):
    result = invoke("report", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "no such case folder" in result.output


def test_wave_before_the_notice_is_said_to_be_before(tmp_path, invoke):
    b = CaseBuilder(tmp_path / "c")
    b.wave("w0", "2021-04-14T10:00:00Z")
    for n in range(4):
        item = b.item(f"p{n}")
        b.review(item)
        b.notice(item, "2021-04-16T15:00:00Z")
        b.check(item, "w0", "2021-04-14T11:00:00Z", "available" if n else "unavailable")
    b.close()
    result = invoke("report", tmp_path / "c", "-o", tmp_path / "out", "--format", "md")
    assert result.exit_code == 0, result.output
    assert ("Of the 4 pages handed to Facebook on 2021-04-16, 3 (75%, 95% CI 30-95%) were still live on "
            "2021-04-14, before they were reported;") in result.stdout
