"""The custody log: a hash chain over everything a case holds.

`seal(conn)` runs inside every write transaction, just before its COMMIT (toolkit.store.db calls
it), so a write and the events that record it are committed together or not at all. It appends:

- one event per new fact row (toolkit.store.coverage.FACTS), in a fixed table order; a source's
  event covers the captures imported from it, so a million captures cost one event;
- one event per fact row this connection changed in place (a purge, a wave's list of methods);
- a `state` event naming the digest of every leaf of derived rows that changed (items, aliases,
  hits, indicators, scores, ...: see coverage), its digests kept in `seal_leaf`;
- a `schema` event when the covered columns changed, and a `context` event when the case.toml,
  lexicons or markers in force changed (their sha256, see toolkit.context).

Each event's hash covers the previous event's hash, what it records and when it was sealed:
editing, deleting, reordering or adding any covered row, or any event, breaks the chain at a
point `toolkit.store.logcheck.check_log` names. Rows that entered the case outside a toolkit write are sealed as
`late` (and `verify` says so); a derived row changed outside toolkit makes the next seal that
would re-digest its leaf refuse (CustodyError) instead of absorbing the change.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from typing import Any

import orjson

from toolkit.dates import utcnow
from toolkit.errors import CaseError
from toolkit.store import coverage as cov
from toolkit.store import db
from toolkit.store.db import begin_write, rollback

GENESIS = "0" * 64
CHAINED = cov.FACTS  # fact tables in sealing order (the name older code knows)
LOG_KINDS = ("state", "schema", "context", "report", "purge", "upgrade")


class CustodyError(CaseError):
    """A seal found covered rows changed behind the log's back; nothing of the write is kept."""


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _row_digest(row: sqlite3.Row | tuple, columns: list[str], late: frozenset[str] = frozenset()) -> bytes:
    values = dict(zip(columns, tuple(row), strict=True))
    for column in late:  # a legacy column added after rows were sealed: NULL means a row from before it
        if values.get(column, 0) is None:
            del values[column]
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)


def content_hash(conn: sqlite3.Connection, kind: str, ref_id: int,
                 columns: dict[str, list[str]] | None = None,
                 late: dict[str, frozenset[str]] | None = None) -> str | None:
    """The sha256 of a fact row's canonical content (None when the row no longer exists).

    `columns` gives the columns to hash per table (the schema in force when the row was sealed);
    by default every current column. `late`: columns left out while NULL (legacy events only)."""
    cols = (columns or {}).get(kind)
    select = ", ".join(cov.q(c) for c in cols) if cols else "*"
    cursor = conn.execute(f"SELECT {select} FROM main.{cov.q(kind)} WHERE id = ?", (ref_id,))
    row = cursor.fetchone()
    if row is None:
        return None
    digest = hashlib.sha256(_row_digest(row, [d[0] for d in cursor.description], (late or {}).get(kind, frozenset())))
    for part, (parent, column) in cov.PARTS.items():
        if parent != kind:
            continue
        pcols = (columns or {}).get(part)
        select = ", ".join(cov.q(c) for c in pcols) if pcols else "*"
        rows = conn.execute(f"SELECT {select} FROM main.{cov.q(part)} WHERE {cov.q(column)} = ? ORDER BY id",
                            (ref_id,))
        names = [d[0] for d in rows.description]
        part_late = (late or {}).get(part, frozenset())
        for part_row in rows:
            digest.update(_row_digest(part_row, names, part_late))
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
            detail: str | None = None) -> int:
    _, prev = head(conn)
    digest = event_hash(prev, kind, ref_id, content, sealed_at, detail)
    cursor = conn.execute(
        "INSERT INTO event (sealed_at, kind, ref_id, content, prev, hash, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sealed_at, kind, ref_id, content, prev, digest, detail),
    )
    return int(cursor.lastrowid)


