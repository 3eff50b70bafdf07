"""A fake clock for asyncio: an event loop whose time jumps ahead whenever it would only wait.

For the politeness rules (per-host intervals, Retry-After, backoff, deadlines), where what matters
is the order and spacing of requests, not the seconds spent waiting: with this loop a test can use
a researcher's real settings (5 s between requests, a 120 s Retry-After) and still run in
milliseconds. The loop's `time()` starts at 0; when no callback is ready and no I/O is pending, it
moves straight to the next timer (asyncio.sleep, asyncio.timeout) instead of sleeping. Real I/O
still works (the loop's own wake-up pipe, threads calling back), but a test that waits on a real
socket must not use it: the clock would run ahead while the other side works.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _SkippingSelector(selectors.DefaultSelector):
    """Polls without blocking; where the loop would block until a timer, the clock moves there."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None):
        events = super().select(0)
        if events or timeout is None:  # timeout None: no timer at all, only real I/O can wake the loop
            return events or super().select(None)
        self.now += max(0.0, timeout)
        return events


class FakeClockLoop(asyncio.SelectorEventLoop):
    """An event loop on a fake clock (see the module's docstring)."""

    def __init__(self) -> None:
        self._clock = _SkippingSelector()
        super().__init__(self._clock)

    def time(self) -> float:
        return self._clock.now


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on a fresh fake-clock loop."""
    loop = FakeClockLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()
