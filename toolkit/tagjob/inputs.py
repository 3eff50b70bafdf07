"""The dataset cut into parts, and each part read as Arrow tables of the columns a `ColumnMap` names.

A part is the unit a worker runs: a range of row groups of one Parquet file (so one big file is
shared among workers), one CSV or NDJSON file (plain or gzip), or one member of a zip file (a
CSV or NDJSON member, or a zip inside the zip whose CSV parts are read in order, as the DSA
Transparency Database packs its daily dumps). CSV and NDJSON files are not split inside: their
records can only be counted from the start, and a failure must name its line. Convert one huge
CSV to Parquet to share it among workers (docs/distributed.md).

Reading yields `Chunk`s: the part's source label, the ordinal of the chunk's first record in that
source (0-based, counting the records read), and a table with the fixed columns `text`, `id`,
`name`, `url`, `platform`, `created`, `kind`, `key`, `parent` and `keep:<column>` for each kept
column (absent values are nulls). Records that cannot be read are counted by cause in `Failures`
(the first of each with its line or row) and skipped; a file that cannot be read at all raises
InputError naming it.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from toolkit.errors import InputError, UsageError
from toolkit.sources._text import sniff_delimiter
from toolkit.sources.base import MapError
from toolkit.tagjob.columns import TEXT_JOIN, ColumnMap

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
NDJSON = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
ZIP = (".zip",)
FIXED = ("text", "id", "name", "url", "platform", "created", "kind", "key", "parent")
LINE_LIMIT = 64 << 20  # an NDJSON line longer than this is skipped, not held in memory
CSV_BLOCK = 4 << 20  # bytes pyarrow parses at once; a CSV row longer than this fails its file


def kind_of(name: str) -> str | None:
    low = name.lower()
    for kind, suffixes in (("parquet", PARQUET), ("csv", CSV), ("ndjson", NDJSON), ("zip", ZIP)):
        if low.endswith(suffixes):
            return kind
    return None


@dataclass(frozen=True)
class Part:
    """One unit of work. `members` are zip members from the outer file inwards; `row_groups` the
    Parquet row groups read (first_row: the file's row index of the first one's first row)."""

    index: int
    kind: str  # parquet, csv, ndjson, zip (a zip inside a zip: its csv/ndjson members in order)
    path: str
    members: tuple[str, ...] = ()
    row_groups: tuple[int, ...] = ()
    first_row: int = 0
    rows: int | None = None  # known in advance for Parquet
    size: int = 0  # bytes (compressed size for zip members)
    problem: str | None = None  # why the file could not be planned: its part fails with this, the others run

    @property
    def source(self) -> str:
        """The file (and zip members) the part's rows come from, as recorded with each row."""
        return "!".join((self.path, *self.members))


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


# --- planning ---------------------------------------------------------------------------------


