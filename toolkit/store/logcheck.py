"""Checking a case against its custody log: the chain, every fact row, every leaf of derived rows.

Reads only. `check_log` is what `toolkit verify` runs on a case database (toolkit.custody opens it
read-only); the log itself is written by toolkit.store.events.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from toolkit.store import coverage as cov
from toolkit.store.events import (
    GENESIS,
    columns_at,
    content_hash,
    describe_foreign,
    event_hash,
    foreign_code,
    leaf_label,
    leaf_lines,
)
from toolkit.store.schema import LATE_COLUMNS


@dataclass
class Break:
    """A place where the case no longer matches its log."""

    event_id: int | None
    what: str


def iter_events(conn: sqlite3.Connection) -> Iterator[sqlite3.Row]:
    yield from conn.execute("SELECT id, sealed_at, kind, ref_id, content, prev, hash, detail FROM event ORDER BY id")


@dataclass
class ChainCheck:
    """What `verify_chain` found: problems (in log order) and notes."""

    events: int
    problems: list[Break]
    notes: list[str]


def verify_chain(conn: sqlite3.Connection) -> tuple[int, list[Break]]:
    """Recompute the chain and every covered row; return (events checked, problems in log order)."""
    found = check_log(conn)
    return found.events, found.problems


def check_log(conn: sqlite3.Connection) -> ChainCheck:
    """Recompute the chain, every fact row and every leaf of derived rows. Never writes.

    Problems: an event whose hash or link is wrong (the log was edited or reordered), a fact row
    changed or deleted since its latest event, a fact row with no event at all (slipped in
    behind the log), a leaf of derived rows whose digest differs from the latest one the log
    recorded (changed, deleted or added), a state event whose leaf digests were edited, and a
    table the log cannot cover.
    """
    problems: list[Break] = []
    notes: list[str] = []
    prev = GENESIS
    log = list(iter_events(conn))
    overrides: dict[tuple[str, int], str] = {}
    for position, event in enumerate(log, start=1):
        if event["id"] != position:
            problems.append(Break(event["id"], f"event {event['id']} is number {position} of the log"
                                               " (events were removed or renumbered)"))
        expected = event_hash(event["prev"], event["kind"], event["ref_id"], event["content"], event["sealed_at"],
                              event["detail"])
        if event["prev"] != prev:
            problems.append(Break(event["id"], f"event {event['id']} does not follow the event before it"
                                               " (log edited, reordered or cut)"))
        elif event["hash"] != expected:
            problems.append(Break(event["id"], f"event {event['id']} was edited (its hash does not match its content)"))
        prev = event["hash"]
        if event["kind"] == "purge" and event["detail"]:
            # Purges before the log sealed changes itself named the content they left.
            for kind, ref_id, content in orjson.loads(event["detail"]).get("rewritten", []):
                overrides[(kind, ref_id)] = content
    schemas = [(e["id"], orjson.loads(e["detail"])) for e in log if e["kind"] == "schema" and e["detail"]]
    latest: dict[tuple[str, int], sqlite3.Row] = {}
    late: list[str] = []
    for event in log:
        if event["kind"] in cov.FACTS and event["ref_id"] is not None:
            key = (event["kind"], event["ref_id"])
            latest[key] = event
            overrides.pop(key, None)  # a later event of the row itself supersedes an old purge's word
            if event["detail"] and orjson.loads(event["detail"]).get("late"):
                late.append(f"{event['kind']} {event['ref_id']}")
        elif event["kind"] == "purge" and event["detail"]:
            for kind, ref_id, content in orjson.loads(event["detail"]).get("rewritten", []):
                overrides[(kind, ref_id)] = content
    filled = _FilledLater(conn)
    for (kind, ref_id), event in sorted(latest.items(), key=lambda kv: kv[1]["id"]):
        schema = columns_at(schemas, event["id"])
        columns, nullable = (dict(schema["facts"]), None) if schema else cov.legacy_columns()
        later = filled.columns(kind, ref_id, columns)
        if later:
            problems.append(Break(event["id"], f"{kind} {ref_id} was changed after it was recorded"
                                               f" ({', '.join(later)}, added to the schema since, filled in)"))
            continue
        try:
            actual = content_hash(conn, kind, ref_id, columns, nullable)
        except sqlite3.OperationalError as exc:
            problems.append(Break(event["id"], f"{kind} {ref_id} cannot be read as it was recorded ({exc})"))
            continue
        if actual is None:
            problems.append(Break(event["id"], f"{kind} {ref_id} was deleted after it was recorded"))
        elif actual != overrides.get((kind, ref_id), event["content"]):
            what = f"{kind} {ref_id}" + (" or one of its captures" if kind == "source" else "")
            problems.append(Break(event["id"], f"{what} was changed after it was recorded"))
    present = set(cov.tables(conn))
    if schemas:
        # A covered table dropped (or renamed, or put back as a view) takes its rows and their leaves
        # out of every check below, which reads only the tables there are now.
        covered = {*schemas[-1][1].get("facts", {}), *schemas[-1][1].get("state", {})}
        for name in sorted(covered - present):
            problems.append(Break(schemas[-1][0], f"table {name}, which the log covers, is no longer in case.db"
                                                  " (dropped or renamed)"))
    for kind in cov.FACTS:
        if kind not in present:
            continue
        for (ref_id,) in conn.execute(f"SELECT id FROM main.{cov.q(kind)} ORDER BY id"):
            if (kind, ref_id) not in latest:
                problems.append(Break(None, f"{kind} {ref_id} is in no event of the log (added behind its back)"))
    for part, (parent, column) in cov.PARTS.items():
        if part not in present or parent not in present:
            continue
        # A part row naming a parent that does not exist is in no event: no parent's content covers it.
        for part_id, parent_id in conn.execute(
                f"SELECT id, {cov.q(column)} FROM main.{cov.q(part)} WHERE {cov.q(column)} IS NOT NULL"
                f" AND {cov.q(column)} NOT IN (SELECT id FROM main.{cov.q(parent)}) ORDER BY id"):
            problems.append(Break(None, f"{part} {part_id} names {parent} {parent_id}, which is not in the case"
                                        " (added behind the log's back)"))
    if late:
        shown = ", ".join(late[:5]) + (f" and {len(late) - 5} more" if len(late) > 5 else "")
        notes.append(f"{len(late)} row(s) entered the case outside a toolkit write and were sealed later: {shown}")
    problems.extend(_check_state(conn, log, schemas, notes))
    for name in cov.undeclared(conn):
        problems.append(Break(None, f"table {name} is not covered by the custody log (no rowid, no declared leaf key)"))
    for kind, name in foreign_code(conn):
        problems.append(Break(None, describe_foreign(kind, name)))
    return ChainCheck(len(log), problems, notes)


class _FilledLater:
    """A late column (`toolkit.store.schema.LATE_COLUMNS`: added by a migration, NULL on the rows
    before it) that a fact row was sealed without is not in that row's digest (it is hashed over the
    columns of its time), so it must still be NULL: a value there was put in behind the log's back
    (a check's `run`, which bounds the stretches canaries blind, would otherwise be forgeable)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.current = {table: [c for c in cols if c in LATE_COLUMNS.get(table, ())]
                        for table, cols in cov.fact_columns(conn).items()}
        self.found: dict[tuple[str, tuple[str, ...]], dict[int, list[str]]] = {}

    def columns(self, kind: str, ref_id: int, columns: dict[str, list[str]]) -> list[str]:
        """The columns of row `ref_id` of `kind` (or of its parts) not among `columns` that hold a value."""
        out = []
        for table, parent in ((kind, None), *((part, col) for part, (owner, col) in cov.PARTS.items() if owner == kind)):
            sealed = columns.get(table)
            if sealed is None:
                continue
            added = tuple(c for c in self.current.get(table, ()) if c not in sealed)
            if added:
                out.extend(self._rows(table, parent, added).get(ref_id, []))
        return sorted(set(out))

    def _rows(self, table: str, parent: str | None, added: tuple[str, ...]) -> dict[int, list[str]]:
        """Per row (per parent row, for a part), which of `added` hold a value: one query per table."""
        key = (table, added)
        if key not in self.found:
            owner = cov.q(parent) if parent else "id"
            cells = ", ".join(f"{cov.q(c)} IS NOT NULL" for c in added)
            where = " OR ".join(f"{cov.q(c)} IS NOT NULL" for c in added)
            rows: dict[int, list[str]] = {}
            for row in self.conn.execute(f"SELECT {owner}, {cells} FROM main.{cov.q(table)} WHERE {where}"):
                rows.setdefault(row[0], []).extend(c for c, set_ in zip(added, row[1:], strict=True) if set_)
            self.found[key] = rows
        return self.found[key]


