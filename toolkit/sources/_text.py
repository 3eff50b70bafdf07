"""Helpers shared by text-based importers: decoding with a clear error, CSV dialect sniffing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.errors import InputError

# Binary junk is refused early: a text export has almost no control bytes in its head.
CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


def looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head[:8192] and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        return True
    sample = head[:4096]
    return sum(byte in CONTROL for byte in sample) > len(sample) * 0.05


def text_stream(binary: BinaryIO, path: Path) -> io.TextIOWrapper:
    """A UTF-8 text stream over `binary` (BOM dropped, universal newlines left to csv)."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


# A spreadsheet shows a number of more than 11 digits in scientific notation ("1.00050E+14",
# "1,0005E+14" in a decimal-comma locale) and saves it so in a CSV: the id's last digits are gone,
# and different ids become the same text.
_ROUNDED = re.compile(r"\d(?:[.,]\d+)?E\+\d+", re.I)


def rounded_id(text: str) -> str | None:
    """Why an id cell cannot be trusted (a spreadsheet rounded it to scientific notation), or None."""
    if "+" not in text or not _ROUNDED.fullmatch(text.strip()):
        return None
    return (f"{text.strip()!r} was rounded by a spreadsheet (scientific notation): the real id is lost; "
            "read the original export, or open it with this column as text")


def repeated_header(cells: list[str], header: list[str], ctx, line: int) -> bool:
    """Whether a row is the header again (downloads joined into one file repeat it, with the BOM of
    each file; compared case-insensitively with `header`, which is read so); noted by line when it is,
    so that it is skipped rather than read as a post named "text" or "URL"."""
    if len(cells) != len(header) or [c.strip().lstrip("\ufeff").lower() for c in cells] != [h.lower() for h in header]:
        return False
    ctx.note("the header row again (exports joined into one file?): skipped", line)
    return True


class UnreadDates:
    """Date cells not in the form an export writes (`form`), per column: a spreadsheet that saved the
    file again wrote its own ("20/09/2010 19:02", day or month first). They are left empty, never
    guessed, and `report` gives one note per column: how many, the first line and value."""

    def __init__(self, form: str) -> None:
        self.form = form
        self.columns: dict[str, list[Any]] = {}  # column -> [count, first line, first value]

    def see(self, column: str, value: str, line: int) -> None:
        self.columns.setdefault(column, [0, line, value])[0] += 1

    def report(self, ctx) -> None:
        for column, (cells, line, value) in self.columns.items():
            ctx.note(f"{column}: {cells:,} cell(s) not {self.form}, such as {value[:40]!r} (re-saved by a "
                     "spreadsheet?): those dates are left empty", line)


def sniff_delimiter(head: str) -> str:
    """Comma, tab or semicolon: whichever splits the header line into the most fields."""
    first = head.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: (counts[d], d == ","))


# The longest physical line a CSV may have, in characters. csv.reader asks its input for whole
# lines, so without a cap one 100 MB line (a huge cell, a file without newlines) would be read
# into memory at once before the csv field limit could refuse it. 100,000 short columns fit.
LINE_LIMIT = 8 * 1024 * 1024


def _bounded_lines(stream: io.TextIOWrapper, path: Path, where: Callable[[], int]) -> Iterator[str]:
    """The stream's lines, refusing any longer than LINE_LIMIT characters (memory stays bounded)."""
    while line := stream.readline(LINE_LIMIT):
        if len(line) >= LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise InputError(str(path), f"a line longer than {LINE_LIMIT:,} characters (not a CSV toolkit can read)",
                             "Check that this is the right file; split huge cells or add the missing line breaks",
                             line=where())
        yield line


def _bad_utf8_line(binary: BinaryIO) -> int | None:
    """The line of the first byte that is not UTF-8 (the text layer decodes in chunks, so the line
    the csv reader had reached can be earlier). None when the file cannot be read again."""
    try:
        binary.seek(0)
    except (OSError, ValueError):
        return None
    line, carry = 1, b""
    while True:
        chunk = binary.read(1 << 20)
        data = carry + chunk
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if chunk and exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
                line += data[: exc.start].count(b"\n")  # a character split across two chunks
                carry = data[exc.start:]
                continue
            return line + data[: exc.start].count(b"\n")
        if not chunk:
            return None
        line += data.count(b"\n")
        carry = b""


def csv_rows(binary: BinaryIO, path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV file with the line number each starts on; decoding errors name the line."""
    stream = text_stream(binary, path)
    line = 1
    reader = csv.reader(_bounded_lines(stream, path, lambda: reader.line_num + 1), delimiter=delimiter)
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        line = _bad_utf8_line(binary) or line
        raise InputError(str(path), f"not valid UTF-8 ({exc.reason})", "Re-save the file as UTF-8", line=line) from exc
    except csv.Error as exc:
        raise InputError(str(path), f"broken CSV ({exc})", "Check the quoting near this line", line=line) from exc
    finally:
        # The caller owns `binary` and closes it; detaching keeps the wrapper from closing it twice
        # or being collected as an unclosed file (a ResourceWarning).
        if not binary.closed:
            stream.detach()