def files(paths: list[str]) -> list[Path]:
    """The input files: files as given, folders walked (sorted; names starting with `.` or `_`,
    as Parquet writers leave `_SUCCESS` and `_metadata`, skipped). UsageError for a path that is
    missing or of no kind toolkit reads."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p.name)
                           and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
            if not found:
                raise UsageError(f"{path}: no Parquet, CSV, NDJSON or zip files in this folder",
                                 "Give the folder that holds the dataset's files")
            out.extend(found)
        elif path.is_file():
            if kind_of(path.name) is None:
                raise UsageError(f"{path}: not a Parquet, CSV, NDJSON or zip file (by its name)",
                                 "toolkit tag reads .parquet, .csv/.tsv, .ndjson/.jsonl (also .gz) and .zip files")
            out.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder", "Check the path")
    return out


def plan(paths: list[Path], target_rows: int = 250_000) -> list[Part]:
    """The parts of these files, in order: Parquet files cut into runs of whole row groups of
    about `target_rows` rows, other files whole, zip files into their members."""
    parts: list[Part] = []
    for path in paths:
        kind = kind_of(path.name)
        if kind == "parquet":
            try:
                meta = pq.ParquetFile(path).metadata
            except (pa.ArrowInvalid, OSError) as exc:
                parts.append(Part(len(parts), kind, str(path), rows=0, problem=f"not a readable Parquet file ({exc})"))
                continue
            groups: list[int] = []
            rows = first = start = 0
            for number in range(meta.num_row_groups):
                if not groups:
                    first = start
                groups.append(number)
                count = meta.row_group(number).num_rows
                rows += count
                start += count
                if rows >= target_rows:
                    parts.append(Part(len(parts), kind, str(path), row_groups=tuple(groups), first_row=first, rows=rows))
                    groups, rows = [], 0
            if groups or not meta.num_row_groups:
                parts.append(Part(len(parts), kind, str(path), row_groups=tuple(groups), first_row=first, rows=rows))
        elif kind == "zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    members = [(m.filename, m.compress_size) for m in archive.infolist()
                               if not m.is_dir() and kind_of(m.filename) in {"csv", "ndjson", "zip"}]
            except (zipfile.BadZipFile, OSError) as exc:
                parts.append(Part(len(parts), kind, str(path), problem=f"not a readable zip file ({exc})"))
                continue
            for name, size in members:
                parts.append(Part(len(parts), kind_of(name) or "", str(path), members=(name,), size=size))
        else:
            parts.append(Part(len(parts), kind or "", str(path), size=path.stat().st_size))
    return parts


def columns_of(part: Part) -> tuple[list[str], bool]:
    """The column names of a part's first source (CSV header, Parquet schema, first NDJSON
    record's keys) and whether they are NDJSON keys (names are then dotted paths)."""
    if part.problem:
        raise InputError(part.source, part.problem, "Check that the file is complete; download or copy it again")
    if part.kind == "parquet":
        return pq.ParquetFile(part.path).schema_arrow.names, False
    with _opened(part) as (stream, _):
        if part.kind == "zip":
            with _inner_zip(stream) as inner:
                name = next((n for n in inner.namelist() if kind_of(n) in {"csv", "ndjson"}), None)
                if name is None:
                    return [], False
                with inner.open(name) as member:
                    return _head_columns(_decompressed(member, name), kind_of(name) or "", part.source)
        return _head_columns(stream, part.kind, part.source)


def _head_columns(stream: BinaryIO, kind: str, source: str) -> tuple[list[str], bool]:
    head = stream.read(1 << 20)
    if kind == "csv":
        text = head.decode("utf-8-sig", errors="replace")
        first = text.split("\n", 1)[0].rstrip("\r")
        return [c.strip().strip('"') for c in first.split(sniff_delimiter(first))], False
    for line in head.splitlines():
        if line.strip():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise InputError(source, "the first line is not JSON", "Check that this is an NDJSON file", line=1) from None
            return (list(record) if isinstance(record, dict) else []), True
    return [], True


# --- reading ----------------------------------------------------------------------------------


class _opened:
    """The part's file, or its outer zip member, as a binary stream (gzip undone)."""

    def __init__(self, part: Part):
        self.part = part
        self.closers: list[Any] = []

    def __enter__(self) -> tuple[BinaryIO, str]:
        part = self.part
        try:
            raw: BinaryIO = open(part.path, "rb")
            self.closers.append(raw)
            name = part.path
            if part.members:
                archive = zipfile.ZipFile(raw)
                self.closers.append(archive)
                name = part.members[0]
                raw = archive.open(name)
                self.closers.append(raw)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            self.__exit__(None, None, None)
            raise InputError(part.source, f"cannot be read ({exc})", "Check that the file is there and complete") from exc
        return _decompressed(raw, name), name

    def __exit__(self, *exc: object) -> None:
        for closer in reversed(self.closers):
            closer.close()


def _decompressed(stream: BinaryIO, name: str) -> BinaryIO:
    return gzip.GzipFile(fileobj=stream) if name.lower().endswith(".gz") else stream  # type: ignore[return-value]


