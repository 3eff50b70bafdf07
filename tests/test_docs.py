"""The docs say what the code does: the closed vocabularies exactly as the code defines them, every
command, the rules the report prints; and every link in them leads to a file (and heading) of the
repository, in tables that render."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import typer.main
from conftest import ROOT
from markdown_it import MarkdownIt  # a dependency of rich, which toolkit requires

from toolkit.cli import app
from toolkit.models import Category, Channel, DateSource, Kind, Method, Status, Verdict
from toolkit.store.canaries import CANARY_RULE
from toolkit.store.status import DATE_RULE, STATUS_RULE

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
STATUS_TABLE = re.compile(r"^\| status \| family \| meaning \|$", flags=re.M)


def _vocabulary() -> str:
    """The status table and the vocabulary lines under it, on whichever page holds them (up to the
    next heading)."""
    holders = [page for page in PAGES if STATUS_TABLE.search(page.read_text(encoding="utf-8"))]
    assert len(holders) == 1, f"the status table must be on exactly one page, found on {holders}"
    text = holders[0].read_text(encoding="utf-8")
    start = STATUS_TABLE.search(text).start()
    return re.split(r"^#", text[start:], maxsplit=1, flags=re.M)[0]


VOCAB = _vocabulary()


def test_status_table_matches_the_enum_and_families():
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|", VOCAB, flags=re.M)
    assert [status for status, _ in rows] == [s.value for s in Status]
    assert {status: family for status, family in rows} == {s.value: s.family.value for s in Status}


@pytest.mark.parametrize(("label", "enum"), [("kind", Kind), ("verdict", Verdict), ("category", Category),
                                              ("notice channel", Channel), ("check method", Method),
                                              ("date source", DateSource)])
def test_vocabulary_lines_match_the_enums(label, enum):
    line = re.search(rf"^- {label}: (.*)$", VOCAB, flags=re.M)
    assert line, f"the docs list no {label} vocabulary under the status table"
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


# Docs link only inside the repository. An outside address a page must cite is written as plain text
# (no link); this set names the exceptions, and is empty.
OUTSIDE_LINKS_ALLOWED: set[str] = set()
MD = MarkdownIt("commonmark").enable("table")


def _tokens(page: Path):
    """Every token of a page, inline children included."""
    for token in MD.parse(page.read_text(encoding="utf-8")):
        yield token
        yield from token.children or ()


def _anchors(page: Path) -> set[str]:
    """The heading anchors GitHub makes: text lower-cased, punctuation dropped, spaces to hyphens,
    repeats numbered."""
    anchors: set[str] = set()
    tokens = MD.parse(page.read_text(encoding="utf-8"))
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = "".join(child.content for child in tokens[i + 1].children or () if child.type in ("text", "code_inline"))
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in anchors:
            n += 1
            candidate = f"{slug}-{n}"
        anchors.add(candidate)
    return anchors


def _links(page: Path) -> list[str]:
    found = []
    for token in _tokens(page):
        if token.type == "link_open":
            found.append(str(token.attrs.get("href", "")))
        elif token.type == "image":
            found.append(str(token.attrs.get("src", "")))
        elif token.type in ("html_inline", "html_block"):
            found += re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)""", token.content)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_stay_inside_the_repository_and_lead_somewhere(page):
    for href in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", href, flags=re.I):
            assert href in OUTSIDE_LINKS_ALLOWED, f"{page.name}: {href} links outside the repository (cite it as plain text)"
            continue
        path, _, anchor = href.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.is_relative_to(ROOT), f"{page.name}: {href} leaves the repository"
        assert target.exists(), f"{page.name}: {href} points at no file"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"{page.name}: {href}: {target.name} has no heading #{anchor}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_tables_render(page):
    """Every line that looks like a table row is part of a table, and every row has the header's
    number of cells (GitHub splits cells on unescaped pipes, in code spans too)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    in_table, in_code = set(), set()
    for token in MD.parse("\n".join(lines)):
        if token.map and token.type == "table_open":
            in_table.update(range(*token.map))
        if token.map and token.type in ("fence", "code_block"):
            in_code.update(range(*token.map))
    for number, line in enumerate(lines):
        if line.startswith("|") and number not in in_code:
            assert number in in_table, f"{page.name}:{number + 1}: a table row outside any table"
    for token in MD.parse("\n".join(lines)):
        if token.type == "table_open":
            start, end = token.map
            widths = {len(re.split(r"(?<!\\)\|", lines[n].strip().strip("|"))) for n in range(start, end)}
            assert len(widths) == 1, f"{page.name}:{start + 1}: rows of this table have {sorted(widths)} cells"


def test_the_readme_stays_short_and_starts_with_the_two_commands():
    """A researcher reads it in five minutes; its first two commands set up and run the example case,
    then the tests (which CI runs: test_ci_runs_the_readme_test_command)."""
    assert len(README.splitlines()) <= 250
    blocks = re.findall(r"^```sh\n(.*?)\n```", README, flags=re.M | re.S)
    assert blocks[0].endswith("bash cases/example/run.sh")
    assert "&& python -m pytest -q" in blocks[1]


def test_ci_runs_the_readme_test_command():
    """CI (.ci/run) installs the test extras and runs the README's second command's tests, word for word."""
    command = re.search(r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install -e '\.\[test\]' && (.+)$",
                        README, flags=re.M)
    assert command, "the README's test command is not one line that sets up and runs the tests"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "python -m pip install --quiet -e '.[test]'" in ci
    assert ci[-1] == command.group(1)
