"""Helpers shared by text-based importers: decoding with a clear error, CSV dialect sniffing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

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


def sniff_delimiter(head: str) -> str:
    """Comma, tab or semicolon: whichever splits the header line into the most fields."""
    first = head.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def csv_rows(binary: BinaryIO, path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of a CSV file with the line number each starts on; decoding errors name the line."""
    stream = text_stream(binary, path)
    reader = csv.reader(stream, delimiter=delimiter)
    line = 1
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not valid UTF-8 ({exc.reason})", "Re-save the file as UTF-8", line=line) from exc
    except csv.Error as exc:
        raise InputError(str(path), f"broken CSV ({exc})", "Check the quoting near this line", line=line) from exc
    finally:
        # The binary stream belongs to the caller, who closes it; the wrapper lets go of it.
        if not stream.closed and not binary.closed:
            stream.detach()
