"""The one status rule: an item's status in a wave, and its latest status. Every command reads it here.

`STATUS_RULE` says it in words (the report's methodology and docs/recheck.md print this text).
In SQL it is three steps, kept as common table expressions so every query that needs a status
(`toolkit items`, `show`, `waves`, `report`, the review screen) embeds the same text:

- `reading`: every check with the family of its status, unknown when it is blind (the canary
  readings around it, same wave, method and platform, were not all live; see `blind` below);
- `wave_status`: per item (an item merged through an alias counts as its canonical item) and wave,
  the check that decides: the latest with a known family (live, gone, ended), else the latest
  check; Wayback checks are left out (they date archived copies, not the wave's look);
- `latest_status`: per item, its `wave_status` in the latest wave that read it (waves in the order
  of their first observation). An item no wave has read takes its latest capture with a status.

A blind check: a canary round is a set of canary readings of one platform taken together during a
wave (`canary_check`, placed among the checks by `after_check`, the highest check id when it was
taken). A check lies in the stretch between two rounds of the same run; it is blind when either
round has a canary that did not read live. Its observed status stays as recorded.

All SQL with bound parameters only; `:as_of` cuts checks observed after it (the report's as-of).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from toolkit.models import STATUS_FAMILY, DateSource, Family

STATUS_RULE = (
    "Inside a wave, the latest check whose status has a known family (live, gone, ended) decides the item's "
    "status. A login wall, a rate limit, an error or not_seen never overrides a known reading of the same wave; "
    "an item is unknown in a wave only when no check of it in that wave has a known family, and then its "
    "latest check names the unknown status. Wayback checks date archived copies: they bound when an item was "
    "last seen live and never stand for a wave's own look. Blind checks (made while the platform's canaries "
    "did not read live) count as unknown. An item's latest status is this rule over the latest wave that "
    "checked it; an item never rechecked takes the status of its latest capture that states one."
)

DATE_RULE = (
    "Every capture and check records where its date came from: a date field of the export (export_field), "
    "the save time the page, archive or HAR records (page_header), the file's name (file_name), this "
    "machine's clock when it fetched or was answered (clock), the Wayback Machine's capture time (archive), the "
    "researcher (given: --observed-at, --collected-at, --at), or, when nothing said when, the "
    "time of the import (import_time). Import-time dates are never used for first seen or time to removal: "
    "the items they would date are counted as left out. A wave whose checks span more than [waves] "
    "max_span_days is flagged."
)

FAR_FUTURE = "9999-12-31T23:59:59Z"
KNOWN = tuple(str(f) for f in (Family.LIVE, Family.GONE, Family.ENDED))


def family_sql(column: str) -> str:
    """The SQL expression giving the family of the status in `column`, from `STATUS_FAMILY` (the one
    mapping); a token this toolkit does not know is unknown, never live or gone."""
    whens = " ".join(f"WHEN '{status}' THEN '{family}'" for status, family in STATUS_FAMILY.items())
    return f"(CASE {column} {whens} ELSE 'unknown' END)"


# Canary rounds and the stretches between them; a check's blind reason; the deciding check per
# item and wave; each wave's date; each item's latest wave. Used as `WITH <RULE_CTES> SELECT ...`.
_RULE_CTES = f"""
canary_round AS MATERIALIZED (
    SELECT wave_id, method, platform, run, round, min(after_check) AS after_check,
           max({family_sql('status')} != 'live') AS failed,
           group_concat(CASE WHEN {family_sql('status')} != 'live' THEN
               platform || ' canary ' || url || ' read ' || status || coalesce(' (' || reason || ')', '')
               || ' at ' || observed_at END, '; ') AS why
    FROM canary_check GROUP BY wave_id, method, platform, run, round
),
stretch AS MATERIALIZED (
    SELECT wave_id, method, platform, round, after_check AS lo,
           lead(after_check) OVER w AS hi,
           CASE WHEN failed THEN why WHEN lead(failed) OVER w THEN lead(why) OVER w END AS blind
    FROM canary_round
    WINDOW w AS (PARTITION BY wave_id, method, platform, run ORDER BY after_check, round)
),
reading AS MATERIALIZED (
    SELECT c.id, coalesce(i.merged_into, i.id) AS item_id, c.item_id AS checked_item, c.wave_id,
           c.observed_at, c.method, c.status, c.reason, c.detector, c.date_source, i.platform,
           /*blind*/(SELECT s.blind FROM stretch s
            WHERE s.wave_id = c.wave_id AND s.method = c.method AND s.platform = i.platform
              AND s.lo < c.id AND (s.hi IS NULL OR c.id <= s.hi)
            ORDER BY s.lo DESC, s.round DESC LIMIT 1)/*end*/ AS blind
    FROM "check" c JOIN item i ON i.id = c.item_id
    WHERE c.observed_at <= :as_of{{narrow_check}}
),
judged AS (
    SELECT r.*, CASE WHEN r.blind IS NOT NULL THEN 'unknown' ELSE {family_sql('r.status')} END AS family
    FROM reading r
),
wave_status AS (
    -- One max() per group: SQLite takes the other columns from the row that has it (the deciding
    -- check: a known family first, then the latest, then the highest id).
    SELECT item_id, wave_id, id AS check_id, status, reason, family, observed_at, method, blind, date_source,
           max((family IN {KNOWN!r}) || observed_at || printf('%015d', id)) AS pick
    FROM judged WHERE method != 'wayback' AND wave_id IS NOT NULL
    GROUP BY item_id, wave_id
),
wave_date AS MATERIALIZED (
    -- A wave is dated by its first observation (Wayback apart), else by when it was started.
    SELECT w.id AS wave_id, coalesce((SELECT min(c.observed_at) FROM "check" c
                                       WHERE c.wave_id = w.id AND c.method != 'wayback'), w.started_at) AS dated
    FROM wave w
),
latest_status AS (
    SELECT ws.item_id, ws.wave_id, ws.check_id, ws.status, ws.reason, ws.family, ws.observed_at, ws.method, ws.blind,
           max(d.dated || printf('%015d', ws.wave_id)) AS latest
    FROM wave_status ws JOIN wave_date d ON d.wave_id = ws.wave_id
    GROUP BY ws.item_id
)"""

# Narrowed to the canonical items in the JSON list :items (and the items merged into them), so that
# reading one item (the review screen, `toolkit show`) does not read every check of the case.
_MEMBERS = ("(SELECT value FROM json_each(:items) UNION ALL SELECT m.id FROM item m"
            " WHERE m.merged_into IN (SELECT value FROM json_each(:items)))")
RULE_CTES = _RULE_CTES.replace("{narrow_check}", "")
RULE_CTES_NARROW = _RULE_CTES.replace("{narrow_check}", f" AND c.item_id IN {_MEMBERS}")


@dataclass(frozen=True)
class WaveStatus:
    """One item in one wave, as the rule reads it."""

    item_id: int  # the canonical item (merged items count as it)
    wave_id: int
    check_id: int  # the check that decides
    status: str  # its status token, as observed
    reason: str | None  # the check's reason code (login-wall, http-404, ...)
    family: str  # live, gone, ended or unknown (unknown when the deciding check is blind)
    observed_at: str
    method: str
    blind: str | None  # why the check is blind (which canary read what), else None
    date_source: str | None


def wave_statuses(conn: sqlite3.Connection, *, as_of: str | None = None, wave_id: int | None = None,
                  items: Iterable[int] | None = None) -> list[WaveStatus]:
    """Every (item, wave) the waves checked, decided by the rule, ordered by item then wave id.
    `as_of` leaves out checks observed after it; `wave_id` and `items` narrow the answer."""
    clause, params = "", []
    if wave_id is not None:
        clause += " AND wave_id = ?"
        params.append(wave_id)
    sql = (f"WITH {RULE_CTES if items is None else RULE_CTES_NARROW} SELECT item_id, wave_id, check_id, status,"
           f" reason, family, observed_at, method, blind, date_source FROM wave_status WHERE 1 = 1{clause}"
           " ORDER BY item_id, wave_id")
    return [WaveStatus(**dict(row)) for row in run_rule_query(conn, sql, as_of, params, items)]


def run_rule_query(conn: sqlite3.Connection, sql: str, as_of: str | None, params: list[Any],
                   items: Iterable[int] | None = None) -> sqlite3.Cursor:
    """Run `sql` that embeds the rule's CTEs (which take :as_of, None for no cut, and :items for the
    narrowed ones) and binds its own values with ?, in order: every value is bound, as named parameters."""
    if conn.execute("SELECT 1 FROM canary_check LIMIT 1").fetchone() is None:
        # No canary was ever read: no check can be blind, and the per-check lookup is skipped.
        start, end = sql.find("/*blind*/"), sql.find("/*end*/")
        if start >= 0:
            sql = sql[:start] + "NULL" + sql[end + len("/*end*/"):]
    named: dict[str, Any] = {"as_of": as_of or FAR_FUTURE,
                             "items": orjson.dumps(sorted({int(i) for i in items})).decode() if items is not None else None}
    parts = sql.split("?")
    text = parts[0]
    for n, part in enumerate(parts[1:]):
        named[f"p{n}"] = params[n]
        text += f":p{n}" + part
    return conn.execute(text, named)


@dataclass(frozen=True)
class LatestStatus:
    """An item's latest status by the rule, and the raw latest observation beside it."""

    status: str | None
    reason: str | None  # the reason code beside the status (the check's, else the page's)
    family: str | None
    status_at: str | None
    wave_id: int | None  # the wave that decided; None when it came from a capture
    blind: str | None
    last_observed: str | None  # the latest observation's status, whatever it is (Wayback apart)
    last_observed_at: str | None


