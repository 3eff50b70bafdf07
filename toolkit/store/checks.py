"""Waves and checks: the SQL of rechecking. Checks are append-only; nothing here updates or deletes one.

Every insert runs in its own short transaction (or inside the caller's, when one is open), so a
check is on disk as soon as it is recorded: an interrupted wave loses at most the fetches in flight.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from toolkit.store.db import begin_write, commit, rollback, transaction
from toolkit.store.status import date_source_sql
from toolkit.store.verdicts import LATEST_REVIEW

CHECK_COLUMNS = ("item_id", "wave_id", "observed_at", "method", "status", "reason", "detector", "http_status",
                 "final_url", "evidence_sha256", "marker", "place", "note", "date_source", "run")


@dataclass
class CheckRecord:
    """One observation of an item, as it goes into the `check` table."""

    item_id: int
    wave_id: int
    observed_at: str
    method: str
    status: str
    reason: str | None = None
    detector: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    evidence_sha256: str | None = None
    marker: str | None = None
    place: str | None = None
    note: str | None = None
    date_source: str | None = None  # where observed_at came from (toolkit.models.DateSource)
    run: str | None = None  # the recheck run; None: the run begun on the connection (`begin_run`)

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, column) for column in CHECK_COLUMNS)


def begin_run(conn: sqlite3.Connection, run: str) -> str:
    """Record every check written on `conn` from now on (that names no run of its own) under `run`,
    and return it. A run is one pass of a recheck: its canary rounds (`canary_check.run`) bracket its
    checks, and its last check ends its last stretch (toolkit.store.status)."""
    conn.recheck_run = run  # type: ignore[attr-defined]
    return run


def current_run(conn: sqlite3.Connection) -> str | None:
    """The run begun on `conn` (None when none was)."""
    return getattr(conn, "recheck_run", None)


@contextmanager
def run_scope(conn: sqlite3.Connection, run: str) -> Iterator[str]:
    """`begin_run` for the length of a block; the run before it (if any) is in force again after."""
    before = current_run(conn)
    begin_run(conn, run)
    try:
        yield run
    finally:
        conn.recheck_run = before  # type: ignore[attr-defined]


@dataclass
class TrackedItem:
    """An item to recheck, with what the recheck needs to fetch and read it."""

    id: int
    platform: str
    kind: str
    key: str
    url: str | None
    name: str | None
    parent_id: int | None


def open_wave(conn: sqlite3.Connection, name: str, started_at: str, method: str) -> int:
    """The id of wave `name`, created when new (recording `method` as its first method).

    A wave row is never changed once written (it is chained in the custody log): the methods of a
    wave are those of its checks (`WAVE_METHODS_SQL`), so running another method into the same wave
    appends checks and nothing else."""
    with transaction(conn):
        row = conn.execute("SELECT id FROM wave WHERE name = ?", (name,)).fetchone()
        if row is None:
            cursor = conn.execute("INSERT INTO wave (name, started_at, methods) VALUES (?, ?, ?)",
                                  (name, started_at, orjson.dumps([method]).decode()))
            return int(cursor.lastrowid)
        return int(row["id"])


# A wave's methods, as a sorted JSON list: the one it was opened with and those of its checks.
WAVE_METHODS_SQL = """(SELECT json_group_array(method) FROM (
    SELECT value AS method FROM json_each(coalesce(w.methods, '[]'))
    UNION SELECT method FROM "check" WHERE wave_id = w.id ORDER BY method))"""


def waves(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every wave with its methods, check count and the span of its (non-Wayback) observations, in
    time order: by its first observation (a wave made today from exports saved last month sorts last
    month), else by when it was started."""
    rows = conn.execute(
        f"""SELECT * FROM (
               SELECT w.id, w.name, w.started_at, {WAVE_METHODS_SQL} AS methods,
                      (SELECT count(*) FROM "check" c WHERE c.wave_id = w.id) AS checks,
                      (SELECT min(observed_at) FROM "check" c WHERE c.wave_id = w.id AND c.method != 'wayback') AS first_observed,
                      (SELECT max(observed_at) FROM "check" c WHERE c.wave_id = w.id AND c.method != 'wayback') AS last_observed
               FROM wave w)
           ORDER BY coalesce(first_observed, started_at), id"""
    )
    return [dict(row) for row in rows]


