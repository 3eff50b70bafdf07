"""Markdown rendering of the report blocks.

Every piece of text is escaped: page names are written by the people being reported on, and a
Markdown viewer would otherwise run their `<script>`, links or table breaks. `<`, `>` and `&`
become entities, Markdown punctuation is backslash-escaped, and line breaks are folded.
"""

from __future__ import annotations

import re

from toolkit.report.blocks import Block, Bullets, Chart, Code, Heading, Image, Para, Table
from toolkit.report.build import Report
from toolkit.report.document import document
from toolkit.textsafe import one_line

# Markdown punctuation that can start markup; an underscore inside a word cannot (CommonMark).
_PUNCT = re.compile(r"([\\`*\[\]|~]|^#|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md(text: str) -> str:
    """Plain text made literal in Markdown (inline, one line)."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", text)


def render_md(report: Report) -> str:
    """The whole report as Markdown (deterministic: no clock, fixed number formats)."""
    return "\n".join(_block(b) for b in document(report) if not isinstance(b, Chart)).rstrip("\n") + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {md(block.text)}\n"
    if isinstance(block, Para):
        return md(block.text) + "\n"
    if isinstance(block, Bullets):
        return "\n".join(f"- {md(item)}" for item in block.items) + "\n"
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
