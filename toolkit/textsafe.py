"""Making values written by the people being reported on safe to publish.

Shared by the CLI's tabular output and the report renderers: spreadsheet formula neutralisation
for CSV cells, and neutralisation of the invisible characters (bidirectional overrides, other
control characters) that let a page name display as something it is not.
"""

from __future__ import annotations

import re
from typing import Any

# Cells a spreadsheet would run as a formula start with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Bidirectional embeddings/overrides/isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E,
# U+200F, U+061C) reorder what a reader sees; C0/C1 controls other than tab and newline have no
# business in a name. Each is shown as a visible token such as <U+202E> instead, so the reader knows it
# was there.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def safe_cell(value: Any) -> Any:
    """Neutralise a CSV cell a spreadsheet would execute, by prefixing a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutral(text: str) -> str:
    """`text` with bidi controls and control characters replaced by visible tokens such as <U+202E>."""
    if text.isprintable():  # every character above is a control or format character: none is printable
        return text
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def one_line(text: str) -> str:
    """`neutral(text)` with line breaks and tabs folded to single spaces (for table cells)."""
    return " ".join(neutral(text).split())