def last_row_id(conn: sqlite3.Connection) -> int:
    """The id of the row this connection inserted last (the check `insert_check` just added)."""
    return conn.execute("SELECT last_insert_rowid()").fetchone()[0]


def wave_check_count(conn: sqlite3.Connection, wave_id: int, method: str) -> int:
    """How many checks of `method` wave `wave_id` holds."""
    return conn.execute('SELECT count(*) FROM "check" WHERE wave_id = ? AND method = ?', (wave_id, method)).fetchone()[0]


def insert_check(conn: sqlite3.Connection, record: CheckRecord, *, unique_by: tuple[str, ...] = ()) -> bool:
    """Append one check, committed on return. With `unique_by`, skip it when a check of the same
    item, wave and method already has equal values in those columns (so a resumed run adds no
    duplicate). Returns whether a row was added."""
    own = not conn.in_transaction
    if own:
        # begin_write, not a bare BEGIN IMMEDIATE: while another command writes the case this one
        # waits (and says so) instead of failing with "database is locked" after the busy timeout.
        begin_write(conn)
    try:
        if unique_by:
            where = " AND ".join(f"{column} IS ?" for column in unique_by)
            values = [getattr(record, column) for column in unique_by]
            exists = conn.execute(
                f'SELECT 1 FROM "check" WHERE item_id = ? AND wave_id = ? AND method = ? AND {where} LIMIT 1',
                (record.item_id, record.wave_id, record.method, *values),
            ).fetchone()
            if exists:
                if own:
                    commit(conn)
                return False
        marks = ", ".join("?" * len(CHECK_COLUMNS))
        row = record.row()
        if record.run is None:
            row = (*row[:-1], current_run(conn))
        conn.execute(f'INSERT INTO "check" ({", ".join(CHECK_COLUMNS)}) VALUES ({marks})', row)
        if own:
            commit(conn)
    except BaseException:
        if own:
            rollback(conn)
        raise
    return True


def checked_items(conn: sqlite3.Connection, wave_id: int, method: str, *, retry_unknown: bool = False) -> set[int]:
    """Items that already have a check of `method` in the wave (finished work, skipped on resume).

    With `retry_unknown`, items whose latest such check is an error or rate limit are not counted
    as finished, so they are fetched again (a new check is appended; the old one stays)."""
    rows = conn.execute(
        'SELECT item_id, status FROM "check" WHERE wave_id = ? AND method = ? ORDER BY id', (wave_id, method)
    )
    latest: dict[int, str] = {}
    for row in rows:
        latest[row["item_id"]] = row["status"]
    if retry_unknown:
        return {item for item, status in latest.items() if status not in {"error", "rate_limited"}}
    return set(latest)


ITEM_SELECT = "SELECT i.id, i.platform, i.kind, i.key, i.url, i.name, i.parent_id FROM item i"


def tracked_items(conn: sqlite3.Connection, *, everything: bool = False, platform: str | None = None,
                  kind: str | None = None, ids: Iterable[int] | None = None) -> list[TrackedItem]:
    """Items to recheck, by id: the confirmed cohort (latest review verdict `violating`) unless
    `everything`; narrowed by platform, kind and ids. Only canonical items (never a merged one)."""
    params: list[Any] = []
    # An item merged into another through an alias is rechecked as that one (toolkit.store.aliases).
    clauses = ["i.merged_into IS NULL"]
    if not everything:
        clauses.append(f"i.id IN (SELECT lr.item_id FROM ({LATEST_REVIEW}) lr JOIN review r ON r.id = lr.id"
                       " WHERE r.verdict = 'violating')")
    if platform:
        clauses.append("i.platform = ?")
        params.append(platform)
    if kind:
        clauses.append("i.kind = ?")
        params.append(kind)
    if ids is not None:
        wanted = sorted(set(ids))
        clauses.append(f"i.id IN ({','.join('?' * len(wanted))})")
        params.extend(wanted)
    sql = ITEM_SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY i.id"
    return [TrackedItem(**dict(row)) for row in conn.execute(sql, params)]


