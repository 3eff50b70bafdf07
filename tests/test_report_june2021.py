"""The June 2021 finding: 50 Facebook pages handed over on 2021-04-16; 19 live, 31 unavailable on 2021-05-17."""

from __future__ import annotations

import csv
import math

import orjson
import pytest
from report_builder import june_2021
from scipy.stats import binomtest

from toolkit.report.stats import wilson

HEADLINE = "Of the 50 pages handed to Facebook on 2021-04-16, 19 (38%, 95% CI 26-52%) were still live on 2021-05-17"


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval from its textbook formula (an independent reference)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    from typer.testing import CliRunner

    from toolkit.cli import app

    case = june_2021(tmp_path_factory.mktemp("june") / "june2021")
    out = case / "out"
    result = CliRunner().invoke(app, ["report", str(case), "--as-of", "2021-05-31", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert HEADLINE in result.stdout
    return out


def test_wilson_matches_scipy_and_the_formula():
    share = wilson(19, 50)
    ci = binomtest(19, 50).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_by_hand(19, 50)
    assert (round(share.low, 3), round(share.high, 3)) == (round(ci.low, 3), round(ci.high, 3)) == (0.259, 0.518)
    assert share.low == pytest.approx(low, abs=5e-4) and share.high == pytest.approx(high, abs=5e-4)
    assert wilson(0, 0).p is None


def test_markdown_states_19_of_50_and_31_gone(report_dir):
    md = (report_dir / "report.md").read_text()
    assert HEADLINE + "; 31 of 50 (62%, 95% CI 48-74%) were no longer available." in md
    assert "| w1 | 2021-05-17 | live | 50 | 19 | 31 | 0 | 0 | 0 | 38% (26-52%) | 62% (48-74%) |" in md


def test_tables_carry_the_exact_interval(report_dir):
    with open(report_dir / "waves.csv", newline="", encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["live"], row["gone"], row["items"]) == ("19", "31", "50")
    assert (row["still_live"], row["still_live_low"], row["still_live_high"]) == ("0.3800", "0.2586", "0.5185")
    data = orjson.loads((report_dir / "report.json").read_bytes())
    wave = data["waves"][0]
    assert wave["still_live"] == {"k": 19, "n": 50, "p": 0.38, "low": 0.2586, "high": 0.5185}
    assert wave["gone_share"]["k"] == 31 and wave["gone_share"]["n"] == 50
    ci = binomtest(31, 50).proportion_ci(method="wilson")
    assert wave["gone_share"]["low"] == pytest.approx(ci.low, abs=5e-4)


def test_time_to_removal_from_notice_is_bounded_by_the_two_dates(report_dir):
    data = orjson.loads((report_dir / "report.json").read_bytes())
    notice = data["time_to_removal"]["notice"]
    assert (notice["items"], notice["removals"], notice["censored"]) == (50, 31, 19)
    # Handed over 2021-04-16T15:00, seen gone 2021-05-17T15:00: 31 days, with no earlier check.
    assert notice["median_days"]["value"] == 31.0
    assert notice["gone_within_days"]["30"]["value"] == 0.0
    assert notice["gone_within_days"]["30"]["possible"] == 0.62
