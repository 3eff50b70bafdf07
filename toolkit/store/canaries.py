"""Canary readings: the SQL of `canary_check` (append-only, chained in the custody log).

What a round means for the checks around it is decided by the status rule (toolkit.store.status);
this module records rounds and lists them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, fields
from typing import Any

from toolkit.store.db import transaction
from toolkit.store.status import Judged, judge

# The canary rule in words: the report's methodology and docs/recheck.md print this text.
CANARY_RULE = (
    "Canaries are known-live control items declared per platform in case.toml. A live wave reads its "
    "canaries before its first check, again every N checks and after its last one; rechecks from saved "
    "pages read the canary pages saved with them. When a platform's canaries do not all read live, that "
    "platform's checks between that reading and the readings next to it are blind: kept with the status "
    "observed, but counted as unknown, never live or gone. Canaries are not part of the cohort, the rates or "
    "the networks."
)


@dataclass
class CanaryRow:
    """One canary reading, as it goes into `canary_check`."""

    wave_id: int
    method: str
    run: str
    round: int
    after_check: int
    platform: str
    url: str
    observed_at: str
    status: str
    reason: str | None = None
    detector: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    evidence_sha256: str | None = None
    note: str | None = None


COLUMNS = tuple(f.name for f in fields(CanaryRow))


def last_check_id(conn: sqlite3.Connection) -> int:
    """The highest check id in the case (0 when there is none): where a round is placed."""
    return int(conn.execute('SELECT coalesce(max(id), 0) FROM "check"').fetchone()[0])


def insert_canary_rows(conn: sqlite3.Connection, rows: Iterable[CanaryRow], *, evidence: Iterable[Any] = (),
                       record_evidence: Callable[[Any], None] | None = None) -> None:
    """Append one round's readings (and record the evidence they refer to) in one transaction,
    or inside the caller's when one is open."""
    rows = list(rows)
    marks = ", ".join("?" * len(COLUMNS))

    def write() -> None:
        for stored in evidence:
            if record_evidence is not None:
                record_evidence(stored)
        conn.executemany(f"INSERT INTO canary_check ({', '.join(COLUMNS)}) VALUES ({marks})",
                         [astuple(row) for row in rows])

    if conn.in_transaction:
        write()
        return
    with transaction(conn):
        write()


def canary_reading_exists(conn: sqlite3.Connection, wave_id: int, method: str, url: str,
                          evidence_sha256: str | None) -> bool:
    """Whether the wave already holds this canary's reading from this evidence (a re-run adds none)."""
    return conn.execute("SELECT 1 FROM canary_check WHERE wave_id = ? AND method = ? AND url = ? AND evidence_sha256 IS ?"
                        " LIMIT 1", (wave_id, method, url, evidence_sha256)).fetchone() is not None


def readings(conn: sqlite3.Connection, as_of: str | None = None) -> list[dict[str, Any]]:
    """Every canary reading up to `as_of` with its wave's name, in wave, method, run, round order."""
    return [dict(row) for row in conn.execute(
        """SELECT w.name AS wave, k.wave_id, k.method, k.run, k.round, k.platform, k.url, k.observed_at, k.status,
                  k.reason, k.detector, k.http_status, k.evidence_sha256
           FROM canary_check k JOIN wave w ON w.id = k.wave_id
           WHERE k.observed_at <= coalesce(?, k.observed_at)
           ORDER BY w.started_at, k.wave_id, k.method, k.run, k.round, k.id""", (as_of,))]


def blind_checks(conn: sqlite3.Connection, as_of: str | None = None, items: Iterable[int] | None = None,
                 judged: Judged | None = None) -> list[dict[str, Any]]:
    """Per wave and reason, how many checks (of `items`, canonical ids, when given) are blind; from
    `judged` when the caller has already judged those checks (toolkit.store.status.judge)."""
    import numpy as np

    judged = judged if judged is not None else judge(conn, as_of=as_of)
    # The blind checks of a wave first (a few of half a million), then counted one by one.
    at = (judged.blind != None) & (judged.wave_id != 0)  # noqa: E711 (elementwise, on an object array)
    if items is not None:
        at &= np.isin(judged.item_id, np.fromiter(items, dtype=np.int64))
    counts: dict[tuple[int, str], int] = {}
    for wave_id, why in zip(judged.wave_id[at].tolist(), judged.blind[at].tolist(), strict=True):
        counts[(wave_id, why)] = counts.get((wave_id, why), 0) + 1
    waves = {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, name, started_at FROM wave")}
    rows = [{"wave_id": wave_id, "wave": waves[wave_id][0], "blind": why, "checks": n}
            for (wave_id, why), n in counts.items()]
    return sorted(rows, key=lambda r: (waves[r["wave_id"]][1], r["wave_id"], r["blind"]))
