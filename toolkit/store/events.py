"""The custody log: a hash chain over every append-only row of the case.

`seal(conn)` appends one event per row recorded since the last seal, in a fixed table order. A
source's event covers the source row and every capture imported from it, so a million captures
cost one event, not a million. Each event's hash covers the previous event's hash, the row's
content hash and when it was sealed: editing, deleting or reordering any sealed row, or any event,
breaks the chain at a point `verify_chain` names.

Derived rows (items, hits, indicators, scores) are not chained: they can be recomputed from the
captures and lexicons, which are.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from toolkit.store.db import begin_write, rollback
from toolkit.store.schema import LATE_COLUMNS

GENESIS = "0" * 64
# Chained tables in sealing order. `check` is quoted in SQL: it is a keyword.
CHAINED = ("evidence", "source", "wave", "review", "notice", "notice_void", "check", "canary_check")


def _quote(table: str) -> str:
    return f'"{table}"'


def _row_digest(row: sqlite3.Row | tuple, columns: list[str], late: frozenset[str] = frozenset()) -> bytes:
    values = dict(zip(columns, tuple(row), strict=True))
    for column in late:  # added after rows were sealed: a NULL there is a row from before it
        if values.get(column, 0) is None:
            del values[column]
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)


def content_hash(conn: sqlite3.Connection, kind: str, ref_id: int) -> str | None:
    """The sha256 of a chained row's canonical content (None when the row no longer exists)."""
    cursor = conn.execute(f"SELECT * FROM {_quote(kind)} WHERE id = ?", (ref_id,))
    row = cursor.fetchone()
    if row is None:
        return None
    digest = hashlib.sha256(_row_digest(row, [d[0] for d in cursor.description], LATE_COLUMNS.get(kind, frozenset())))
    if kind == "source":
        captures = conn.execute("SELECT * FROM capture WHERE source_id = ? ORDER BY id", (ref_id,))
        columns = [d[0] for d in captures.description]
        for capture in captures:
            digest.update(_row_digest(capture, columns, LATE_COLUMNS["capture"]))
    return digest.hexdigest()