class _inner_zip:
    """A zip inside a zip, copied to a temporary file first: a zip is read from its end, and
    seeking back and forth inside a compressed member would decompress it again each time."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def __enter__(self) -> zipfile.ZipFile:
        self.copy = tempfile.TemporaryFile()
        shutil.copyfileobj(self.stream, self.copy, 1 << 20)
        self.copy.seek(0)
        try:
            self.archive = zipfile.ZipFile(self.copy)
        except zipfile.BadZipFile:
            self.copy.close()
            raise
        return self.archive

    def __exit__(self, *exc: object) -> None:
        self.archive.close()
        self.copy.close()


def read_part(part: Part, columns: ColumnMap, failures: Failures, batch_rows: int) -> Iterator[Chunk]:
    """The part's records in chunks of at most `batch_rows`, as described in the module docstring."""
    if part.problem:
        raise InputError(part.source, part.problem, "Check that the file is complete; download or copy it again")
    if part.kind == "parquet":
        yield from _parquet(part, columns, batch_rows)
        return
    with _opened(part) as (stream, _name):
        if part.kind == "zip":
            try:
                with _inner_zip(stream) as inner:
                    for name in inner.namelist():
                        kind = kind_of(name)
                        if kind not in {"csv", "ndjson"}:
                            continue
                        with inner.open(name) as member:
                            yield from _text_source(_decompressed(member, name), kind, f"{part.source}!{name}",
                                                    columns, failures, batch_rows)
            except zipfile.BadZipFile as exc:
                raise InputError(part.source, f"not a readable zip file ({exc})", "Download the file again") from exc
        else:
            yield from _text_source(stream, part.kind, part.source, columns, failures, batch_rows)


def _text_source(stream: BinaryIO, kind: str | None, source: str, columns: ColumnMap, failures: Failures,
                 batch_rows: int) -> Iterator[Chunk]:
    if kind == "csv":
        yield from _csv(stream, source, columns, failures, batch_rows)
    else:
        yield from _ndjson(stream, source, columns, failures, batch_rows)


def _parquet(part: Part, columns: ColumnMap, batch_rows: int) -> Iterator[Chunk]:
    try:
        handle = pq.ParquetFile(part.path)
        missing = [c for c in columns.needed() if c not in handle.schema_arrow.names]
        if missing:
            raise InputError(part.source, f"no column {', '.join(map(repr, missing))}",
                             "Name the dataset's columns with --text-col, --id-col ... (see docs/distributed.md)")
        first = part.first_row
        for batch in handle.iter_batches(batch_size=batch_rows, row_groups=list(part.row_groups),
                                         columns=columns.needed(), use_threads=False):
            yield Chunk(part.source, first, normalise(pa.Table.from_batches([batch]), columns, None, part.source))
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(part.source, f"cannot be read as Parquet ({exc})", "Check that the file is complete") from exc


def _csv(stream: BinaryIO, source: str, columns: ColumnMap, failures: Failures, batch_rows: int) -> Iterator[Chunk]:
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


def _ndjson(stream: BinaryIO, source: str, columns: ColumnMap, failures: Failures, batch_rows: int) -> Iterator[Chunk]:
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
            failures.add("line-too-long", f"a line longer than {LINE_LIMIT >> 20} MB", f"{source}:{number}")
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


def _as_text(column: pa.ChunkedArray, failures: Failures | None, source: str) -> pa.ChunkedArray:
    """A column as UTF-8 strings; a binary cell that is not UTF-8 is decoded with replacement
    characters and counted (`not-utf8`)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
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
        return _as_text(table[name], failures, source) if name else nulls

    if len(columns.text) == 1:
        body = text(columns.text[0])
    else:
        # Empty cells count as absent, so that no blank line is left where one is missing.
        parts = [pc.if_else(pc.equal(col, ""), None, col) for col in map(text, columns.text)]
        body = pc.binary_join_element_wise(*parts, TEXT_JOIN, null_handling="skip")
    out = {"text": body, "id": text(columns.id), "name": text(columns.name), "url": text(columns.url),
           "platform": text(columns.platform) if columns.platform else
           (pa.array([columns.platform_value] * count, pa.string()) if columns.platform_value else nulls),
           "created": _as_text(table[columns.created], None, source) if columns.created else nulls,
           "kind": nulls, "key": nulls, "parent": nulls}
    for name in columns.keep:
        column = table[name]
        binary = pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)
        out[f"keep:{name}"] = _as_text(column, None, source) if binary else column
    return pa.table(out)


def total_rows(parts: list[Part]) -> int | None:
    """The rows of every part when all are known in advance (Parquet), else None."""
    counts = [p.rows for p in parts]
    return None if any(c is None for c in counts) else sum(c or 0 for c in counts)


def file_facts(paths: list[Path]) -> list[dict[str, Any]]:
    """Each input file's path, size and modification time, for the manifest."""
    out = []
    for path in paths:
        stat = os.stat(path)
        out.append({"path": str(path), "size": stat.st_size, "modified": int(stat.st_mtime)})
    return out