# Per item: the latest status by the rule and the raw latest observation. `item` is the canonical
# item; captures and checks of items merged into it count. Used by `latest_statuses` and embedded
# in the item listing (toolkit.store.queries) so both read one text.
_LATEST_CTES = """,
stated AS (
    SELECT coalesce(i.merged_into, i.id) AS item_id, c.id, c.status, c.observed_at,
           json_extract(c.fields, '$.status_reason') AS reason
    FROM capture c JOIN item i ON i.id = c.item_id WHERE c.status IS NOT NULL{narrow_capture}
),
latest_stated AS (
    -- The latest observation, not the latest import: an older saved copy scanned later must not
    -- hide a newer one.
    SELECT item_id, status, reason, observed_at, max(coalesce(observed_at, '') || printf('%015d', id)) AS pick
    FROM stated GROUP BY item_id
),
latest_seen AS (
    -- The raw latest observation: any check but Wayback's, blind or not, known or not.
    SELECT item_id, status, reason, observed_at, max(observed_at || printf('%015d', id)) AS pick
    FROM reading WHERE method != 'wayback' GROUP BY item_id
)"""
LATEST_CTES = RULE_CTES + _LATEST_CTES.replace("{narrow_capture}", "")
LATEST_CTES_NARROW = RULE_CTES_NARROW + _LATEST_CTES.replace("{narrow_capture}", f" AND c.item_id IN {_MEMBERS}")


