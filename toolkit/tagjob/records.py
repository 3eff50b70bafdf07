"""One source's records as Arrow tables of fixed columns: CSV (pyarrow), NDJSON, or through an importer.

`inputs.read_part` opens a part's files and hands each CSV or NDJSON source to `csv_chunks` or
`ndjson_chunks`; Parquet tables go straight to `normalise`. The fixed columns are described in
toolkit/tagjob/inputs.py. Records that cannot be read are counted in `Failures` and skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from toolkit.errors import InputError
from toolkit.safeio import limit
from toolkit.sources._text import sniff_delimiter
from toolkit.sources.base import MapError
from toolkit.tagjob.columns import TEXT_JOIN, ColumnMap

FIXED = ("text", "id", "name", "url", "platform", "created", "kind", "key", "parent")
# An NDJSON line longer than this is skipped, not held in memory (parsed, a line costs up to ~36x).
LINE_LIMIT = limit("record_line_bytes") + 1
CSV_BLOCK = 4 << 20  # bytes pyarrow parses at once; a CSV row longer than this fails its file


@dataclass
class Failures:
    """Records that could not be read or mapped: cause -> [count, first detail, where]."""

    causes: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, cause: str, detail: str, where: str) -> None:
        entry = self.causes.get(cause)
        if entry is None:
            self.causes[cause] = [1, detail, where]
        else:
            entry[0] += 1

    @property
    def count(self) -> int:
        return sum(entry[0] for entry in self.causes.values())


@dataclass
class Chunk:
    source: str
    first: int  # ordinal of the first record in its source
    table: pa.Table


def csv_chunks(stream: BinaryIO, source: str, columns: ColumnMap, failures: Failures, batch_rows: int) -> Iterator[Chunk]:
    buffered = io.BufferedReader(stream, 1 << 20) if not isinstance(stream, io.BufferedReader) else stream  # type: ignore[arg-type]
    head = buffered.peek(65536)[:65536].decode("utf-8-sig", errors="replace")
    delimiter = sniff_delimiter(head.split("\n", 1)[0])

    def invalid(row: Any) -> str:
        failures.add("wrong-cell-count", f"{row.actual_columns} cells for {row.expected_columns} columns",
                     f"{source}: row {row.number}" if row.number is not None else source)
        return "skip"

    # An importer's map reads every column, under the names its own reader gives them.
    needed = columns.needed() if not columns.mapper else _header(head, delimiter)
    mapper = _mapper(columns.mapper) if columns.mapper else None
    try:
        reader = pcsv.open_csv(
            buffered,
            read_options=pcsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid),
            # Read as bytes: a cell that is not UTF-8 is then one record's problem, not the file's.
            convert_options=pcsv.ConvertOptions(include_columns=needed, column_types=dict.fromkeys(needed, pa.binary()),
                                                strings_can_be_null=False))
        first = 0
        for batch in reader:
            table = pa.Table.from_batches([batch])
            for start in range(0, table.num_rows, batch_rows):
                piece = table.slice(start, batch_rows)
                if mapper is not None:
                    texts = pa.table({name.strip().lower(): _as_text(piece[name], failures, source)
                                      for name in piece.column_names})
                    rows = [row for number, record in enumerate(texts.to_pylist(), start=first)
                            if (row := _mapped(mapper, record, failures, f"{source}: record {number}")) is not None]
                    if rows:
                        yield Chunk(source, first, _rows_table(rows, columns))
                    first += len(rows)
                    continue
                yield Chunk(source, first, normalise(piece, columns, failures, source))
                first += piece.num_rows
    except pa.ArrowInvalid as exc:
        problem = str(exc)
        if "include_columns" in problem or "does not exist" in problem:
            raise InputError(source, f"a column named in the options is missing ({problem})",
                             "Name the file's columns with --text-col, --id-col ...") from exc
        raise InputError(source, f"broken CSV ({problem})", "Check the quoting; a row longer than "
                         f"{CSV_BLOCK >> 20} MB is not read") from exc


def _header(head: str, delimiter: str) -> list[str]:
    """The header row's cells (quotes undone), from the head of a CSV file."""
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    return next(reader, [])


def ndjson_chunks(stream: BinaryIO, source: str, columns: ColumnMap, failures: Failures, batch_rows: int) -> Iterator[Chunk]:
    mapper = _mapper(columns.mapper) if columns.mapper else None
    paths = {name: name.split(".") for name in columns.needed()}
    rows: list[dict[str, Any]] = []
    first = 0
    reader = io.BufferedReader(stream, 1 << 20) if not isinstance(stream, io.BufferedReader) else stream  # type: ignore[arg-type]
    number = 0
    while True:
        line = reader.readline(LINE_LIMIT)
        if not line:
            break
        number += 1
        if len(line) >= LINE_LIMIT and not line.endswith(b"\n"):
            failures.add("line-too-long", f"a line longer than {LINE_LIMIT - 1:,} bytes (limit record_line_bytes)",
                         f"{source}:{number}")
            while (rest := reader.readline(LINE_LIMIT)) and not rest.endswith(b"\n"):
                pass
            continue
        line = line.strip()
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            failures.add("not-json", f"line is not JSON ({str(exc).split(':', 1)[0]})", f"{source}:{number}")
            continue
        if mapper is not None:
            row = _mapped(mapper, record, failures, f"{source}:{number}")
            if row is None:
                continue
        else:
            if not isinstance(record, dict):
                failures.add("not-an-object", f"line holds a JSON {type(record).__name__}", f"{source}:{number}")
                continue
            row = {name: _dig(record, path) for name, path in paths.items()}
        rows.append(row)
        if len(rows) >= batch_rows:
            yield Chunk(source, first, _rows_table(rows, columns))
            first += len(rows)
            rows = []
    if rows:
        yield Chunk(source, first, _rows_table(rows, columns))


