"""CSV reading stays bounded on hostile files and names the right line (issue 8, hostile input)."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from toolkit.errors import InputError
from toolkit.sources._text import LINE_LIMIT, csv_rows


def _rows(data: bytes, name: str = "export.csv") -> list:
    from pathlib import Path

    return list(csv_rows(io.BytesIO(data), Path(name), ","))


def test_a_huge_cell_is_refused_with_bounded_memory():
    cell = b"a" * (3 * LINE_LIMIT)  # 24 MB in one quoted cell, no newline inside
    data = b"url,name\nhttps://www.facebook.com/a,\"" + cell + b"\"\nhttps://www.facebook.com/b,ok\n"
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as raised:
            _rows(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.line == 2
    assert "a line longer than" in raised.value.problem
    # The line is read in LINE_LIMIT pieces, never whole: far less than the 24 MB cell (x4 as str).
    assert peak < 6 * LINE_LIMIT, peak


def test_wide_rows_under_the_limit_still_read():
    header = "url," + ",".join(f"c{i}" for i in range(100_000))
    row = "https://www.facebook.com/a," + ",".join("x" for _ in range(100_000))
    rows = _rows(f"{header}\n{row}\n".encode())
    assert [line for line, _ in rows] == [1, 2]
    assert len(rows[1][1]) == 100_001


@pytest.mark.parametrize("before", [0, 5, 200_000])
def test_invalid_utf8_names_the_line_it_is_on(before):
    good = b"".join(b"https://www.facebook.com/p%d,ok\n" % n for n in range(before))
    data = b"url,name\n" + good + b"https://www.facebook.com/a,Cruce \xff seguro\n"
    with pytest.raises(InputError) as raised:
        _rows(data)
    assert raised.value.line == before + 2
    assert "not valid UTF-8" in raised.value.problem


def test_a_character_split_across_read_chunks_is_not_an_error_line():
    # "ñ" straddles the 1 MiB boundary the line finder reads in; the bad byte comes two lines later.
    data = b"url,name\n" + b"x" * 99 + b"\n"
    while len(data) < (1 << 20) - 200:
        data += b"x" * 99 + b"\n"
    data += b"y" * ((1 << 20) - 1 - len(data)) + "ñ".encode() + b"\nz\n\xff\n"
    assert data[(1 << 20) - 1 : (1 << 20) + 1] == "ñ".encode()
    with pytest.raises(InputError) as raised:
        _rows(data)
    assert raised.value.line == data[: data.index(b"\xff")].count(b"\n") + 1
