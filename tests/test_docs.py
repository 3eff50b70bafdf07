"""The README documents the closed vocabularies exactly as the code defines them, and every command."""

from __future__ import annotations

import re

import pytest
import typer.main
from conftest import ROOT

from toolkit.cli import app
from toolkit.models import Category, Channel, Kind, Method, Status, Verdict

README = (ROOT / "README.md").read_text(encoding="utf-8")
VOCAB = README.split("## Vocabularies", 1)[1].split("\n## ", 1)[0]


def test_status_table_matches_the_enum_and_families():
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|", VOCAB, flags=re.M)
    assert [status for status, _ in rows] == [s.value for s in Status]
    assert {status: family for status, family in rows} == {s.value: s.family.value for s in Status}


@pytest.mark.parametrize(("label", "enum"), [("kind", Kind), ("verdict", Verdict), ("category", Category),
                                              ("notice channel", Channel), ("check method", Method)])
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
