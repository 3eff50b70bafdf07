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
from toolkit.safeio import Recoded, limit, text_encoding

HEAD_BYTES = 65536


class MapError(Exception):
    """A record could not be mapped; `cause` is a short stable code used to count failures."""

    def __init__(self, cause: str, detail: str = ""):
        super().__init__(detail or cause)
        self.cause = cause
        self.detail = detail or cause


# What a file says about its records is bounded: causes and notes are kept up to their limits in
# `toolkit.safeio` (a file giving each record its own cause must not print 300,000 lines), each cause
# and text is cut to a readable length, and the causes past the limit are counted (exactly up to
# OTHER_CAUSES_COUNTED, a set of hashes of at most ~70 MB).
OTHER_CAUSES = "other-causes"
OTHER_CAUSES_COUNTED = 1_000_000
CAUSE_CHARS = 120
DETAIL_CHARS = 500


@dataclass
class ReadContext:
    """What an importer reports about one file while reading it."""

    path: Path
    failures: dict[str, list[Any]] = field(default_factory=dict)  # cause -> [count, first Failure]
    notes: list[Note] = field(default_factory=list)
    collected_at: str | None = None  # set by readers when the file says when it was saved
    collected_source: DateSource | None = None  # where collected_at came from, when not the importer's date_source
    _stream: Any = None
    _others: set[int] = field(default_factory=set, repr=False)  # hashes of the causes past the limit
    _first_other: str = ""
    _notes_left_out: int = 0

    def fail(self, cause: str, detail: str, line: int | None = None) -> None:
        """Count a record that could not be read; the first detail per cause is kept. Past the limit
        on distinct causes (`failure_causes`), records are counted under OTHER_CAUSES, whose
        detail says how many causes it holds and the first of them."""
        cause = cause[:CAUSE_CHARS]
        entry = self.failures.get(cause)
        if entry is not None:
            entry[0] += 1
            return
        detail = detail[:DETAIL_CHARS]
        if len(self.failures) - (OTHER_CAUSES in self.failures) < limit("failure_causes"):
            self.failures[cause] = [1, Failure(cause, detail, line)]
            return
        other = self.failures.get(OTHER_CAUSES)
        if other is None:
            self._first_other = f"{cause}: {detail}"
            other = self.failures[OTHER_CAUSES] = [0, Failure(OTHER_CAUSES, "", line)]
        other[0] += 1
        known = len(self._others)
        if known < OTHER_CAUSES_COUNTED:
            self._others.add(hash(cause))
            if len(self._others) > known:
                counted = len(self._others)
                more = "more than " if counted >= OTHER_CAUSES_COUNTED else ""
                other[1].detail = (f"{more}{counted:,} other cause{'s' if counted > 1 else ''} "
                                   f"(limit failure_causes); the first: {self._first_other}")

    def note(self, message: str, line: int | None = None) -> None:
        """Record a per-file message that is not a failure (up to the `notes` limit, then counted)."""
        if len(self.notes) < limit("notes"):
            self.notes.append(Note(message[:DETAIL_CHARS], line))
            return
        self._notes_left_out += 1
        if self._notes_left_out == 1:
            self.notes.append(Note(""))
        self.notes[-1].message = f"and {self._notes_left_out:,} more note(s) not listed (limit notes)"

    @property
    def failed(self) -> int:
        return sum(entry[0] for entry in self.failures.values())

    def open_binary(self, path: Path | None = None) -> BinaryIO:
        """Open the file for streaming; the scan reads its position to show progress. Text in
        UTF-16 or UTF-32 with a byte-order mark is read as UTF-8 (after a UTF-8 one), so every
        text reader reads it (`toolkit.safeio.Recoded`)."""
        raw = open(path or self.path, "rb")  # noqa: SIM115 - the reader owns and closes it
        self._stream = raw
        found = text_encoding(raw.read(4))
        raw.seek(0)
        if found is not None:
            codec, _, skip = found
            return io.BufferedReader(Recoded(raw, codec, skip), 1 << 20)
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

    def readable_when_forced(self, path: Path, head: bytes) -> bool:
        """Whether a file `sniff` refuses is read all the same when the researcher forces this
        format (--format), its records then read or reported one by one. No by default."""
        return False

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
