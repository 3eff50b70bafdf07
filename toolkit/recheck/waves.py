"""Wave bookkeeping: the recheck lock on a case, wave names, and the per-wave summary.

Only one recheck runs on a case at a time: `RecheckLock` creates `CASE/.recheck.lock` with O_EXCL
and writes its pid, host and start time into it. A lock whose process is gone (same host, pid not
running) is stale and taken over; a live one makes the second process wait or stop with a message
naming the pid.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

from toolkit.case import Case
from toolkit.dates import days_between, utcnow
from toolkit.errors import ToolkitError
from toolkit.models import Status
from toolkit.store.status import wave_readings

LOCK_NAME = ".recheck.lock"


class RecheckBusy(ToolkitError):
    """Another recheck holds the case."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class RecheckLock:
    """An exclusive, crash-safe lock on one case for the length of a recheck."""

    def __init__(self, root: Path, *, wait: float = 0.0, poll: float = 0.2):
        self.path = Path(root) / LOCK_NAME
        self.wait = wait
        self.poll = poll
        self.held = False

    def _holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}  # being written, or damaged: judged by age below

    def _stale(self, holder: dict[str, Any]) -> bool:
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            return not _alive(holder["pid"])
        if not holder:
            # A lock file nobody finished writing for a minute belongs to a process that died at once.
            try:
                return time.time() - self.path.stat().st_mtime > 60
            except FileNotFoundError:
                return True
        return False

    def acquire(self) -> None:
        """Take the lock, taking over a stale one; wait up to `wait` seconds for a live one."""
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
                holder = self._holder()
                if holder is None:
                    continue
                if self._stale(holder):
                    # Rename first so two processes taking over the same stale lock cannot both win.
                    try:
                        os.replace(self.path, self.path.with_suffix(f".stale-{os.getpid()}"))
                        os.unlink(self.path.with_suffix(f".stale-{os.getpid()}"))
                    except FileNotFoundError:
                        pass
                    continue
                if time.monotonic() >= deadline:
                    raise RecheckBusy(
                        f"{self.path.parent}: another recheck is running on this case "
                        f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('started_at', '?')})",
                        "Wait for it to finish (or pass --wait SECONDS); if no such process exists, "
                        f"delete {self.path}",
                    ) from None
                time.sleep(self.poll)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow()}, handle)
            self.held = True
            return

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> RecheckLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def default_wave_name() -> str:
    """Today's date (UTC), the name a wave gets when none is given."""
    return utcnow()[:10]


def summary(case: Case, wave_id: int, methods: set[str] | None = None) -> list[dict[str, Any]]:
    """Status counts of a wave by platform and kind: one row per (platform, kind), a column per
    status, each item counted once by the status rule (toolkit.store.status); items whose deciding
    check is blind are counted under `blind`, not under the status observed; and `reasons`: the
    (status, reason code) of each item counted. With `methods` = {"wayback"}, the Wayback lookups'
    statuses instead."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    reasons: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for row in wave_readings(case.db, wave_id, wayback=bool(methods) and "wayback" in methods):
        group = (row["platform"], row["kind"])
        counts.setdefault(group, Counter())["blind" if row["blind"] is not None else row["status"]] += 1
        reasons.setdefault(group, []).append((row["status"], row["reason"]))
    rows = []
    for (platform, kind), counter in sorted(counts.items()):
        row: dict[str, Any] = {"platform": platform, "kind": kind, "items": sum(counter.values())}
        row.update({str(status): counter.get(str(status), 0) for status in Status})
        if counter.get("blind"):
            row["blind"] = counter["blind"]
        row["reasons"] = reasons[(platform, kind)]  # (status, reason code) of each item counted
        rows.append(row)
    return rows


def span_days(first: str | None, last: str | None) -> float:
    """Days between two ISO UTC times (0 when either is missing)."""
    if not first or not last:
        return 0.0
    return days_between(first, last)


def span_notes(wave_rows: list[dict[str, Any]], max_days: float) -> list[str]:
    """One line per wave whose checks (Wayback apart) span more than `max_days` ([waves] max_span_days):
    such a wave is not one moment, and its rates mix what was seen days apart."""
    out = []
    for wave in wave_rows:
        days = span_days(wave["first_observed"], wave["last_observed"])
        if days > max_days:
            out.append(f"Wave {wave['name']}: its checks span {days:.1f} days ({wave['first_observed']} to "
                       f"{wave['last_observed']}), more than [waves] max_span_days = {max_days:g}")
    return out
