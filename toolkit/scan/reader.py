"""The reading half of a scan: an importer's records read and mapped into batches of packed captures.

A file is read either here, between the writer's batches, or, when it is large enough to repay a
process start (TOOLKIT_READER_PROCESS_BYTES, 16 MB by default) and the machine has a second core,
in a child process that reads and maps while this one stores: the scan then takes about as long as
the slower of the two halves instead of their sum. Both paths run the same code (`batches`) and give
the writer the same batches, so a file stores the same rows either way.

The child holds no database connection and writes nothing: the file's one transaction stays in
the scan's process. A bounded queue (QUEUE_BATCHES batches) keeps memory flat whatever the file's
size. When the scan stops (an error, Ctrl-C, a failure of the writer), the child is stopped; when
the scan's process dies (SIGKILL), a thread of the child notices within WATCH_SECONDS and ends
it, having written nothing anywhere, whatever its reading or its queue were doing. The child is started with `spawn` on every system, so it never inherits the
scan's threads or open database. As with any `spawn` child, the child imports the program's main
module: a Python script that calls `scan_paths` must keep its top level under
`if __name__ == "__main__":` (the `toolkit` command does), or set TOOLKIT_READER_PROCESS_BYTES=off.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue as queues
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource
from toolkit.sources.base import Importer, MapError, ReadContext
from toolkit.store.writer import Packed, pack

BATCH = 5000  # captures per batch handed to the writer
QUEUE_BATCHES = 4  # batches in flight between a reader process and the writer
READER_PROCESS_BYTES = 16 << 20
# The cyclic garbage collector would walk every live record of a batch thousands of times per file;
# the records are acyclic and freed by reference counting (the scan's process sets the same).
GC_THRESHOLD = 50_000
POLL_SECONDS = 0.5
WATCH_SECONDS = 0.2  # how often a reader process checks that the scan's process is still there


@dataclass
class Batch:
    """Up to BATCH packed captures, the captures themselves when read here and asked for, and how far
    the reading got: records read and mapped so far, bytes consumed."""

    packed: list[Packed]
    captures: list[Capture] | None
    read: int
    mapped: int
    position: int


@dataclass
class Totals:
    """What the reading of a whole file counted, besides its captures."""

    read: int = 0
    mapped: int = 0
    page_statuses: dict[str, int] = field(default_factory=dict)  # what the detectors saw on each page read
    import_dated: int = 0  # captures dated at import time: nothing said when they were seen


def reader_process_bytes() -> int | None:
    """Files at least this large are read in a child process; None: never (one core, or switched off)."""
    setting = os.environ.get("TOOLKIT_READER_PROCESS_BYTES", "").strip().lower()
    if setting in {"off", "never", "no"}:
        return None
    if (os.cpu_count() or 1) < 2 and not setting:
        return None
    try:
        return max(0, int(setting)) if setting else READER_PROCESS_BYTES
    except ValueError:
        return READER_PROCESS_BYTES


def batches(importer: Importer, path: Path, ctx: ReadContext, default_times: tuple[str | None, str],
            totals: Totals, keep: bool) -> Iterator[Batch]:
    """Read and map the file into batches; `keep` also hands over the Capture objects.

    A capture without a time takes the file's collection time (as far as the reader knows it at
    that record), else the one given, else the import time (`default_times`); each records where
    its date came from (`date_source`).
    """
    collected_at, imported_at = default_times
    own_source = importer.date_source
    import_dated = 0
    packed: list[Packed] = []
    kept: list[Capture] = []
    read = mapped = 0
    statuses = totals.page_statuses
    mapper = importer.map
    for line, raw in importer.read(path, ctx):
        read += 1
        try:
            captures = mapper(raw)
            if type(captures) is not list:  # map may return any iterable
                captures = list(captures)
        except MapError as exc:
            ctx.fail(exc.cause, exc.detail, line)
            continue
        if not captures:
            continue
        mapped += 1
        shown = (captures[0].fields.get("page") or {}).get("reading")
        if captures[0].detector or shown:
            reason = captures[0].fields.get("status_reason")
            label = shown or f"{captures[0].status}" + (f" ({reason})" if reason else "")
            statuses[label] = statuses.get(label, 0) + 1
        if ctx.collected_at:
            default_time, default_source = ctx.collected_at, ctx.collected_source or own_source
        elif collected_at:
            default_time, default_source = collected_at, DateSource.GIVEN
        else:
            default_time, default_source = imported_at, DateSource.IMPORT_TIME
        for cap in captures:
            if cap.observed_at is None:
                cap.observed_at, cap.date_source = default_time, default_source
                import_dated += default_source is DateSource.IMPORT_TIME
            elif cap.date_source is None:
                cap.date_source = own_source
            packed.append(pack(cap))
        if keep:
            kept.extend(captures)
        if len(packed) >= BATCH:
            yield Batch(packed, kept if keep else None, read, mapped, ctx.position or 0)
            packed, kept = [], []
            totals.read, totals.mapped, totals.import_dated = read, mapped, import_dated
    totals.read, totals.mapped, totals.import_dated = read, mapped, import_dated
    if packed:
        yield Batch(packed, kept if keep else None, read, mapped, ctx.position or 0)


class LocalReader:
    """Reads the file in this process, between the writer's batches."""

    def __init__(self, importer: Importer, path: Path, ctx: ReadContext, default_times: tuple[str | None, str],
                 keep: bool):
        self.totals = Totals()
        self._batches = batches(importer, path, ctx, default_times, self.totals, keep)

    def __iter__(self) -> Iterator[Batch]:
        return self._batches

    def close(self) -> None:
        self._batches.close()


