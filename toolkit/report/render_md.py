"""Markdown rendering of the report blocks.

Every piece of text is escaped: page names are written by the people being reported on, and a
Markdown viewer would otherwise run their `<script>`, links or table breaks. `<`, `>` and `&`
become entities, Markdown punctuation is backslash-escaped, and line breaks are folded.

Code spans in running text (`toolkit verify CASE`) are kept as code spans: inside one a Markdown
viewer shows every character as it is (no markup, no HTML, no entities), so they need no escape,
and escaping their backticks would print stray backslashes. Table cells escape every backtick.
"""

from __future__ import annotations

import re

from toolkit.neutralise import one_line
from toolkit.report.blocks import Block, Bullets, Chart, Code, Heading, Image, Para, Table
from toolkit.report.build import Report
from toolkit.report.document import document

# Markdown punctuation that can start markup; an underscore inside a word cannot (CommonMark).
_PUNCT = re.compile(r"([\\`*\[\]|~]|^#|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


# A code span: a backtick run, then the nearest run of exactly the same length (CommonMark).
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def md(text: str) -> str:
    """Plain text made literal in Markdown (inline, one line)."""
    return _literal(one_line(text))


def md_prose(text: str) -> str:
    """Like `md`, but code spans in the text stay code spans (paragraphs, bullets, headings)."""
    text = one_line(text)
    out, last = [], 0
    for span in _CODE.finditer(text):
        out.append(_literal(text[last:span.start()]))
        out.append(span.group())
        last = span.end()
    out.append(_literal(text[last:]))
    return "".join(out)


def _literal(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", text)


def render_md(report: Report) -> str:
    """The whole report as Markdown (deterministic: no clock, fixed number formats)."""
    return "\n".join(_block(b) for b in document(report) if not isinstance(b, Chart)).rstrip("\n") + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {md_prose(block.text)}\n"
    if isinstance(block, Para):
        return md_prose(block.text) + "\n"
    if isinstance(block, Bullets):
        return "\n".join(f"- {md_prose(item)}" for item in block.items) + "\n"
    if isinstance(block, Table):
        align = ["---:" if i in block.numeric else "---" for i in range(len(block.columns))]
        lines = ["| " + " | ".join(md(c) for c in block.columns) + " |", "| " + " | ".join(align) + " |"]
        lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines) + "\n"
    if isinstance(block, Image):
        # The Markdown stays text: it names the evidence file the HTML report embeds.
        return f"- {md(block.caption)}: `{block.path}`" + (f" ({md(block.note)})" if block.note else "") + "\n"
    if isinstance(block, Code):
        # A fence longer than any backtick run inside, so the content cannot close it.
        runs = [len(m) for m in re.findall(r"`+", block.text)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        return f"{fence}json\n{block.text}\n{fence}\n"
    raise TypeError(f"unknown block {block!r}")