def _check_state(conn: sqlite3.Connection, log: list[sqlite3.Row], schemas: list[tuple[int, dict]],
                 notes: list[str]) -> list[Break]:
    problems: list[Break] = []
    states = {e["id"]: e for e in log if e["kind"] == "state"}
    if not states and not conn.execute("SELECT 1 FROM seal_leaf LIMIT 1").fetchone():
        if any(e["kind"] in cov.FACTS for e in log):
            notes.append("derived rows (items, aliases, tags, ...) are not covered yet: this case was last written"
                         " by an older toolkit, and the next toolkit command covers them")
        return problems
    by_event: dict[int, list[tuple[str, int, str, int]]] = defaultdict(list)
    for event_id, tbl, leaf, digest, rows in conn.execute(
            "SELECT event_id, tbl, leaf, digest, rows FROM seal_leaf ORDER BY event_id, tbl, leaf"):
        by_event[event_id].append((tbl, leaf, digest, rows))
    for event_id in sorted(set(by_event) - set(states)):
        problems.append(Break(event_id, f"leaf digests of event {event_id} belong to no state event (log edited)"))
    # The toolkit that covers derived rows opens its log with a schema event (they came together):
    # fact events before the first one were written by an older toolkit. In a case made by this one,
    # the first state event follows fact events of its own seal, with nothing left uncovered.
    older = next((e["id"] for e in log if e["kind"] == "schema"), len(log) + 1)
    for event_id, event in states.items():
        if leaf_lines(by_event.get(event_id, [])) != event["content"]:
            problems.append(Break(event_id, f"the leaf digests of state event {event_id} were edited"))
        detail = orjson.loads(event["detail"] or "{}")
        if detail.get("first") and any(e["kind"] in cov.FACTS for e in log if e["id"] < min(event_id, older)):
            notes.append(f"derived rows (items, aliases, tags, ...) are covered from event {event_id} on: this case"
                         " was made by an older toolkit, and a change to them before that cannot be detected")
        for name, count in (detail.get("late") or {}).items():
            notes.append(f"{count} {name} row(s) entered the case outside a toolkit write and were sealed"
                         f" late by event {event_id}")
    recorded: dict[tuple[str, int], tuple[str, int, int]] = {}
    for event_id in sorted(by_event):
        if event_id in states:
            for tbl, leaf, digest, rows in by_event[event_id]:
                recorded[(tbl, leaf)] = (digest, rows, event_id)
    try:
        tables = cov.state_tables(conn)
    except sqlite3.DatabaseError:
        return problems  # reported as an undeclared table
    for table in tables:
        mine = {leaf: value for (tbl, leaf), value in recorded.items() if tbl == table.name}
        # Each leaf is hashed over the columns in force when its digest was recorded.
        leaf_cols: dict[int, tuple[str, ...]] = {}
        for leaf, (_, _, event_id) in mine.items():
            schema = columns_at(schemas, event_id) or {}
            leaf_cols[leaf] = tuple(schema.get("state", {}).get(table.name, table.columns))
        seen: set[int] = set()
        for cols in sorted({table.columns, *leaf_cols.values()}):
            try:
                for leaf, rows in cov.leaf_rows(conn, table, cols, 0, _top_leaf(conn, table)):
                    if leaf_cols.get(leaf, table.columns) != cols:
                        continue
                    seen.add(leaf)
                    if leaf not in mine:
                        problems.append(Break(None, f"{leaf_label(table, leaf)} are in no event of the log"
                                                    " (added behind its back)"))
                    elif cov.digest_rows(rows) != mine[leaf][0]:
                        problems.append(Break(mine[leaf][2], f"{leaf_label(table, leaf)} were changed after"
                                                             " they were recorded"))
            except sqlite3.OperationalError as exc:
                problems.append(Break(None, f"table {table.name} cannot be read as it was recorded ({exc})"))
        for leaf, (_, rows, event_id) in mine.items():
            if leaf not in seen and rows:
                problems.append(Break(event_id, f"{leaf_label(table, leaf)} were deleted after they were recorded"))
    return problems


def _top_leaf(conn: sqlite3.Connection, table: cov.StateTable) -> int:
    return max(cov.max_key(conn, table), 0) // cov.LEAF_ROWS
