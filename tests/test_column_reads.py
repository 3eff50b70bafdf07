"""Whole-case reads as numpy columns (`store.column_reads`) give what fetching the rows gives.

Each kind of column (INT, CODE, TEXT, DATE) is read through `group_concat` and split; values that
would confuse that (the separator itself, quotes, empty strings beside NULLs, numbers in a text
column, more distinct values than CODE takes) must come back exactly as stored, whatever path the
read takes.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.store import column_reads
from toolkit.store.column_reads import CODE, DATE, INT, TEXT, read_columns

KINDS = {"id": INT, "n": INT, "code": CODE, "text": TEXT, "date": DATE}
SQL = "SELECT id, n, code, text, date FROM t WHERE id >= :low"


def _table(rows: list[tuple]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, code TEXT, text TEXT, date TEXT NOT NULL)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    return conn


def _expected(rows: list[tuple], low: int) -> dict[str, list]:
    kept = [row for row in rows if row[0] >= low]
    return {name: [(row[n] or 0) if kind == INT else row[n] for row in kept] for n, (name, kind) in enumerate(KINDS.items())}


CELL = st.one_of(st.none(), st.sampled_from(["", "'", "a'b", "=x", "\x1f", "live", "gone", "a,b", "1", "é"]), st.text(max_size=4))
ROW = st.tuples(st.integers(-5, 5), CELL, CELL, st.text(max_size=6) | st.sampled_from(["\x1f", "2021-04-16T00:00:00Z"]))


@settings(max_examples=200)
@given(st.lists(ROW, max_size=12), st.integers(0, 6))
def test_every_kind_of_column_reads_as_stored(cells, low):
    rows = [(n, *row) for n, row in enumerate(cells)]
    out = read_columns(_table(rows), SQL, {"low": low}, KINDS)
    assert {name: column.tolist() for name, column in out.items()} == _expected(rows, low)


def test_codes_keep_quotes_and_tell_empty_from_null():
    rows = [(1, 0, "it's", "", "t1"), (2, 0, None, None, "t2"), (3, 0, "", "x", "t3"), (4, 0, "it's", "", "t4")]
    out = read_columns(_table(rows), SQL, {"low": 0}, KINDS)
    assert out["code"].tolist() == ["it's", None, "", "it's"]
    assert out["text"].tolist() == ["", None, "x", ""]
    # Equal cells share one string object, as a column of few values should.
    assert out["code"][0] is out["code"][3]


def test_a_column_with_too_many_values_for_codes_reads_as_text(monkeypatch):
    monkeypatch.setattr(column_reads, "MAX_CODES", 3)
    rows = [(n, n, f"v{n}", None, "t") for n in range(10)]
    out = read_columns(_table(rows), SQL, {"low": 0}, KINDS)
    assert out["code"].tolist() == [f"v{n}" for n in range(10)]


def test_a_value_written_between_the_two_passes_is_not_read_as_null():
    # The distinct values are read first; another process may add a new one before the second pass.
    conn = _table([(1, 0, "live", None, "t1")])
    codes = column_reads._codes
    def then_write(*args):
        found = codes(*args)
        conn.execute("INSERT INTO t VALUES (2, 0, 'gone', NULL, 't2')")
        return found
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(column_reads, "_codes", then_write)
        out = read_columns(conn, SQL, {"low": 0}, KINDS)
    assert out["code"].tolist() == ["live", "gone"]


def test_no_rows():
    out = read_columns(_table([]), SQL, {"low": 0}, KINDS)
    assert all(len(column) == 0 for column in out.values())