def detail_hash(detail: dict) -> str:
    return hashlib.sha256(orjson.dumps(detail, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _latest_detail(conn: sqlite3.Connection, kind: str) -> dict | None:
    row = conn.execute("SELECT detail FROM event WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)).fetchone()
    return orjson.loads(row[0]) if row is not None and row[0] else None


def _schema(conn: sqlite3.Connection) -> dict:
    return {"facts": cov.fact_columns(conn), "state": {t.name: list(t.columns) for t in cov.state_tables(conn)}}


def leaf_lines(rows: list[tuple[str, int, str, int]]) -> str:
    text = "".join(f"{t}\t{leaf}\t{digest}\t{n}\n" for t, leaf, digest, n in sorted(rows))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- sealing -----------------------------------------------------------------------------------------

def mark_begin(conn: sqlite3.Connection) -> None:
    """Note where every covered table ended when this transaction began: rows past those marks are
    this transaction's own, rows between the log's last seal and them came from elsewhere."""
    if not cov.watching(conn):
        return
    marks = {name: conn.execute(f"SELECT coalesce(max(id), 0) FROM main.{cov.q(name)}").fetchone()[0]
             for name in (*cov.FACTS, *cov.PARTS)}
    for table in cov.state_tables(conn):
        marks["state:" + table.name] = cov.max_key(conn, table)
    conn.tx_marks = marks  # type: ignore[attr-defined]


def seal(conn: sqlite3.Connection, sealed_at: str | None = None) -> int:
    """Chain everything the case gained or changed since the last seal; return the events appended.

    Inside the caller's transaction when one is open (toolkit.store.db calls this before every
    COMMIT), else in a transaction of its own; rows found then were written outside any toolkit
    transaction and are sealed as `late`. Raises CustodyError, leaving the transaction to be
    rolled back, when a leaf of derived rows this write changed had already been changed
    behind the log's back.
    """
    if not cov.watching(conn):
        return 0
    own = not conn.in_transaction
    if own:
        begin_write(conn)
        conn.tx_marks = None  # type: ignore[attr-defined]
    try:
        added = _seal(conn, sealed_at or utcnow(), getattr(conn, "tx_marks", None))
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own:
            rollback(conn)
        raise
    return added


def _seal(conn: sqlite3.Connection, sealed_at: str, marks: dict[str, int] | None, *, context_too: bool = False) -> int:
    """Seal what is pending; with `context_too`, record the files in force even when nothing else is."""
    added = 0
    pending_facts = {}
    for kind in cov.FACTS:
        last = conn.execute("SELECT coalesce(max(ref_id), 0) FROM event WHERE kind = ?", (kind,)).fetchone()[0]
        pending_facts[kind] = [r[0] for r in conn.execute(
            f"SELECT id FROM main.{cov.q(kind)} WHERE id > ? ORDER BY id", (last,))]
    fresh = {(kind, ref_id) for kind, ids in pending_facts.items() for ref_id in ids}
    touched = [key for key in cov.touched_facts(conn) if key not in fresh]
    state = _state_changes(conn, marks)
    if not any(pending_facts.values()) and not touched and state is None and not context_too:
        cov.forget_watch(conn)
        return 0
    schema = _schema(conn)
    if _latest_detail(conn, "schema") != schema:
        _append(conn, "schema", None, detail_hash(schema), sealed_at, _dumps(schema))
        added += 1
    context = _context(conn)
    if context is not None and _latest_detail(conn, "context") != context:
        _append(conn, "context", None, detail_hash(context), sealed_at, _dumps(context))
        added += 1
    for kind, ids in pending_facts.items():
        mark = None if marks is None else marks.get(kind)
        if marks is not None:
            _refuse_older_parts(conn, kind, ids, marks)
        for ref_id in ids:
            content = content_hash(conn, kind, ref_id)
            assert content is not None  # read inside this transaction
            late = mark is None or ref_id <= mark
            _append(conn, kind, ref_id, content, sealed_at, _dumps({"late": True}) if late else None)
            added += 1
    for kind, ref_id in touched:
        content = content_hash(conn, kind, ref_id)
        if content is not None:
            _append(conn, kind, ref_id, content, sealed_at, _dumps({"changed": True}))
            added += 1
    if state is not None:
        leaves, detail = state
        event_id = _append(conn, "state", None, leaf_lines(leaves), sealed_at, _dumps(detail))
        conn.executemany("INSERT INTO seal_leaf (event_id, tbl, leaf, digest, rows) VALUES (?, ?, ?, ?, ?)",
                         [(event_id, *leaf) for leaf in leaves])
        added += 1
    cov.forget_watch(conn)
    return added


def _refuse_older_parts(conn: sqlite3.Connection, kind: str, ids: list[int], marks: dict[str, int]) -> None:
    """Raise CustodyError when a new fact row of this transaction (a source) already had part
    rows (captures) before the transaction began: they were written behind the log's back, naming
    the id the row would get, and sealing the row would take them in as the import's own."""
    for part, (parent, column) in cov.PARTS.items():
        if parent != kind or not ids or part not in marks:
            continue
        new = set(ids)
        # Part rows of older parents name ids below the new ones: this finds none in a genuine case.
        for part_id, parent_id in conn.execute(
                f"SELECT id, {cov.q(column)} FROM main.{cov.q(part)} WHERE id <= ? AND {cov.q(column)} >= ?"
                " ORDER BY id", (marks[part], min(ids))):
            if parent_id in new:
                raise CustodyError(
                    f"{part} {part_id} names {kind} {parent_id}, which did not exist before this command: it was"
                    " added outside toolkit; nothing was written",
                    "Run: toolkit verify CASE, then restore case.db from a copy you trust (an exported bundle)")


def schema_at(conn: sqlite3.Connection) -> list[tuple[int, dict]]:
    return [(r[0], orjson.loads(r[1])) for r in conn.execute(
        "SELECT id, detail FROM event WHERE kind = 'schema' ORDER BY id")]


def columns_at(schemas: list[tuple[int, dict]], event_id: int) -> dict | None:
    """The schema in force at an event: the latest schema event before it (None: the legacy one)."""
    found = None
    for schema_id, schema in schemas:
        if schema_id > event_id:
            break
        found = schema
    return found


def _state_changes(conn: sqlite3.Connection, marks: dict[str, int] | None
                   ) -> tuple[list[tuple[str, int, str, int]], dict] | None:
    """The leaves of derived rows to record in this seal, and the state event's detail (or None).

    A leaf this connection changed is first checked: rebuilt as it stood before this
    transaction (this connection's before-images put back, its own new rows left out), it must
    have the digest the log last recorded for it. Otherwise it was changed behind the log's back.
    """
    last = _latest_detail(conn, "state")
    covered: dict[str, int] = (last or {}).get("max", {})
    schemas: list[tuple[int, dict]] | None = None
    leaves: list[tuple[str, int, str, int]] = []
    late: dict[str, int] = {}
    maxima: dict[str, int] = dict(covered)
    for table in cov.state_tables(conn):
        top = covered.get(table.name, -1)
        now = cov.max_key(conn, table)
        images = cov.before_images(conn, table)
        added = cov.added_rows(conn, table)
        dirty: set[int] = set()
        if now > top:
            dirty.update(range(table.leaf_of(top) if top >= 0 else 0, table.leaf_of(now) + 1))
            mark = None if marks is None else marks.get("state:" + table.name)
            outside = (now if mark is None else min(mark, now)) - top
            if outside > 0 and table.key == "rowid":
                late[table.name] = outside
        if images or added:
            dirty |= {table.leaf_of(_image_key(table, values)) for values in images.values()}
            if table.key != "rowid":  # a row without rowid moves to another leaf when its key changes
                dirty |= _current_leaves(conn, table, set(images) | added)
        for leaf in sorted(dirty):
            found = recorded_leaf(conn, table.name, leaf)
            if found is None:
                continue  # a leaf the log has not seen: nothing to compare
            digest, _, event_id = found
            if schemas is None:
                schemas = schema_at(conn)
            cols = (columns_at(schemas, event_id) or {}).get("state", {}).get(table.name, list(table.columns))
            if _before_digest(conn, table, leaf, cols, images, added, top) != digest:
                raise CustodyError(
                    f"{leaf_label(table, leaf)} were changed outside toolkit since the custody log last"
                    " recorded them; nothing was written",
                    "Run: toolkit verify CASE, then restore case.db from a copy you trust (an exported bundle)")
        if dirty:
            for leaf, (digest, rows) in cov.leaf_digests(conn, table, dirty).items():
                leaves.append((table.name, leaf, digest, rows))
        maxima[table.name] = max(top, now)
    if not leaves:
        return None
    detail: dict[str, Any] = {"max": maxima}
    if late and last is not None:
        detail["late"] = late
    if last is None:
        detail["first"] = True  # the first coverage of derived rows (a new case, or an older one upgraded)
    return leaves, detail


def record_context(conn: sqlite3.Connection) -> None:
    """Record the files in force now, when they differ from the ones the log last recorded (what
    `toolkit export` bundles must be what the log names)."""
    begin_write(conn)
    try:
        _seal(conn, utcnow(), getattr(conn, "tx_marks", None), context_too=True)
        db.commit(conn)
    except BaseException:
        rollback(conn)
        raise


def _context(conn: sqlite3.Connection) -> dict | None:
    """The files in force for this connection's command (computed at its first seal)."""
    if getattr(conn, "context", None) is None and getattr(conn, "context_source", None) is not None:
        conn.context = conn.context_source()  # type: ignore[attr-defined]
    return getattr(conn, "context", None)


def recorded_leaf(conn: sqlite3.Connection, table: str, leaf: int) -> tuple[str, int, int] | None:
    """(digest, rows, event id) of the latest digest the log holds for a leaf, or None."""
    row = conn.execute("SELECT digest, rows, event_id FROM seal_leaf WHERE tbl = ? AND leaf = ?"
                       " ORDER BY event_id DESC LIMIT 1", (table, leaf)).fetchone()
    return (row[0], row[1], row[2]) if row is not None else None


def _key_name(table: cov.StateTable) -> str:
    return "rowid" if table.key == "rowid" else table.key.strip('"')


def _image_key(table: cov.StateTable, values: dict) -> int:
    return values["_rk"] if table.key == "rowid" else values[table.key.strip('"')]


def _current_leaves(conn: sqlite3.Connection, table: cov.StateTable, identities: set[tuple]) -> set[int]:
    """The leaves the rows with these identities are in now (a changed key moves a row)."""
    found = set()
    ident = " AND ".join(f"{'rowid' if c == 'rowid' else cov.q(c)} IS ?" for c in table.identity)
    for identity in identities:
        row = conn.execute(f"SELECT {table.key} FROM main.{cov.q(table.name)} WHERE {ident}", identity).fetchone()
        if row is not None:
            found.add(table.leaf_of(row[0]))
    return found


def _before_digest(conn: sqlite3.Connection, table: cov.StateTable, leaf: int, cols: list[str],
                   images: dict[tuple, dict], added: set[tuple], top: int) -> str:
    """The digest of a leaf as it stood before this connection's changes since the last seal."""
    width = len(table.identity)
    rowid = table.key == "rowid"
    rows: dict[tuple, tuple] = {}
    for row in cov.keyed_rows(conn, table, cols, leaf, leaf):
        key, identity = row[1], row[2:2 + width]
        if identity in images or identity in added or (rowid and key > top):
            continue  # put back below from its image, or added since the last seal
        rows[identity] = row
    for identity, values in images.items():
        if identity in added or (rowid and identity[0] > top):
            continue
        key = _image_key(table, values)
        if table.leaf_of(key) == leaf:
            ident = tuple(values["_rk"] if c == "rowid" else values[c] for c in table.identity)
            rows[identity] = (leaf, key, *ident, *(values[c] for c in cols))
    ordered = sorted(rows.values(), key=lambda row: (row[1], _sortable(row[2:2 + width])))
    return cov.digest_rows(ordered)


def _sortable(values: tuple) -> tuple:
    """A sort key ordering values as SQLite does: NULL, numbers, text (by UTF-8 bytes), blobs."""
    order = []
    for v in values:
        if v is None:
            order.append((0, 0))
        elif isinstance(v, int | float):
            order.append((1, v))
        elif isinstance(v, str):
            order.append((2, v.encode("utf-8")))
        else:
            order.append((3, bytes(v)))
    return tuple(order)


def record(conn: sqlite3.Connection, kind: str, content: str, sealed_at: str, detail: dict) -> str:
    """Append a standalone event (a report generated), in the caller's transaction or its own."""
    own = not conn.in_transaction
    if own:
        begin_write(conn)
    try:
        # Anything the event refers to, and the files in force, are in the log before it.
        if cov.watching(conn):
            _seal(conn, sealed_at, getattr(conn, "tx_marks", None), context_too=True)
        _append(conn, kind, None, content, sealed_at, _dumps(detail))
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own:
            rollback(conn)
        raise
    return head(conn)[1]


def leaf_label(table: cov.StateTable, leaf: int) -> str:
    lo = leaf * cov.LEAF_ROWS
    name = "ids" if table.key == "rowid" else _key_name(table)
    return f"{table.name} rows ({name} {lo}-{lo + cov.LEAF_ROWS - 1})"


def changed_facts(conn: sqlite3.Connection, refs: list[tuple[str, int]]) -> list[str]:
    """Which of these fact rows no longer match their latest event (checked before a command
    rewrites them, so that it never seals a change made behind the log's back)."""
    schemas = schema_at(conn)
    found = []
    for kind, ref_id in refs:
        row = conn.execute("SELECT id, content FROM event WHERE kind = ? AND ref_id = ? ORDER BY id DESC LIMIT 1",
                           (kind, ref_id)).fetchone()
        if row is None:
            continue  # not sealed yet: it is sealed with this write
        schema = columns_at(schemas, row[0])
        columns, nullable = (dict(schema["facts"]), None) if schema else cov.legacy_columns()
        purged = [orjson.loads(d).get("rewritten", []) for (d,) in conn.execute(
            "SELECT detail FROM event WHERE kind = 'purge' AND id > ? AND detail IS NOT NULL", (row[0],))]
        expected = {row[1], *(c for rewritten in purged for k, i, c in rewritten if (k, i) == (kind, ref_id))}
        if content_hash(conn, kind, ref_id, columns, nullable) not in expected:
            found.append(f"{kind} {ref_id}")
    return found


def purged_evidence(conn: sqlite3.Connection) -> set[str]:
    """Evidence files a purge deleted on purpose (verify does not count them as missing)."""
    gone: set[str] = set()
    for (detail,) in conn.execute("SELECT detail FROM event WHERE kind = 'purge' ORDER BY id"):
        gone.update(orjson.loads(detail).get("evidence_deleted", []))
    return gone


def pending(conn: sqlite3.Connection) -> bool:
    """Whether anything waits to be sealed: fact rows past the log, changes this connection made
    outside a transaction, or derived rows past what the log covers. Reads only (no write lock)."""
    if not cov.watching(conn):
        return False
    if unsealed(conn) or cov.watch_noted(conn):
        return True
    covered = (_latest_detail(conn, "state") or {}).get("max", {})
    return any(cov.max_key(conn, t) > covered.get(t.name, -1) for t in cov.state_tables(conn))


def unsealed(conn: sqlite3.Connection) -> int:
    """Fact rows recorded since the last seal (normally 0: every toolkit write seals before it commits)."""
    total = 0
    for kind in CHAINED:
        last = conn.execute("SELECT coalesce(max(ref_id), 0) FROM event WHERE kind = ?", (kind,)).fetchone()[0]
        total += conn.execute(f"SELECT count(*) FROM main.{cov.q(kind)} WHERE id > ?", (last,)).fetchone()[0]
    return total


def context_event(conn: sqlite3.Connection) -> tuple[int, dict] | None:
    """(event id, detail) of the latest context event: the files in force at the last write."""
    row = conn.execute("SELECT id, detail FROM event WHERE kind = 'context' ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], orjson.loads(row[1])) if row is not None else None


def event_at(conn: sqlite3.Connection, position: int) -> str | None:
    """The hash of the `position`-th event (1-based) in log order, or None when the log is shorter."""
    row = conn.execute("SELECT hash FROM event ORDER BY id LIMIT 1 OFFSET ?", (position - 1,)).fetchone()
    return row[0] if row is not None and position >= 1 else None


# -- views and triggers: code in the case file, which no row of the log covers -------------------------

@functools.cache
def _own_code() -> dict[tuple[str, str], str]:
    """(type, name) -> SQL of every view and trigger toolkit's migrations make (on a fresh
    database in memory, so it is always the schema of this toolkit)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db.migrate(conn, 0)
        return {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT type, name, sql FROM main.sqlite_master WHERE type IN ('view', 'trigger')")}
    finally:
        conn.close()


def foreign_code(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(type, name) of every view and trigger in the case database that toolkit did not make.

    Neither is a row the log could cover, yet each decides what a command stores or reads: a
    trigger runs inside every later write, before the seal, so what it changes is sealed as if
    the command had written it (a check the researcher answered `live` stored as `removed`); a
    view such as notice_in_force is what every count of notices reads."""
    own = _own_code()
    return [(kind, name) for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM main.sqlite_master WHERE type IN ('view', 'trigger') ORDER BY type, name")
        if own.get((kind, name)) != sql]


def describe_foreign(kind: str, name: str) -> str:
    if kind == "trigger":
        return (f"trigger {name} in case.db was not made by toolkit: it runs inside every write before the"
                " log records it, so rows written since it was added may not be what the commands wrote")
    return (f"view {name} in case.db is not the one toolkit made: what the commands read through it"
            " may not be what the rows hold")


# -- hooks into every connection and write transaction (see toolkit.store.db) ---------------------------

def _after_connect(conn: sqlite3.Connection) -> None:
    """Watch this connection's changes; on a case whose derived rows the log does not cover yet
    (new, or made by an older toolkit), record them now: the upgrade's sealing event.

    Refuses (CustodyError) a case holding a view or trigger toolkit did not make: a command would
    read through it, or a write would be changed by it and then sealed as genuine."""
    foreign = foreign_code(conn)
    if foreign:
        raise CustodyError(describe_foreign(*foreign[0]) + "; nothing was read or written",
                           "Run: toolkit verify CASE, then restore case.db from a copy you trust (an exported bundle)")
    cov.install_watch(conn)
    if _latest_detail(conn, "state") is None and any(
            conn.execute(f"SELECT 1 FROM main.{cov.q(t.name)} LIMIT 1").fetchone() for t in cov.state_tables(conn)):
        seal(conn)


def _before_commit(conn: sqlite3.Connection) -> None:
    seal(conn)


db.AFTER_CONNECT.append(_after_connect)
db.AFTER_BEGIN.append(mark_begin)
db.BEFORE_COMMIT.append(_before_commit)
