"""Making values written by the people being reported on safe to show and to publish.

One place for each way such a value leaves the toolkit:

- a terminal: `printable` shows every control character (escape sequences, carriage returns,
  backspaces, line breaks) and bidirectional control as a visible token such as <U+001B>, so a
  page name cannot recolour the screen, rewrite a line, set the window title or reorder what is
  shown; every command and the review screen print untrusted text through it;
- a CSV file: `csv_row` (and `write_csv`) quotes every cell holding a delimiter of any locale
  (`,` `;` tab), a quote or a line break, and `safe_cell` neutralises a cell a spreadsheet would run
  as a formula, judged after normalisation (full-width ＝, leading spaces and quotes), and every
  part of a cell a spreadsheet splitting on `;` or tab would see as a cell of its own;
- a report: `neutral` and `one_line` make bidi overrides and control characters visible.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# Cells a spreadsheet would run as a formula start with one of these (after normalisation).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet skips before deciding a cell is a formula, or what hides its first character.
_LEADING = " \t\r\n\x0b\x0c\"'`\u00a0\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2039\u203a\u00ab\u00bb"

# Bidirectional embeddings/overrides/isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E,
# U+200F, U+061C) reorder what a reader sees; C0/C1 controls other than tab and newline have no
# business in a name. Each is shown as a visible token such as <U+202E> instead, so the reader knows it
# was there.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# On a terminal, line breaks and tabs too (and the Unicode line and paragraph separators).
_TERMINAL = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\x00-\x1f\x7f-\x9f]")
_TERMINAL_LINES = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\x00-\x09\x0b-\x1f\x7f-\x9f]")
# Characters JSON leaves as they are that a terminal may still act on (DEL, C1, bidi controls).
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]")
_NEEDS_QUOTES = re.compile('[,;\t"\r\n]')
_INNER_DELIMITER = re.compile("([;\t])")


def _token(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def printable(text: Any, lines: bool = False) -> str:
    """`text` as it may be shown on a terminal: every control character (escape, carriage return,
    backspace, bell..., and line breaks and tabs unless `lines` keeps line breaks) and every
    bidirectional control replaced by a visible token such as <U+001B>."""
    return (_TERMINAL_LINES if lines else _TERMINAL).sub(_token, str(text))


def printable_json(text: str) -> str:
    """JSON text with the characters JSON leaves raw but a terminal may act on (DEL, C1 controls,
    bidi controls, line separators) written as \\uXXXX escapes: the same data, parsed."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _starts_formula(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula: its first character, after NFKC
    normalisation (full-width ＝ and ＋ become = and +) and past leading spaces, quotes and control
    characters, starts one."""
    if text.startswith(FORMULA_START):
        return True
    head = unicodedata.normalize("NFKC", text[:64]).lstrip(_LEADING)
    return _INVISIBLE.sub("", head).lstrip(_LEADING).startswith(FORMULA_START)


def safe_cell(value: Any) -> Any:
    """Neutralise a CSV cell a spreadsheet would execute, by prefixing a single quote: one that
    starts a formula (`_starts_formula`), and also each part after a `;` or a tab inside it that
    would: a spreadsheet set to `;` (the list separator in Spanish, Portuguese and French) or tab
    splits a comma-separated line there, quotes or not, so `Cruce;=cmd|...` would become a formula
    cell. A comma needs no such care: the cell is quoted (`csv_line`)."""
    if not isinstance(value, str) or not value:
        return value
    if ";" in value or "\t" in value[1:]:
        parts = _INNER_DELIMITER.split(value)
        for index in range(2, len(parts), 2):
            if parts[index] and _starts_formula(parts[index]):
                parts[index] = "'" + parts[index]
        value = "".join(parts)
    return "'" + value if _starts_formula(value) else value


def csv_field(value: Any) -> str:
    """One field of a CSV line, already made safe: quoted when it holds a delimiter of any locale,
    a quote or a line break (see `csv_line`)."""
    text = "" if value is None else str(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(fields: Iterable[Any]) -> str:
    """One CSV line of fields already made safe: every field holding a delimiter of any locale (`,`
    `;` tab), a quote or a line break is quoted (Excel with `;` as list separator, the default in
    Spanish, Portuguese and French, would split an unquoted `Cruce;=cmd|...` into a formula cell)."""
    return ",".join(map(csv_field, fields)) + "\n"


def csv_cell(text: str, raw: bool = False) -> str:
    """A string cell as the toolkit writes it: controls made visible (`neutral`), carriage returns
    made line breaks (one shown on a terminal would overwrite the line), formulas neutralised.
    `raw` (`--raw-cells`, for scripts) leaves it as it is."""
    if raw:
        return text
    if text.isprintable() and text[:1].isascii() and text[:1].isalnum() and ";" not in text:
        # Printable (no control, bidi or line-break character to show or fold), no inner cell, and
        # an ASCII letter or digit first, which no normalisation turns into a formula's start.
        return text
    return safe_cell(neutral(text).replace("\r\n", "\n").replace("\r", "\n"))


def csv_row(cells: Iterable[Any], raw: bool = False) -> str:
    """One CSV line: string cells through `csv_cell`, quoted as `csv_line` does; None is empty,
    numbers are written as they are."""
    return csv_line(csv_cell(c, raw) if isinstance(c, str) else c for c in cells)


def write_csv(out: io.TextIOBase, columns: Iterable[Any], rows: Iterable[Iterable[Any]], *, bom: bool = False,
              raw_cells: bool = False) -> None:
    """A CSV document (header first) through `csv_row`, the one way the toolkit writes CSV; with a
    UTF-8 byte-order mark first when `bom` (Excel then reads accents right)."""
    if bom:
        out.write("\ufeff")
    out.write(csv_row(columns))
    for row in rows:
        out.write(csv_row(row, raw_cells))


def neutral(text: str) -> str:
    """`text` with bidi controls and control characters replaced by visible tokens such as <U+202E>."""
    if text.isprintable():  # every character above is a control or format character: none is printable
        return text
    return _INVISIBLE.sub(_token, text)


def one_line(text: str) -> str:
    """`neutral(text)` with line breaks and tabs folded to single spaces (for table cells)."""
    return " ".join(neutral(text).split())