class ProcessReader:
    """Reads the file in a child process; batches arrive through a bounded queue.

    When iteration ends, `ctx` holds what the child's reading context held (failures, notes,
    collected_at) and `totals` its counts. An error in the child is raised here, as the same
    exception where it can be carried across (ToolkitError, OSError...).
    """

    def __init__(self, importer: Importer, path: Path, ctx: ReadContext, default_times: tuple[str | None, str]):
        self.ctx = ctx
        self.totals = Totals()
        context = multiprocessing.get_context("spawn")
        self._queue = context.Queue(QUEUE_BATCHES)
        self._process = context.Process(target=_child, name="toolkit-reader", daemon=True,
                                        args=(self._queue, importer, path, default_times, os.getpid()))
        self._process.start()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            kind, *body = self._next()
            if kind == "batch":
                packed, read, mapped, position = body
                yield Batch(packed, None, read, mapped, position)
            elif kind == "done":
                read, mapped, statuses, failures, notes, collected_at, import_dated = body
                self.totals.read, self.totals.mapped, self.totals.page_statuses = read, mapped, statuses
                self.totals.import_dated = import_dated
                self.ctx.failures, self.ctx.notes, self.ctx.collected_at = failures, notes, collected_at
                return
            else:
                raise _rebuilt(body[0])

    def _next(self) -> tuple[Any, ...]:
        while True:
            try:
                return self._queue.get(timeout=POLL_SECONDS)
            except queues.Empty:
                if self._process.is_alive():
                    continue
            try:  # the child may have written its last message just before it ended
                return self._queue.get(timeout=POLL_SECONDS)
            except queues.Empty:
                raise InputError(
                    str(self.ctx.path), f"the reader process stopped unexpectedly (exit code {self._process.exitcode})",
                    "Scan the file again; if it stops again, set TOOLKIT_READER_PROCESS_BYTES=off to read it in "
                    "the scan's own process") from None

    def close(self) -> None:
        """Stop the child if it still runs, and release the queue."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._queue.close()
        self._process.close()


def open_reader(importer: Importer, path: Path, ctx: ReadContext, size: int,
                default_times: tuple[str | None, str], keep: bool) -> LocalReader | ProcessReader:
    """A reader process for a large file, else this process. `keep`: hand over the Capture objects
    too (a reader process does not; the writer rebuilds them from the packed form when asked)."""
    threshold = reader_process_bytes()
    if threshold is not None and size >= threshold:
        return ProcessReader(importer, path, ctx, default_times)
    return LocalReader(importer, path, ctx, default_times, keep)


def _watch(parent: int) -> None:
    """Exit this process as soon as the scan's process is gone, whatever the reader is doing.

    Without it a reader could outlive a killed scan for good: once it has read the file, its
    queue's feeder thread waits to write into a pipe whose reading end this process itself still
    holds, and the process waits for that thread when it ends (keeping the caller's stderr open).
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="toolkit-reader-watch", daemon=True).start()


def _child(queue: Any, importer: Importer, path: Path, default_times: tuple[str | None, str], parent: int) -> None:
    """The reader process: batches, then ("done", ...) or ("error", ...), through `queue`."""
    _watch(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle; it stops this process
    gc.set_threshold(max(gc.get_threshold()[0], GC_THRESHOLD))
    ctx = ReadContext(path=path)
    totals = Totals()
    try:
        for batch in batches(importer, path, ctx, default_times, totals, keep=False):
            _put(queue, ("batch", batch.packed, batch.read, batch.mapped, batch.position), parent)
        _put(queue, ("done", totals.read, totals.mapped, totals.page_statuses, ctx.failures, ctx.notes,
                     ctx.collected_at, totals.import_dated), parent)
    except BaseException as exc:  # every failure is the scan's to report
        _put(queue, ("error", _portable(exc)), parent)


def _put(queue: Any, message: tuple[Any, ...], parent: int) -> None:
    """Put a message, waiting while the queue is full, and exit quietly if the scan's process is gone."""
    while True:
        try:
            queue.put(message, timeout=1)
            return
        except queues.Full:
            if os.getppid() != parent:
                os._exit(0)


class ReaderFailed(Exception):
    """An exception of the reader process that could not be carried across as itself."""


def _portable(exc: BaseException) -> tuple[Any, ...]:
    """The exception in a form that survives pickling: itself, or its class, args and attributes."""
    trace = traceback.format_exc()
    try:
        back = pickle.loads(pickle.dumps(exc))
        if type(back) is type(exc) and str(back) == str(exc):
            return ("same", exc, trace)
    except Exception:  # not picklable as itself: carried by parts below
        pass
    try:
        pickle.dumps(type(exc))
        return ("parts", type(exc), exc.args, dict(getattr(exc, "__dict__", {})), trace)
    except Exception:  # not even its class: carried as text
        return ("text", f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}", trace)


def _rebuilt(payload: tuple[Any, ...]) -> BaseException:
    """The reader process's exception, with its traceback as the cause."""
    kind, *body = payload
    if kind == "same":
        exc, trace = body
    elif kind == "parts":
        cls, args, attributes, trace = body
        exc = cls.__new__(cls)
        exc.args = args
        exc.__dict__.update(attributes)
    else:
        message, trace = body
        exc = ReaderFailed(message)
    exc.__cause__ = ReaderFailed("in the reader process:\n" + trace)
    return exc
