"""Reading a query's result as numpy columns, for the reads that cover a whole case.

The sqlite3 module builds a tuple per row and a Python object per cell: at 500,000 checks that is
seconds of CPU and hundreds of MB before any work is done. Here every column comes back from
SQLite as one string (`group_concat`, all columns in one pass over the rows, so they share one row
order), split in C and turned into an array: integers parsed by numpy, text kept as an object array
in which equal values share one string object (statuses, methods and detectors repeat a few values
over many rows). A value that holds the separator itself (a free-text field) makes the read fall
back to fetching rows, with the same result.

numpy is imported here, not at the top of the modules that call this, so commands that never read
a whole case start without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

SEP = "\x1f"  # the unit separator: never in the codes, tokens and dates these reads carry
INT, TEXT = "int", "text"  # column kinds: integers (NULL reads 0), text (NULL reads None)


def read_columns(conn: sqlite3.Connection, sql: str, params: Mapping[str, Any] | Iterable[Any],
                 kinds: Mapping[str, str]) -> dict[str, Any]:
    """The columns named in `kinds` of the rows `sql` (a SELECT naming them) returns, as numpy
    arrays of one length and row order: int64 for INT columns (NULL as 0), object arrays for TEXT
    columns (NULL as None)."""
    import numpy as np

    parts = []
    for name, kind in kinds.items():
        if kind == INT:
            parts.append(f"group_concat(coalesce(\"{name}\", 0), ',')")
        else:  # a marker before every value tells an empty string from NULL
            parts.append(f"group_concat(coalesce('=' || \"{name}\", ''), char(31))")
    row = conn.execute(f"SELECT count(*), {', '.join(parts)} FROM ({sql})", params).fetchone()
    count = row[0]
    out: dict[str, Any] = {}
    for (name, kind), text in zip(kinds.items(), row[1:], strict=True):
        if kind == INT:
            values = np.fromstring(text, dtype=np.int64, sep=",") if count else np.zeros(0, dtype=np.int64)
            if len(values) != count:
                return _by_rows(conn, sql, params, kinds)
            out[name] = values
            continue
        cells = text.split(SEP) if count else []
        if len(cells) != count:  # a value holds the separator
            return _by_rows(conn, sql, params, kinds)
        # Each distinct cell once: its number, then the column as those numbers taken from the values.
        index = dict.fromkeys(cells)
        values = np.empty(len(index), dtype=object)
        for n, cell in enumerate(index):
            index[cell] = n
            values[n] = cell[1:] if cell else None
        out[name] = values[np.fromiter(map(index.__getitem__, cells), dtype=np.int64, count=count)]
    return out


def _by_rows(conn: sqlite3.Connection, sql: str, params: Mapping[str, Any] | Iterable[Any],
             kinds: Mapping[str, str]) -> dict[str, Any]:
    """The same columns, fetched row by row (the slow path, for values that hold the separator)."""
    import numpy as np

    rows = conn.execute(f"SELECT {', '.join(f'{chr(34)}{name}{chr(34)}' for name in kinds)} FROM ({sql})",
                        params).fetchall()
    out: dict[str, Any] = {}
    for n, (name, kind) in enumerate(kinds.items()):
        if kind == INT:
            out[name] = np.array([row[n] or 0 for row in rows], dtype=np.int64)
        else:
            column = np.empty(len(rows), dtype=object)
            column[:] = [row[n] for row in rows]
            out[name] = column
    return out


def text_key(values: Any) -> Any:
    """An array that sorts like `values` (strings, compared as SQLite compares text): bytes when
    every value is ASCII (fast to sort), else unicode."""
    import numpy as np

    try:
        return np.array(values.tolist(), dtype="S")
    except UnicodeEncodeError:
        return np.array(values.tolist(), dtype="U")