def event_hash(prev: str, kind: str, ref_id: int | None, content: str, sealed_at: str, detail: str | None) -> str:
    payload = "\x1f".join([prev, kind, "" if ref_id is None else str(ref_id), content, sealed_at, detail or ""])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(number of events, hash of the last event); GENESIS for an empty log."""
    row = conn.execute("SELECT count(*), (SELECT hash FROM event ORDER BY id DESC LIMIT 1) FROM event").fetchone()
    return row[0], row[1] or GENESIS


def data_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """Like `head`, but ignoring `report` events: the state of the case's data a report describes.

    A report records an event when it is written; stamping the data head instead of the full head
    keeps two reports of the same case byte-identical while the chain still covers both.
    """
    row = conn.execute(
        "SELECT count(*), (SELECT hash FROM event WHERE kind != 'report' ORDER BY id DESC LIMIT 1)"
        " FROM event WHERE kind != 'report'"
    ).fetchone()
    return row[0], row[1] or GENESIS


def _append(conn: sqlite3.Connection, kind: str, ref_id: int | None, content: str, sealed_at: str,
            detail: str | None = None) -> str:
    _, prev = head(conn)
    digest = event_hash(prev, kind, ref_id, content, sealed_at, detail)
    conn.execute(
        "INSERT INTO event (sealed_at, kind, ref_id, content, prev, hash, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sealed_at, kind, ref_id, content, prev, digest, detail),
    )
    return digest


def seal(conn: sqlite3.Connection, sealed_at: str) -> int:
    """Chain every row recorded since the last seal; return how many events were appended.

    Runs in its own transaction. Rows are taken in id order per table, tables in CHAINED order.
    """
    added = 0
    begin_write(conn)
    try:
        for kind in CHAINED:
            last = conn.execute("SELECT coalesce(max(ref_id), 0) FROM event WHERE kind = ?", (kind,)).fetchone()[0]
            ids = [r[0] for r in conn.execute(f"SELECT id FROM {_quote(kind)} WHERE id > ? ORDER BY id", (last,))]
            for ref_id in ids:
                content = content_hash(conn, kind, ref_id)
                assert content is not None  # read inside this transaction
                _append(conn, kind, ref_id, content, sealed_at)
                added += 1
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return added


def record(conn: sqlite3.Connection, kind: str, content: str, sealed_at: str, detail: dict) -> str:
    """Append a standalone event (a report generated, a purge) in its own transaction."""
    begin_write(conn)
    try:
        digest = _append(conn, kind, None, content, sealed_at, orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode())
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return digest


def detail_hash(detail: dict) -> str:
    return hashlib.sha256(orjson.dumps(detail, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class Break:
    """The first place where the case no longer matches its log."""

    event_id: int | None
    what: str


def iter_events(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    yield from conn.execute("SELECT id, sealed_at, kind, ref_id, content, prev, hash, detail FROM event ORDER BY id")


def verify_chain(conn: sqlite3.Connection) -> tuple[int, list[Break]]:
    """Recompute the chain and every chained row; return (events checked, problems in log order).

    Problems: an event whose hash or link is wrong (the log was edited or reordered), a chained row
    that was changed or deleted, and a chained row that is missing from the log although rows after
    it are in it (deleted and re-inserted, or slipped in). A purge event names the rows it changed
    and their content afterwards; those rows are checked against that content instead.
    """
    problems: list[Break] = []
    prev = GENESIS
    log = list(iter_events(conn))
    overrides: dict[tuple[str, int], str] = {}
    for event in log:
        expected = event_hash(event["prev"], event["kind"], event["ref_id"], event["content"], event["sealed_at"],
                              event["detail"])
        if event["prev"] != prev:
            problems.append(Break(event["id"], f"event {event['id']} does not follow event before it (log edited or reordered)"))
        elif event["hash"] != expected:
            problems.append(Break(event["id"], f"event {event['id']} was edited (its hash does not match its content)"))
        prev = event["hash"]
        if event["kind"] == "purge" and event["detail"]:
            for kind, ref_id, content in orjson.loads(event["detail"]).get("rewritten", []):
                overrides[(kind, ref_id)] = content
    sealed: dict[str, set[int]] = {kind: set() for kind in CHAINED}
    for event in log:
        kind, ref_id = event["kind"], event["ref_id"]
        if kind not in sealed or ref_id is None:
            continue
        sealed[kind].add(ref_id)
        actual = content_hash(conn, kind, ref_id)
        if actual is None:
            problems.append(Break(event["id"], f"{kind} {ref_id} was deleted after it was recorded"))
        elif actual != overrides.get((kind, ref_id), event["content"]):
            what = f"{kind} {ref_id}" + (" or one of its captures" if kind == "source" else "")
            problems.append(Break(event["id"], f"{what} was changed after it was recorded"))
    for kind in CHAINED:
        if not sealed[kind]:
            continue
        top = max(sealed[kind])
        for (ref_id,) in conn.execute(f"SELECT id FROM {_quote(kind)} WHERE id <= ? ORDER BY id", (top,)):
            if ref_id not in sealed[kind]:
                problems.append(Break(None, f"{kind} {ref_id} is not in the log (inserted behind its back)"))
    return len(log), problems


def purged_evidence(conn: sqlite3.Connection) -> set[str]:
    """Evidence files a purge deleted on purpose (verify does not count them as missing)."""
    gone: set[str] = set()
    for (detail,) in conn.execute("SELECT detail FROM event WHERE kind = 'purge' ORDER BY id"):
        gone.update(orjson.loads(detail).get("evidence_deleted", []))
    return gone


def unsealed(conn: sqlite3.Connection) -> int:
    """Rows recorded since the last seal (normally 0 after any toolkit command)."""
    total = 0
    for kind in CHAINED:
        last = conn.execute("SELECT coalesce(max(ref_id), 0) FROM event WHERE kind = ?", (kind,)).fetchone()[0]
        total += conn.execute(f"SELECT count(*) FROM {_quote(kind)} WHERE id > ?", (last,)).fetchone()[0]
    return total