def latest_statuses(conn: sqlite3.Connection, items: Iterable[int] | None = None) -> dict[int, LatestStatus]:
    """Per canonical item (those of `items`, or every item with a status or an observation), its
    latest status by the rule and its raw last observation. An item a wave read takes its latest
    wave's status; one no wave read takes its latest capture that states a status.

    The three per-item readings come from one query (each a GROUP BY, which SQLite plans well) and
    are put together here: joining them to the item table in SQL made SQLite scan them per item."""
    ctes = LATEST_CTES if items is None else LATEST_CTES_NARROW
    sql = (f"WITH {ctes} SELECT 'wave' AS part, item_id, status, family, observed_at, wave_id, blind, reason"
           " FROM latest_status"
           f" UNION ALL SELECT 'capture', item_id, status, {family_sql('status')}, observed_at, NULL, NULL, reason"
           " FROM latest_stated"
           " UNION ALL SELECT 'seen', item_id, status, NULL, observed_at, NULL, NULL, reason FROM latest_seen")
    parts: dict[str, dict[int, tuple]] = {"wave": {}, "capture": {}, "seen": {}}
    for part, item_id, status, family, observed_at, wave_id, blind, reason in run_rule_query(conn, sql, None, [], items):
        parts[part][item_id] = (status, family, observed_at, wave_id, blind, reason)
    wanted = set(parts["wave"]) | set(parts["capture"]) | set(parts["seen"]) if items is None else set(items)
    out = {}
    for item_id in wanted:
        wave, stated, seen = (parts[p].get(item_id) for p in ("wave", "capture", "seen"))
        chosen = wave or stated
        # The raw last observation: the latest check (Wayback apart) unless a capture is later.
        last = seen if seen is not None and (stated is None or stated[2] is None or seen[2] >= stated[2]) else stated
        out[item_id] = LatestStatus(
            status=chosen[0] if chosen else None, reason=chosen[5] if chosen else None,
            family=chosen[1] if chosen else None,
            status_at=chosen[2] if chosen else None, wave_id=wave[3] if wave else None,
            blind=wave[4] if wave else None, last_observed=last[0] if last else None,
            last_observed_at=last[2] if last else None)
    return out


