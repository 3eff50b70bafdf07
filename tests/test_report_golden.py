"""Golden files for the report of a small synthetic case, and byte-for-byte determinism.

Refresh the golden files (after checking the change is intended) with:
    TOOLKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_report_golden.py
"""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from report_builder import synthetic

from toolkit import __version__
from toolkit.report.stamp import LIBRARIES

GOLDEN = Path(__file__).parent / "golden" / "report"
TEXT_FILES = ["report.md", "items.csv", "waves.csv", "splits.csv", "survival.csv", "audience.csv", "clusters.csv",
              "report.json", "items.json", "stamp.json"]
UPDATE = os.environ.get("TOOLKIT_UPDATE_GOLDEN") == "1"


def normalise(text: str) -> str:
    """Installed library and toolkit versions replaced, so an upgrade alone does not fail the test;
    the custody head replaced, since a freshly built case seals its log at the current time."""
    for name in LIBRARIES:
        text = text.replace(f'"{name}": "{version(name)}"', f'"{name}": "<version>"')
    text = re.sub(r'("head": |head )"?[0-9a-f]{64}"?', lambda m: m.group(1) + ('"<head>"' if '"' in m.group(0) else "<head>"), text)
    return text.replace(f'"toolkit": "{__version__}"', '"toolkit": "<version>"')


@pytest.fixture(scope="module")
def synthetic_case(tmp_path_factory) -> Path:
    return synthetic(tmp_path_factory.mktemp("golden") / "synthetic")


@pytest.fixture(scope="module")
def written(synthetic_case, tmp_path_factory):
    from typer.testing import CliRunner

    from toolkit.cli import app

    out = tmp_path_factory.mktemp("out") / "report"
    result = CliRunner().invoke(app, ["report", str(synthetic_case), "--as-of", "2021-05-31", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("name", TEXT_FILES)
def test_golden(written, name):
    actual = normalise((written / name).read_text(encoding="utf-8"))
    golden = GOLDEN / (name.replace(".", "_") + ".golden")
    if UPDATE:
        golden.write_text(actual, encoding="utf-8", newline="\n")
    assert golden.exists(), f"{golden} missing: run with TOOLKIT_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8"), f"{name} differs from {golden.name}"


def test_same_case_and_options_give_the_same_bytes(synthetic_case, written, invoke, tmp_path):
    again = tmp_path / "again"
    result = invoke("report", synthetic_case, "--as-of", "2021-05-31", "-o", again)
    assert result.exit_code == 0, result.output
    for name in [*TEXT_FILES, "report.html"]:
        assert (again / name).read_bytes() == (written / name).read_bytes(), name


def test_as_of_cuts_later_waves(synthetic_case, invoke, tmp_path):
    result = invoke("report", synthetic_case, "--as-of", "2021-04-30", "-o", tmp_path / "early", "--format", "csv")
    assert result.exit_code == 0, result.output
    waves = (tmp_path / "early" / "waves.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in waves[1:]] == ["w1"]
    assert "2021-04-23" in result.stdout