def wave_checks(conn: sqlite3.Connection, wave_id: int) -> list[dict[str, Any]]:
    """Every check of a wave joined with its item's platform and kind, in the order recorded."""
    rows = conn.execute(
        """SELECT c.*, i.platform, i.kind, i.url FROM "check" c JOIN item i ON i.id = c.item_id
           WHERE c.wave_id = ? ORDER BY c.id""", (wave_id,))
    return [dict(row) for row in rows]


def all_checks(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every check with its wave's name and start, ordered by item, then observation time."""
    rows = conn.execute(
        """SELECT c.id, c.item_id, c.wave_id, w.name AS wave, w.started_at AS wave_started, c.observed_at,
                  c.method, c.status, c.reason
           FROM "check" c LEFT JOIN wave w ON w.id = c.wave_id ORDER BY c.item_id, c.observed_at, c.id"""
    )
    return [dict(row) for row in rows]


def source_captures(conn: sqlite3.Connection, source_id: int) -> list[dict[str, Any]]:
    """The captures one source yielded (item, its parent, time, status and its evidence, whether it
    is dated at its post: `at_posting`), in file order."""
    rows = conn.execute(
        f"""SELECT c.id, c.item_id, c.observed_at, c.status, c.status_marker, c.status_place, c.detector, c.url,
                  i.platform, i.url AS item_url, i.parent_id, s.sha256, s.path,
                  json_extract(c.fields, '$.status_reason') AS reason, json_extract(c.fields, '$.at_posting') AS at_posting,
                  {date_source_sql('c.date_source', 'c.observed_at', 's.imported_at')} AS date_source
           FROM capture c JOIN source s ON s.id = c.source_id JOIN item i ON i.id = c.item_id
           WHERE c.source_id = ? ORDER BY c.id""", (source_id,))
    return [dict(row) for row in rows]


def recent_checks(conn: sqlite3.Connection, item_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """The item's last `limit` observations as recorded (wave name or "-", method, status), newest
    first: what the researcher saw before, shown as history, not a status."""
    rows = conn.execute(
        """SELECT coalesce(w.name, '-') AS wave, c.method, c.status FROM "check" c LEFT JOIN wave w
           ON w.id = c.wave_id WHERE c.item_id = ? ORDER BY c.id DESC LIMIT ?""", (item_id, limit))
    return [dict(row) for row in rows]


def source_message_ids(conn: sqlite3.Connection, source_ids: Iterable[int]) -> dict[int, list[int]]:
    """Per channel or group (its canonical item id), the numeric message ids these sources hold
    (message keys end in `/<message id>`), sorted."""
    wanted = sorted(set(source_ids))
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(
        "SELECT DISTINCT coalesce(p.merged_into, p.id) AS parent, i.key FROM capture c JOIN item i ON i.id = c.item_id"
        f" JOIN item p ON p.id = i.parent_id WHERE c.source_id IN ({marks}) AND i.kind = 'message'", wanted)
    found: dict[int, set[int]] = {}
    for parent, key in rows:
        tail = key.rsplit("/", 1)[-1]
        if tail.isdigit():
            found.setdefault(parent, set()).add(int(tail))
    return {parent: sorted(ids) for parent, ids in found.items()}


def reason_count(conn: sqlite3.Connection, reason: str, as_of: str) -> int:
    """How many checks observed up to `as_of` carry this reason code."""
    return conn.execute('SELECT count(*) FROM "check" WHERE reason = ? AND observed_at <= ?',
                        (reason, as_of)).fetchone()[0]