def date_source_sql(column: str, observed: str, imported: str) -> str:
    """The date source of a capture: as recorded, else (a row from before date sources were
    recorded) `import_time` when its date is its source file's import time, else NULL."""
    return (f"coalesce({column}, CASE WHEN {observed} IS NOT NULL AND {observed} = {imported}"
            f" THEN '{DateSource.IMPORT_TIME}' END)")


def last_seen_live(conn: sqlite3.Connection) -> dict[int, str]:
    """Per canonical item, the latest time a check (Wayback included, blind ones not) or a capture
    saw it live."""
    rows = run_rule_query(conn, f"""WITH {RULE_CTES} SELECT item_id, max(observed_at) AS at FROM (
               SELECT item_id, observed_at FROM judged WHERE family = 'live'
               UNION ALL
               SELECT coalesce(i.merged_into, i.id), c.observed_at FROM capture c JOIN item i ON i.id = c.item_id
               WHERE {family_sql('c.status')} = 'live' AND c.observed_at IS NOT NULL)
           GROUP BY item_id""", None, [])
    return {row["item_id"]: row["at"] for row in rows}


def wave_readings(conn: sqlite3.Connection, wave_id: int, *, wayback: bool = False) -> list[dict[str, Any]]:
    """Each item of the wave as the rule reads it (platform, kind, status, reason, blind), ordered by
    item. With `wayback`, the wave's Wayback lookups instead (the latest per item): what the archived
    copies showed, which the rule never uses for the wave."""
    if wayback:
        sql = f"""WITH {RULE_CTES} SELECT i.platform, i.kind, r.status, r.reason, NULL AS blind FROM (
                      SELECT item_id, status, reason, max(observed_at || printf('%015d', id)) AS pick
                      FROM reading WHERE wave_id = ? AND method = 'wayback' GROUP BY item_id) r
                  JOIN item i ON i.id = r.item_id ORDER BY r.item_id"""
    else:
        sql = f"""WITH {RULE_CTES} SELECT i.platform, i.kind, ws.status, ws.reason, ws.blind
                  FROM wave_status ws JOIN item i ON i.id = ws.item_id WHERE ws.wave_id = ? ORDER BY ws.item_id"""
    return [dict(row) for row in run_rule_query(conn, sql, None, [wave_id])]


def check_judgements(conn: sqlite3.Connection, items: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Per check of `items` (ids as stored, merged ones included): its family under the rule and
    why it is blind (None when it is not)."""
    sql = f"WITH {RULE_CTES_NARROW} SELECT id, family, blind FROM judged"
    return {row["id"]: (row["family"], row["blind"]) for row in run_rule_query(conn, sql, None, [], items)}
