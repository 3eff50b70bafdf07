"""The importer contract every export format implements, and the per-file reading context.

An importer is three functions:

- `sniff(path, head)`: cheap format detection from the path and the file's first bytes;
- `read(path, ctx)`: a streaming generator of `(line, raw)` records; never loads a large file
  whole; records that cannot be read are reported with `ctx.fail(...)` and skipped; a file that
  cannot be read at all raises `InputError` naming the file (and line);
- `map(raw)`: pure (no I/O, no clock): the raw record becomes zero or more `Capture`s, parents
  (page, group, channel) before their children. A record that cannot be mapped raises `MapError`.

Built-in importers register exactly as a third-party one would (see `toolkit.sources.registry`).
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from toolkit.models import Capture, DateSource, Failure, Note

HEAD_BYTES = 65536


class MapError(Exception):
    """A record could not be mapped; `cause` is a short stable code used to count failures."""

    def __init__(self, cause: str, detail: str = ""):
        super().__init__(detail or cause)
        self.cause = cause
        self.detail = detail or cause


@dataclass
class ReadContext:
    """What an importer reports about one file while reading it."""

    path: Path
    failures: dict[str, list[Any]] = field(default_factory=dict)  # cause -> [count, first Failure]
    notes: list[Note] = field(default_factory=list)
    collected_at: str | None = None  # set by readers when the file says when it was saved
    collected_source: DateSource | None = None  # where collected_at came from, when not the importer's date_source
    _stream: Any = None

    def fail(self, cause: str, detail: str, line: int | None = None) -> None:
        """Count a record that could not be read; the first detail per cause is kept."""
        entry = self.failures.get(cause)
        if entry is None:
            self.failures[cause] = [1, Failure(cause, detail, line)]
        else:
            entry[0] += 1

    def note(self, message: str, line: int | None = None) -> None:
        """Record a per-file message that is not a failure."""
        self.notes.append(Note(message, line))

    @property
    def failed(self) -> int:
        return sum(entry[0] for entry in self.failures.values())

    def open_binary(self, path: Path | None = None) -> BinaryIO:
        """Open the file for streaming; the scan reads its position to show progress."""
        raw = open(path or self.path, "rb")  # noqa: SIM115 - the reader owns and closes it
        self._stream = raw
        return io.BufferedReader(raw, 1 << 20) if not isinstance(raw, io.BufferedReader) else raw

    @property
    def position(self) -> int | None:
        """Bytes consumed so far, when the reader opened the file through `open_binary`."""
        stream = self._stream
        if stream is None or stream.closed:
            return None
        try:
            return stream.tell()
        except (OSError, ValueError):
            return None


class Importer(ABC):
    """Base class for importers. Subclasses set the class attributes and the three methods."""

    name: ClassVar[str]  # format token for --format, e.g. "crowdtangle-csv"
    version: ClassVar[str]  # bump when mapping changes what is stored
    description: ClassVar[str]  # one line for `toolkit formats`
    # Higher wins when several importers sniff the same file (specific formats over generic ones).
    priority: ClassVar[int] = 50
    # Where the dates this importer reads come from (a capture's own date_source wins).
    date_source: ClassVar[DateSource] = DateSource.EXPORT_FIELD

    @property
    def ident(self) -> str:
        return f"{self.name}@{self.version}"

    @abstractmethod
    def sniff(self, path: Path, head: bytes) -> bool:
        """Cheap detection from the path and the file's first bytes."""

    @abstractmethod
    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        """Stream (line, raw record) pairs; report unreadable records with ctx.fail."""

    @abstractmethod
    def map(self, raw: Any) -> Iterable[Capture]:
        """Pure: one raw record to its captures (parents first), or MapError."""

    def mismatch(self, path: Path, head: bytes) -> str | None:
        """Why `sniff` refuses this file, in words the researcher can act on (the column it needs
        and the columns found...), or None when the importer cannot say more than "not this
        format". Called only when the format was forced and `sniff` said no."""
        return None


def head_text(head: bytes) -> str:
    """The head of a file as text for sniffing: BOM stripped, undecodable bytes replaced."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace")
