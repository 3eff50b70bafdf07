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

import gzip
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit.errors import InputError, UsageError
from toolkit.sources._text import sniff_delimiter
from toolkit.tagjob.columns import ColumnMap
from toolkit.tagjob.records import Chunk, Failures, csv_chunks, ndjson_chunks, normalise

__all__ = ["Chunk", "Failures", "Part", "columns_of", "file_facts", "files", "plan", "read_part", "total_rows"]

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
NDJSON = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
ZIP = (".zip",)


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
        yield from csv_chunks(stream, source, columns, failures, batch_rows)
    else:
        yield from ndjson_chunks(stream, source, columns, failures, batch_rows)


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
