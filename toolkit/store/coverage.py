"""What the custody log covers, declared in one place, and how derived rows are digested.

Every table of a case database is exactly one of:

- a **fact** table (FACTS): append-only rows a researcher or a command recorded (sources, evidence
  files, waves, verdicts, notices and their voids, checks, canary readings). Each row gets its own event; a source's event covers
  the captures imported from it (PARTS).
- a **state** table: every other table that holds case data, found by reading the schema, so a
  table or column another migration adds is covered with no further work: items and their aliases,
  hits, indicators, scores, the captures no source owns (a live recheck's), meta. Rows are grouped
  into leaves of LEAF_ROWS consecutive keys (the rowid, or LEAF_KEYS for a table without one);
  every seal records the digest of each leaf that changed (`seal_leaf`), and `verify` recomputes
  every leaf.
- **exempt** (EXEMPT), with the reason.

A toolkit connection watches its own changes to covered rows through temporary triggers (which
exist only on that connection: a change made by anything else fires none). Each change keeps
the row's image from before the transaction, so that a seal can check that a leaf it re-digests
was, before this transaction, exactly what the log says; a row changed behind the log's back is
then refused rather than absorbed (see `toolkit.store.events.seal`).
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson

FACTS = ("evidence", "source", "wave", "review", "notice", "notice_void", "check", "canary_check", "attachment")
# Rows folded into their parent fact's event: table -> (parent table, column naming the parent).
PARTS = {"capture": ("source", "source_id")}
# State tables that share a table with a part: only these rows are state.
STATE_WHERE = {"capture": "source_id IS NULL"}
# Tables without a rowid: the integer column that places a row in a leaf.
LEAF_KEYS = {"item_alias": "item_id"}
EXEMPT = {
    "event": "the custody log itself (its own hash chain)",
    "seal_leaf": "the log's digests of state rows (each state event's content hashes them)",
}
LEAF_ROWS = 64

# The columns fact rows were hashed over before the log recorded its schema: events older than
# the first `schema` event are checked over these (with LATE_COLUMNS left out while NULL, as the
# toolkit of that time did), so a column a later migration adds does not make an old log fail.
LEGACY_COLUMNS: dict[str, tuple[str, ...]] = {
    "evidence": ("id", "sha256", "stored_sha256", "stored_size", "stored_at"),
    "source": ("id", "sha256", "size", "format", "importer", "path", "imported_at", "collected_at", "records_read",
               "records_mapped", "records_failed", "items_new", "items_seen", "captures", "failures", "notes",
               "evidence"),
    "wave": ("id", "name", "started_at", "methods", "note"),
    "review": ("id", "item_id", "verdict", "category", "reviewer", "reviewed_at", "note", "origin"),
    "notice": ("id", "item_id", "noticed_at", "channel", "reference", "noticed_by", "note", "recorded_at"),
    "notice_void": ("id", "notice_id", "why", "voided_by", "voided_at"),
    "check": ("id", "item_id", "wave_id", "observed_at", "method", "status", "reason", "detector", "http_status",
              "final_url", "evidence_sha256", "marker", "place", "note"),
    "capture": ("id", "item_id", "source_id", "observed_at", "status", "status_marker", "status_place", "detector",
                "name", "text", "url", "followers", "members", "likes", "created_at", "country", "fields", "raw"),
    "attachment": ("id", "source_id", "check_id", "role", "sha256", "media_type", "size", "width", "height", "note"),
    "canary_check": ("id", "wave_id", "method", "run", "round", "after_check", "platform", "url", "observed_at",
                     "status", "reason", "detector", "http_status", "final_url", "evidence_sha256", "note"),
}


def legacy_columns() -> tuple[dict[str, list[str]], dict[str, frozenset[str]]]:
    """(columns per table, columns left out while NULL) of events sealed before any schema event."""
    from toolkit.store.schema import LATE_COLUMNS

    return ({name: [*cols, *sorted(LATE_COLUMNS.get(name, ()))] for name, cols in LEGACY_COLUMNS.items()},
            dict(LATE_COLUMNS))

_WITHOUT_ROWID = re.compile(r"\bWITHOUT\s+ROWID\b", re.IGNORECASE)


def q(name: str) -> str:
    """An identifier quoted for SQL (`check` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class StateTable:
    """A state table as the seal digests it."""

    name: str
    columns: tuple[str, ...]  # sorted by name: the order a leaf's rows are hashed in
    key: str  # SQL expression placing a row in a leaf (rowid, or a LEAF_KEYS column)
    identity: tuple[str, ...]  # what names one row: ("rowid",) or the primary key's columns
    where: str | None = None

    def leaf_of(self, key: int) -> int:
        return key // LEAF_ROWS


def tables(conn: sqlite3.Connection) -> dict[str, str]:
    """Every table of the main database: name -> its CREATE statement."""
    return {name: sql or "" for name, sql in conn.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")}


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, int]]:
    """(column name, position in the primary key, 0 when not in it), in table order."""
    return [(row[1], row[5]) for row in conn.execute(f"PRAGMA main.table_info({q(table)})")]


