"""Spreadsheet CSV files as rows of named cells with their line numbers.

Spreadsheet programs save CSV with a byte-order mark, semicolons (in locales where the comma is the
decimal mark) and CRLF line ends; all three are read. Header names are matched case-insensitively.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError
from toolkit.sources._text import csv_rows, sniff_delimiter


@dataclass
class Table:
    """A CSV file read whole: its sha256, its header (lower-cased) and its rows with line numbers."""

    path: Path
    sha256: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]

    def has(self, *names: str) -> bool:
        return any(name in self.header for name in names)


def read_table(path: Path) -> Table:
    """Read a CSV file; InputError when it is missing, empty, not UTF-8 or not CSV.

    Blank rows are dropped; a row shorter than the header gets empty cells.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(str(path), "no such file", "Check the path") from exc
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror})", "Check the path and permissions") from exc
    sha = hashlib.sha256(data).hexdigest()
    head = data[:65536].decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    if not head.strip():
        raise InputError(str(path), "empty file", "Export the sheet again with its header row")
    delimiter = sniff_delimiter(head.lstrip("\n"))
    iterator: Iterator[tuple[int, list[str]]] = csv_rows(io.BytesIO(data), path, delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in iterator:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            continue
        padded = cells + [""] * (len(header) - len(cells))
        rows.append((line, {name: padded[i].strip() for i, name in enumerate(header) if name}))
    return Table(path=path, sha256=sha, header=header or [], rows=rows)


def first(row: dict[str, str], *names: str) -> str:
    """The first non-empty cell among the named columns, else ''."""
    for name in names:
        value = row.get(name, "")
        if value:
            return value
    return ""


def token(value: str) -> str:
    """A vocabulary word as typed in a sheet ("Not violating", "not-violating") as its token."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def choices(values: list[str]) -> str:
    """`a, b or c`: the words a message offers."""
    return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0]
