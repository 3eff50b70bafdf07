"""read_bounded: a page container reads at most the limit, from files and other streams alike."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.sources._page_containers import read_bounded


def _naive(data: bytes, start: int, limit: int) -> tuple[bytes, bool]:
    rest = data[start:]
    return (rest[:limit], True) if len(rest) > limit else (rest, False)


@settings(max_examples=60)
@given(st.binary(max_size=200), st.integers(0, 210), st.integers(0, 60))
def test_files_and_streams_read_the_same(tmp_path_factory, data, limit, start):
    path = tmp_path_factory.mktemp("bounded") / "page.html"
    path.write_bytes(data)
    start = min(start, len(data))
    with open(path, "rb") as handle:
        handle.seek(start)
        from_file = read_bounded(handle, limit)
    stream = io.BytesIO(data)
    stream.seek(start)
    assert from_file == read_bounded(stream, limit) == _naive(data, start, limit)


def test_a_file_that_grew_after_it_was_measured(tmp_path, monkeypatch):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>" + b"x" * 100)
    with open(path, "rb") as handle:
        real_read = handle.read
        calls = []

        def read_and_grow(size=-1):
            calls.append(size)
            if len(calls) == 1:
                path.write_bytes(b"<html>" + b"x" * 300)  # grows between fstat and read
            return real_read(size)

        monkeypatch.setattr(handle, "read", read_and_grow, raising=False)
        body, truncated = read_bounded(handle, 200)
    assert len(body) == 200 and truncated
    assert len(calls) == 2  # the file said 106 bytes; the second read went on to the limit