def state_tables(conn: sqlite3.Connection) -> list[StateTable]:
    """Every state table, read from the schema (so a table a later migration adds is included).

    Raises sqlite3.DatabaseError naming a table that can be neither placed in leaves nor is
    declared (a table without a rowid needs a LEAF_KEYS entry): `undeclared` finds them first.
    """
    version = conn.execute("PRAGMA main.schema_version").fetchone()[0]
    cached = getattr(conn, "_state_tables", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    found = _state_tables(conn)
    if hasattr(conn, "__dict__"):
        conn._state_tables = (version, found)  # type: ignore[attr-defined]
    return found


def _state_tables(conn: sqlite3.Connection) -> list[StateTable]:
    found = []
    for name, sql in tables(conn).items():
        if name in FACTS or name in EXEMPT:
            continue
        cols = columns(conn, name)
        if _WITHOUT_ROWID.search(sql):
            if name not in LEAF_KEYS:
                raise sqlite3.DatabaseError(f"table {name} has no rowid and no LEAF_KEYS entry")
            identity = tuple(c for c, _ in sorted((c for c in cols if c[1]), key=lambda c: c[1]))
            key = q(LEAF_KEYS[name])
        else:
            identity, key = ("rowid",), "rowid"
        found.append(StateTable(name, tuple(sorted(c for c, _ in cols)), key, identity, STATE_WHERE.get(name)))
    return found


def undeclared(conn: sqlite3.Connection) -> list[str]:
    """Tables the log could not cover: without a rowid and without a declared leaf key."""
    return [name for name, sql in tables(conn).items()
            if name not in FACTS and name not in EXEMPT and _WITHOUT_ROWID.search(sql) and name not in LEAF_KEYS]


def fact_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The columns fact rows (and their parts) are hashed over now, in table order."""
    return {name: [c for c, _ in columns(conn, name)] for name in (*FACTS, *PARTS)}


# -- digests ---------------------------------------------------------------------------------------

def _default(value: object) -> object:
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    raise TypeError(f"cannot hash a {type(value).__name__}")


def digest_rows(rows: Iterable[tuple]) -> str:
    """The sha256 of a leaf's rows, each (leaf, key, identity..., values in column order)."""
    return hashlib.sha256(orjson.dumps(list(rows), default=_default)).hexdigest()


def leaf_select(table: StateTable, cols: Iterable[str]) -> str:
    """SELECT of (leaf, key, identity..., values...) for rows with lo <= key < hi, in a fixed order."""
    ident = ", ".join(i if i == "rowid" else q(i) for i in table.identity)
    where = f" AND ({table.where})" if table.where else ""
    values = ", ".join(q(c) for c in cols)
    return (f"SELECT {table.key} / {LEAF_ROWS}, {table.key}, {ident}{', ' + values if values else ''}"
            f" FROM main.{q(table.name)} WHERE {table.key} >= ? AND {table.key} < ?{where}"
            f" ORDER BY {table.key}, {ident}")


def runs(leaves: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Sorted leaves as (first, last) runs of consecutive numbers."""
    ordered = sorted(set(leaves))
    start = prev = None
    for leaf in ordered:
        if start is None:
            start = prev = leaf
        elif leaf == prev + 1:
            prev = leaf
        else:
            yield start, prev
            start = prev = leaf
    if start is not None:
        yield start, prev


def keyed_rows(conn: sqlite3.Connection, table: StateTable, cols: Iterable[str], first: int, last: int
               ) -> Iterator[tuple]:
    """Every row in leaves `first` to `last` as (leaf, key, identity..., values over `cols`...),
    in leaf order (plain tuples: this is the hot loop of every seal and of verify)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(leaf_select(table, list(cols)), (first * LEAF_ROWS, (last + 1) * LEAF_ROWS))
    while batch := cursor.fetchmany(8192):
        yield from batch


def leaf_rows(conn: sqlite3.Connection, table: StateTable, cols: Iterable[str], first: int, last: int
              ) -> Iterator[tuple[int, list[tuple]]]:
    """(leaf, rows) for every non-empty leaf from `first` to `last`, read in one ordered pass."""
    for leaf, rows in itertools.groupby(keyed_rows(conn, table, cols, first, last), key=_first):
        yield leaf, list(rows)


_first = operator.itemgetter(0)


def leaf_digests(conn: sqlite3.Connection, table: StateTable, leaves: Iterable[int], cols: Iterable[str] | None = None
                 ) -> dict[int, tuple[str, int]]:
    """leaf -> (digest, rows) for each leaf asked for (an empty leaf has the digest of no rows)."""
    cols = table.columns if cols is None else tuple(cols)
    wanted = sorted(set(leaves))
    out = {leaf: (EMPTY, 0) for leaf in wanted}
    for first, last in runs(wanted):
        for leaf, rows in leaf_rows(conn, table, cols, first, last):
            out[leaf] = (digest_rows(rows), len(rows))
    return out


EMPTY = digest_rows([])


def max_key(conn: sqlite3.Connection, table: StateTable) -> int:
    where = f" WHERE {table.where}" if table.where else ""
    return conn.execute(f"SELECT coalesce(max({table.key}), -1) FROM main.{q(table.name)}{where}").fetchone()[0]


# -- watching this connection's own changes -----------------------------------------------------------

OLD_PREFIX = "_before_"  # temp.<prefix><table>: a changed row's image from before its first change
NEW_PREFIX = "_added_"   # temp.<prefix><table>: rows a table without rowid gained (their identity)
TOUCHED = "_touched_facts"  # temp table of (table, id) fact rows changed in place


def _image_columns(table_cols: list[str], identity: tuple[str, ...]) -> list[str]:
    return ["_rk", *table_cols] if identity == ("rowid",) else table_cols


def install_watch(conn: sqlite3.Connection) -> None:
    """Create (again) the temporary triggers through which this connection notes its own changes.

    Called after every schema change the connection makes (migrations): the triggers name
    every current column, so a column added later is watched too.
    """
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (tbl TEXT NOT NULL, id INTEGER NOT NULL,"
                 " PRIMARY KEY (tbl, id)) WITHOUT ROWID")
    for name in [r[0] for r in conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'trigger'"
                                            " AND name LIKE '\\_w\\_%' ESCAPE '\\'")]:
        conn.execute(f"DROP TRIGGER temp.{q(name)}")
    for table in state_tables(conn):
        cols = [c for c, _ in columns(conn, table.name)]
        image = _image_columns(cols, table.identity)
        old = OLD_PREFIX + table.name
        conn.execute(f"DROP TABLE IF EXISTS temp.{q(old)}")
        pk = "_rk" if table.identity == ("rowid",) else ", ".join(q(c) for c in table.identity)
        # No declared types: values keep their storage class exactly as they were.
        conn.execute(f"CREATE TEMP TABLE {q(old)} ({', '.join(q(c) for c in image)}, PRIMARY KEY ({pk}))")
        values = ", ".join(("OLD.rowid" if c == "_rk" else f"OLD.{q(c)}") for c in image)
        changed = " OR ".join(f"OLD.{q(c)} IS NOT NEW.{q(c)}" for c in cols)
        if table.identity == ("rowid",):
            changed += " OR OLD.rowid IS NOT NEW.rowid"
        target = f"main.{q(table.name)}"
        keep = f"INSERT OR IGNORE INTO {q(old)} VALUES ({values});"  # unqualified: temp comes first
        conn.execute(f"CREATE TEMP TRIGGER {q('_w_u_' + table.name)} AFTER UPDATE ON {target}"
                     f" WHEN {changed} BEGIN {keep} END")
        conn.execute(f"CREATE TEMP TRIGGER {q('_w_d_' + table.name)} AFTER DELETE ON {target} BEGIN {keep} END")
        if table.identity != ("rowid",):
            added = NEW_PREFIX + table.name
            conn.execute(f"DROP TABLE IF EXISTS temp.{q(added)}")
            ident = ", ".join(q(c) for c in table.identity)
            conn.execute(f"CREATE TEMP TABLE {q(added)} ({ident}, PRIMARY KEY ({ident}))")
            conn.execute(f"CREATE TEMP TRIGGER {q('_w_i_' + table.name)} AFTER INSERT ON {target} BEGIN"
                         f" INSERT OR IGNORE INTO {q(added)} VALUES ({', '.join('NEW.' + q(c) for c in table.identity)});"
                         " END")
    for name in FACTS:
        cols = [c for c, _ in columns(conn, name)]
        changed = " OR ".join(f"OLD.{q(c)} IS NOT NEW.{q(c)}" for c in cols)
        mark = f"INSERT OR IGNORE INTO {TOUCHED} VALUES ('{name}', OLD.rowid);"
        conn.execute(f"CREATE TEMP TRIGGER {q('_w_u_' + name)} AFTER UPDATE ON main.{q(name)} WHEN {changed}"
                     f" BEGIN {mark} END")
    for part, (parent, column) in PARTS.items():
        cols = [c for c, _ in columns(conn, part)]
        changed = " OR ".join(f"OLD.{q(c)} IS NOT NEW.{q(c)}" for c in cols)
        for event, when in (("UPDATE", f"({changed}) AND"), ("DELETE", "")):
            conn.execute(f"CREATE TEMP TRIGGER {q(f'_w_{event[0].lower()}p_' + part)} AFTER {event} ON main.{q(part)}"
                         f" WHEN {when} OLD.{q(column)} IS NOT NULL BEGIN"
                         f" INSERT OR IGNORE INTO {TOUCHED} VALUES ('{parent}', OLD.{q(column)}); END")


def before_images(conn: sqlite3.Connection, table: StateTable) -> dict[tuple, tuple]:
    """identity -> the row as it was before this connection first changed it (since the last seal)."""
    cols = [c for c, _ in columns(conn, table.name)]
    image = _image_columns(cols, table.identity)
    out = {}
    for row in conn.execute(f"SELECT {', '.join(q(c) for c in image)} FROM temp.{q(OLD_PREFIX + table.name)}"):
        values = dict(zip(image, row, strict=True))
        ident = (values["_rk"],) if table.identity == ("rowid",) else tuple(values[c] for c in table.identity)
        out[ident] = values
    return out


def added_rows(conn: sqlite3.Connection, table: StateTable) -> set[tuple]:
    """Identities of rows this connection added to a table without rowid (since the last seal)."""
    if table.identity == ("rowid",):
        return set()
    return {tuple(row) for row in conn.execute(f"SELECT * FROM temp.{q(NEW_PREFIX + table.name)}")}


def touched_facts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Fact rows this connection changed in place since the last seal (a purge, a wave's methods)."""
    return [(r[0], r[1]) for r in conn.execute(f"SELECT tbl, id FROM temp.{TOUCHED} ORDER BY tbl, id")]


def watch_noted(conn: sqlite3.Connection) -> bool:
    """Whether the triggers noted any change of this connection since the last seal."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM temp.sqlite_master WHERE type = 'table' AND (name = ? OR name LIKE '\\_before\\_%' ESCAPE '\\'"
        " OR name LIKE '\\_added\\_%' ESCAPE '\\')", (TOUCHED,))]
    return any(conn.execute(f"SELECT 1 FROM temp.{q(name)} LIMIT 1").fetchone() for name in names)


def forget_watch(conn: sqlite3.Connection) -> None:
    """Clear what the triggers noted (after a seal has recorded it)."""
    conn.execute(f"DELETE FROM temp.{TOUCHED}")
    for (name,) in conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'"
                                " AND (name LIKE '\\_before\\_%' ESCAPE '\\' OR name LIKE '\\_added\\_%' ESCAPE '\\')"
                                ).fetchall():
        conn.execute(f"DELETE FROM temp.{q(name)}")


def watching(conn: sqlite3.Connection) -> bool:
    """Whether this connection has its triggers (a read-only connection of verify has none)."""
    return conn.execute(f"SELECT 1 FROM temp.sqlite_master WHERE name = '{TOUCHED}'").fetchone() is not None