def _dig(record: Any, path: list[str]) -> Any:
    for step in path:
        if not isinstance(record, dict):
            return None
        record = record.get(step)
    return record


def _mapper(name: str) -> Any:
    from toolkit.sources import registry

    return registry.get(name)


def _mapped(importer: Any, record: Any, failures: Failures, where: str) -> dict[str, Any] | None:
    """The post an importer maps a record to (its last capture: parents come first), as a row."""
    try:
        captures = list(importer.map(record))
    except MapError as exc:
        failures.add(exc.cause, exc.detail, where)
        return None
    if not captures:
        return None
    post = captures[-1]
    parent = post.parent
    return {"text": post.text, "id": post.item.key, "name": post.name, "url": post.url or post.item.url,
            "platform": post.item.platform, "created": post.created_at, "kind": str(post.item.kind),
            "key": post.item.key,
            "parent": orjson.dumps({"platform": parent.platform, "kind": str(parent.kind), "key": parent.key,
                                    "url": parent.url}).decode() if parent is not None else None}


def _scalar_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _rows_table(rows: list[dict[str, Any]], columns: ColumnMap) -> pa.Table:
    """NDJSON rows (values by column name, or the mapper's fixed names) as a normalised table."""
    if columns.mapper:
        return pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in FIXED})
    names = columns.needed()
    table = pa.table({name: pa.array([_scalar_text(row[name]) for row in rows], pa.string()) for name in names})
    return normalise(table, columns, None, "")


def _as_text(column: pa.ChunkedArray, failures: Failures | None, source: str, name: str = "") -> pa.ChunkedArray:
    """A column as UTF-8 strings; a binary cell that is not UTF-8 is decoded with replacement
    characters and counted (`not-utf8`); a float NaN (how pandas writes a missing number) is
    absent, never the text "nan". InputError naming the file and column `name` for a nested
    column (list, struct, map), which has no one text to read."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_nested(column.type):
        raise InputError(source, f"column {name!r} holds {column.type} values, not text",
                         "Name a column of text with --text-col, --id-col ...; flatten a nested column first "
                         "(DuckDB: COPY (SELECT *, col.field AS field FROM 'in.parquet') TO 'out.parquet')")
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, pa.string()), pc.cast(column, pa.string()))
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        try:
            return pc.cast(column, pa.string())
        except pa.ArrowInvalid:
            values = column.to_pylist()
            out = []
            for value in values:
                if value is None:
                    out.append(None)
                    continue
                try:
                    out.append(value.decode("utf-8"))
                except UnicodeDecodeError:
                    out.append(value.decode("utf-8", errors="replace"))
                    if failures is not None:
                        failures.add("not-utf8", "a cell is not valid UTF-8 (read with replacement characters)", source)
            return pa.chunked_array([pa.array(out, pa.string())])
    return pc.cast(column, pa.string())


def normalise(table: pa.Table, columns: ColumnMap, failures: Failures | None, source: str) -> pa.Table:
    """The fixed columns from a table of the named ones (see the module docstring)."""
    count = table.num_rows
    nulls = pa.nulls(count, pa.string())

    def text(name: str | None) -> pa.ChunkedArray | pa.Array:
        return _as_text(table[name], failures, source, name) if name else nulls

    if len(columns.text) == 1:
        body = text(columns.text[0])
    else:
        # Empty cells count as absent, so that no blank line is left where one is missing.
        parts = [pc.if_else(pc.equal(col, ""), None, col) for col in map(text, columns.text)]
        body = pc.binary_join_element_wise(*parts, TEXT_JOIN, null_handling="skip")
    out = {"text": body, "id": text(columns.id), "name": text(columns.name), "url": text(columns.url),
           "platform": text(columns.platform) if columns.platform else
           (pa.array([columns.platform_value] * count, pa.string()) if columns.platform_value else nulls),
           "created": _as_text(table[columns.created], None, source, columns.created) if columns.created else nulls,
           "kind": nulls, "key": nulls, "parent": nulls}
    for name in columns.keep:
        column = table[name]
        binary = pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)
        out[f"keep:{name}"] = _as_text(column, None, source) if binary else column
    return pa.table(out)
