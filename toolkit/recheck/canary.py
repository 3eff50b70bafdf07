"""Canaries: known-live control items that prove the checker could see.

A wave run while logged out, rate-limited or blocked reads walls and errors for everything (or,
where a wall is misread, "live" for everything). A canary is a page the researcher knows is public
and stays up (case.toml `[canary]`, one list of URLs per platform). Reading it at the start of a
wave, every `every` checks and at the end shows whether the checker could see that platform at
that moment; while a platform's canaries do not all read live, its checks are *blind*: recorded
with the status observed, but counted as unknown everywhere (toolkit.store.status).

The guard knows nothing of how a page is looked at. It takes a callable that observes one canary
and returns a `CanaryReading`; the live method passes one that fetches over HTTP, a browser method
one that drives a browser, and so on:

    guard = CanaryGuard(case, wave_id, "live", canaries, observe, every=100)
    result = await guard.round()        # before the first check
    ...                                 # check items; call guard.due(n) to know when to pause
    result = await guard.round()        # every `every` checks, and after the last one
    if result.blind:                    # {platform: which canary read what}
        ...                             # e.g. pause the wave until the researcher logs in again

Each round is recorded (`canary_check` rows, chained in the custody log) at the position of the
checks recorded so far, so the store can tell which checks lie between which two rounds without
trusting clocks. A check between two rounds of the same run is blind when either round failed for
its platform. Rounds must be taken while no check is in flight (the live method waits for its
stretch of checks to finish first), or a check could land on the wrong side of a round.

Canaries never enter the cohort, the rates or the networks: they are not items of the case.
"""

from __future__ import annotations

import inspect
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.case import Case, StoredEvidence
from toolkit.dates import utcnow
from toolkit.models import Family, Status
from toolkit.store.canaries import CANARY_RULE, CanaryRow, insert_canary_rows, last_check_id
from toolkit.store.checks import begin_run, current_run

DEFAULT_EVERY = 100
__all__ = ["CANARY_RULE", "Canary", "CanaryGuard", "CanaryReading", "Round", "declared", "every", "new_run"]

@dataclass(frozen=True)
class Canary:
    """A known-live control item: a URL and the platform whose detector reads it."""

    platform: str
    url: str


@dataclass
class CanaryReading:
    """What observing one canary showed."""

    status: Status | str
    observed_at: str
    reason: str | None = None
    detector: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    evidence: StoredEvidence | None = None  # recorded with the reading when given
    evidence_sha256: str | None = None  # evidence already recorded (e.g. an imported file)
    note: str | None = None

    @property
    def live(self) -> bool:
        try:
            return Status(self.status).family == Family.LIVE
        except ValueError:
            return False

    def describe(self, canary: Canary) -> str:
        return (f"{canary.platform} canary {canary.url} read {self.status}"
                + (f" ({self.reason})" if self.reason else "") + f" at {self.observed_at}")


Observe = Callable[[Canary], "Awaitable[CanaryReading] | CanaryReading"]


@dataclass
class Round:
    """One round of canary readings."""

    number: int
    readings: list[tuple[Canary, CanaryReading]] = field(default_factory=list)

    @property
    def blind(self) -> dict[str, str]:
        """Platform -> why its checks are blind (its canaries that did not read live), for the
        platforms whose canaries did not all read live."""
        out: dict[str, list[str]] = {}
        for canary, reading in self.readings:
            if not reading.live:
                out.setdefault(canary.platform, []).append(reading.describe(canary))
        return {platform: "; ".join(why) for platform, why in out.items()}


def declared(config: dict[str, dict[str, Any]]) -> list[Canary]:
    """The canaries case.toml declares (`[canary]`: platform = [URL, ...]), in file order."""
    section = config.get("canary", {})
    return [Canary(platform, url) for platform, urls in section.items() if isinstance(urls, list) for url in urls]


def every(config: dict[str, dict[str, Any]]) -> int:
    """Checks between two canary rounds in a live wave (0: only at the start and the end)."""
    return int(config.get("canary", {}).get("every", DEFAULT_EVERY))


def new_run() -> str:
    """An identifier for one recheck run: rounds of one run bracket its stretches of checks, and
    its checks record it (`check.run`), so its last stretch ends at its own last check. The random
    tail keeps two runs of one process in the same second apart (two commands in one test process,
    a script calling two runners)."""
    return f"{utcnow()}/{os.getpid()}/{secrets.token_hex(4)}"


class CanaryGuard:
    """Reads a wave's canaries in rounds and records each reading.

    `canaries` are those of the platforms the wave checks; `observe(canary)` looks at one canary
    (a coroutine function or a plain function) and returns a `CanaryReading`. `every` is the
    number of checks between rounds (0 or less: rounds at the start and end only). `run` names the
    run its rounds belong to: by default the run begun on the case's connection (the recheck
    command's, or the runner's), else a new one begun there, so the checks that follow carry it.
    """

    def __init__(self, case: Case, wave_id: int, method: str, canaries: Iterable[Canary], observe: Observe,
                 *, every: int = DEFAULT_EVERY, run: str | None = None):
        self.case, self.wave_id, self.method = case, wave_id, method
        self.canaries = list(canaries)
        self.observe = observe
        self.every = every
        self.run = run or current_run(case.db) or begin_run(case.db, new_run())
        self.rounds: list[Round] = []

    def __bool__(self) -> bool:
        return bool(self.canaries)

    def due(self, checks_since_round: int) -> bool:
        """Whether a round is due after this many checks since the last one."""
        return self.every > 0 and checks_since_round >= self.every

    async def round(self) -> Round:
        """Observe every canary, record the readings as one round, and return it."""
        result = Round(len(self.rounds) + 1)
        for canary in self.canaries:
            reading = self.observe(canary)
            if inspect.isawaitable(reading):
                reading = await reading
            result.readings.append((canary, reading))
        self.record(result)
        self.rounds.append(result)
        return result

    def record(self, result: Round) -> None:
        """Append the round's readings, placed after the checks recorded so far."""
        after = last_check_id(self.case.db)
        rows, evidence = [], []
        for canary, reading in result.readings:
            if reading.evidence is not None:
                evidence.append(reading.evidence)
            rows.append(CanaryRow(
                wave_id=self.wave_id, method=self.method, run=self.run, round=result.number, after_check=after,
                platform=canary.platform, url=canary.url, observed_at=reading.observed_at, status=str(reading.status),
                reason=reading.reason, detector=reading.detector, http_status=reading.http_status,
                final_url=reading.final_url,
                evidence_sha256=reading.evidence.sha256 if reading.evidence is not None else reading.evidence_sha256,
                note=reading.note))
        insert_canary_rows(self.case.db, rows, evidence=evidence, record_evidence=self.case.record_evidence)
