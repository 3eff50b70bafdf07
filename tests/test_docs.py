"""The README documents the closed vocabularies exactly as the code defines them, and every command."""

from __future__ import annotations

import os
import re

import pytest
import typer.main
from conftest import ROOT

from toolkit.cli import app
from toolkit.models import Category, Channel, DateSource, Kind, Method, Status, Verdict
from toolkit.store.canaries import CANARY_RULE
from toolkit.store.status import DATE_RULE, STATUS_RULE

README = (ROOT / "README.md").read_text(encoding="utf-8")
VOCAB = README.split("## Vocabularies", 1)[1].split("\n## ", 1)[0]


def test_status_table_matches_the_enum_and_families():
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|", VOCAB, flags=re.M)
    assert [status for status, _ in rows] == [s.value for s in Status]
    assert {status: family for status, family in rows} == {s.value: s.family.value for s in Status}


@pytest.mark.parametrize(("label", "enum"), [("kind", Kind), ("verdict", Verdict), ("category", Category),
                                              ("notice channel", Channel), ("check method", Method),
                                              ("date source", DateSource)])
def test_vocabulary_lines_match_the_enums(label, enum):
    line = re.search(rf"^- {label}: (.*)$", VOCAB, flags=re.M)
    assert line, f"README lists no {label} vocabulary"
    assert re.findall(r"`(\w+)`", line.group(1)) == [member.value for member in enum]


def test_every_command_is_documented():
    click_app = typer.main.get_command(app)
    for name, command in click_app.commands.items():
        assert f"`toolkit {name}" in README, f"toolkit {name} is not documented in the README"
        for sub in getattr(command, "commands", {}):
            assert f"{name} {sub}" in README or f"|{sub}" in README or f"{sub}\\|" in README, f"toolkit {name} {sub}"


RULES = {"status": STATUS_RULE, "canary": CANARY_RULE, "dates": DATE_RULE}


@pytest.mark.parametrize("name", sorted(RULES))
def test_recheck_page_quotes_the_rules_the_report_prints(name):
    """docs/recheck.md and the report's methodology say the same rule: the page quotes the code's text
    (TOOLKIT_UPDATE_GOLDEN=1 rewrites the quoted paragraph from the code)."""
    page = ROOT / "docs" / "recheck.md"
    text = page.read_text(encoding="utf-8")
    found = re.search(rf"<!-- rule:{name} -->\n(.*?)\n<!-- /rule -->", text, flags=re.S)
    assert found, f"docs/recheck.md has no <!-- rule:{name} --> paragraph"
    if os.environ.get("TOOLKIT_UPDATE_GOLDEN") == "1":
        page.write_text(text.replace(found.group(0), f"<!-- rule:{name} -->\n{RULES[name]}\n<!-- /rule -->"),
                        encoding="utf-8")
        return
    assert found.group(1) == RULES[name]


def test_ci_runs_the_readme_test_command():
    """CI (.ci/run) installs the test extras and runs the README's second command's tests, word for word."""
    command = re.search(r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e '\.\[test\]' && (.+)$",
                        README, flags=re.M)
    assert command, "the README's test command is not one line that sets up and runs the tests"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "python -m pip install --quiet -e '.[test]'" in ci
    assert ci[-1] == command.group(1)
