"""Reading a query's result as numpy columns, for the reads that cover a whole case.

The sqlite3 module builds a tuple per row and a Python object per cell: at 500,000 checks that is
seconds of CPU and hundreds of MB before any work is done. Here every column comes back from
SQLite as one string (`group_concat`, all columns in one pass over the rows, so they share one row
order), split in C and turned into an array. By the kind of column:

- INT: integers, parsed by numpy (NULL reads 0);
- CODE: text with few distinct values (statuses, methods, detectors, reason codes): a first pass
  finds the distinct values, then SQLite writes each cell as the number of its value, which numpy
  parses, and the column is those numbers taken from the values (equal cells share one string);
- TEXT: any text (NULL reads None), a marker before every value telling an empty string from NULL;
  equal cells share one string object;
- DATE: text that is never NULL and mostly distinct (times): split and kept as it is.

A value that holds the separator itself (a free-text field), or a column with more distinct values
than CODE is meant for, makes the read fall back to a slower path, with the same result.

numpy is imported here, not at the top of the modules that call this, so commands that never read
a whole case start without it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

SEP = "\x1f"  # the unit separator: never in the codes, tokens and dates these reads carry
INT, TEXT, CODE, DATE = "int", "text", "code", "date"  # column kinds (see above)
MAX_CODES = 4096  # distinct combinations of the CODE columns read as numbers; beyond, read as TEXT


def read_columns(conn: sqlite3.Connection, sql: str, params: Mapping[str, Any] | Iterable[Any],
                 kinds: Mapping[str, str]) -> dict[str, Any]:
    """The columns named in `kinds` of the rows `sql` (a SELECT naming them) returns, as numpy
    arrays of one length and row order: int64 for INT columns (NULL as 0), object arrays for CODE,
    TEXT and DATE columns (NULL as None; a DATE column must hold no NULL)."""
    import numpy as np

    codes = _codes(conn, sql, params, [name for name, kind in kinds.items() if kind == CODE])
    parts = []
    for name, kind in kinds.items():
        if name in codes:
            whens = " ".join(f"WHEN {_literal(value)} THEN {n}" for n, value in enumerate(codes[name]) if n)
            parts.append(f"group_concat(CASE \"{name}\" {whens} ELSE 0 END, ',')" if whens else "group_concat(0, ',')")
        elif kind == INT:
            parts.append(f"group_concat(coalesce(\"{name}\", 0), ',')")
        elif kind == DATE:
            parts.append(f"group_concat(\"{name}\", char(31))")
        else:  # a marker before every value tells an empty string from NULL
            parts.append(f"group_concat(coalesce('=' || \"{name}\", ''), char(31))")
    # With each CODE column, its number of NULLs: a value written between the two passes (another
    # process's) would read as number 0 too, and the count then tells.
    parts.extend(f'sum("{name}" IS NULL)' for name in codes)
    row = conn.execute(f"SELECT count(*), {', '.join(parts)} FROM ({sql})", params).fetchone()
    count, nulls = row[0], dict(zip(codes, row[1 + len(kinds):], strict=True))
    # Each column's text let go as soon as it is split: the row held them all to the end (at
    # 100,000 items, tens of MB beside the columns made of them).
    texts = list(row[1:1 + len(kinds)])
    del row
    out: dict[str, Any] = {}
    for at, (name, kind) in enumerate(kinds.items()):
        text, texts[at] = texts[at], None
        if kind == INT or name in codes:
            values = np.fromstring(text, dtype=np.int64, sep=",") if count else np.zeros(0, dtype=np.int64)
            del text
            if len(values) != count:
                return _by_rows(conn, sql, params, kinds)
            if name in codes:
                if int(np.count_nonzero(values == 0)) != (nulls[name] or 0):
                    return _by_rows(conn, sql, params, kinds)
                table = np.empty(len(codes[name]), dtype=object)
                table[:] = codes[name]
                values = table[values]
            out[name] = values
            continue
        cells = text.split(SEP) if count else []
        del text
        if len(cells) != count:  # a value holds the separator (or a DATE column a NULL)
            return _by_rows(conn, sql, params, kinds)
        if kind == DATE:
            column = np.empty(count, dtype=object)
            column[:] = cells
            out[name] = column
            del cells
            continue
        # Each distinct cell once: its number, then the column as those numbers taken from the values.
        index = dict.fromkeys(cells)
        values = np.empty(len(index), dtype=object)
        for n, cell in enumerate(index):
            index[cell] = n
            values[n] = cell[1:] if cell else None
        out[name] = values[np.fromiter(map(index.__getitem__, cells), dtype=np.int64, count=count)]
        del cells, index
    return out


def _codes(conn: sqlite3.Connection, sql: str, params: Mapping[str, Any] | Iterable[Any],
           names: list[str]) -> dict[str, list[str | None]]:
    """For each CODE column that can be read as numbers, its values: None (number 0), then the
    distinct values in order. Columns whose values are not all short text are left out (read as TEXT)."""
    if not names:
        return {}
    quoted = ", ".join(f'"{name}"' for name in names)
    combos = conn.execute(f"SELECT DISTINCT {quoted} FROM ({sql}) LIMIT {MAX_CODES + 1}", params).fetchall()
    if len(combos) > MAX_CODES:
        return {}
    codes: dict[str, list[str | None]] = {}
    for n, name in enumerate(names):
        values = {row[n] for row in combos} - {None}
        # Only text goes into the CASE (a number or blob would compare differently); no NUL, which
        # SQL text cannot carry.
        if all(isinstance(v, str) and "\x00" not in v for v in values):
            codes[name] = [None, *sorted(values)]
    return codes


def _literal(value: str) -> str:
    """`value` as an SQL string literal (quotes doubled: SQLite has no other escape in a literal)."""
    return "'" + value.replace("'", "''") + "'"


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
