"""Python's cycle collector, set to run rarely while a command builds millions of small objects.

The collector starts a collection every 700 allocations by default, and every so often walks every
object the process holds. A scan's records and a report's frames, rows and cells hold no reference
cycles worth collecting (reference counting frees them), yet with a large case in memory those
walks cost more than the work itself: a third of a 100,000-item report's CPU time
(`bench/report_bench.py`). The collector still runs, and the settings are restored afterwards.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


@contextmanager
def rare_collections(young: int = 50_000, middle: int = 50, old: int = 1000) -> Iterator[None]:
    """Collect the youngest generation every `young` allocations (never less often than now),
    the middle one every `middle` young collections and the oldest every `old` middle ones, until
    the block ends."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], young), max(threshold[1], middle), max(threshold[2], old))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def return_freed_memory() -> None:
    """Hand memory that is free inside the C allocator back to the system, where the allocator is
    glibc's (Linux); elsewhere nothing is done.

    glibc gives each thread that allocates its own arena, and memory freed in one arena is not
    reused for another's allocations: after a thread read half a million checks for a report, the
    megabytes it freed stay in its arena while the main thread's next frames grow the main one
    (about 60 MB more at the peak of a 100,000-item report). `malloc_trim` returns them."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc
        return None
