"""The one status rule: an item's status in a wave, and its latest status. Every command reads it here.

`STATUS_RULE` says it in words (the report's methodology and docs/recheck.md print this text).
In code it is three steps over the checks, read as numpy columns (toolkit.store.column_reads) so that a
case of 100,000 items and half a million checks is read in about a second:

- `judge`: every check with the family of its status (`STATUS_FAMILY`, the one mapping), unknown
  when it is blind (the canary readings around it, same wave, method and platform, were not all
  live; see below); an item merged through an alias counts as its canonical item;
- `decide`: per item and wave, the check that decides: the latest with a known family (live, gone,
  ended), else the latest check (latest: by observed_at, then by id); Wayback checks are left out
  (they date archived copies, not the wave's look);
- `latest_statuses`: per item, its decided status in the latest wave that read it (waves in the
  order of their first observation, Wayback apart, else their start; then by id). An item no wave
  has read takes its latest capture with a status.

A blind check: a canary round is a set of canary readings of one platform taken together during a
wave (`canary_check`, placed among the checks by `after_check`, the highest check id when it was
taken). A check lies in the stretch between two rounds of the same run; it is blind when either
round has a canary that did not read live. Its observed status stays as recorded. A run's last
stretch ends at the run's own last check (`check.run`): a canary that failed in one run never
blinds a later run. A run no check names (recorded before checks named their run, or one that
checked nothing) ends just before the next run that checks do name, else has no end, as before.
When runs overlap, the stretch that started last (then the later round, then the later run) holds
the check.

`as_of` cuts checks observed after it (the report's as-of). All SQL with bound parameters only.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import orjson

from toolkit.models import STATUS_FAMILY, DateSource, Family, Method
from toolkit.store.aliases import member_of
from toolkit.store.column_reads import CODE, DATE, INT, read_columns, text_key

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


WAYBACK = str(Method.WAYBACK)
_FAMILY = {str(status): str(family) for status, family in STATUS_FAMILY.items()}
NARROW = 1000  # up to this many items, their checks are looked up by item; beyond, every check is read

# Canary rounds and the stretches of checks between two rounds of one run, with why a stretch is
# blind (its first or last round had a canary that did not read live). A few rows per hundred checks.
# A run's last stretch has no next round (`hi` NULL): `_last_stretch_end` bounds it by the run's end.
STRETCH_SQL = f"""
WITH canary_round AS (
    SELECT wave_id, method, platform, run, round, min(after_check) AS after_check,
           max({family_sql('status')} != 'live') AS failed,
           group_concat(CASE WHEN {family_sql('status')} != 'live' THEN
               platform || ' canary ' || url || ' read ' || status || coalesce(' (' || reason || ')', '')
               || ' at ' || observed_at END, '; ') AS why
    FROM canary_check GROUP BY wave_id, method, platform, run, round
)
SELECT wave_id, method, platform, run, round, after_check AS lo,
       lead(after_check) OVER w AS hi,
       CASE WHEN failed THEN why WHEN lead(failed) OVER w THEN lead(why) OVER w END AS blind
FROM canary_round
WINDOW w AS (PARTITION BY wave_id, method, platform, run ORDER BY after_check, round)
"""

# The canonical items in the JSON list :items and the items merged into them.
_MEMBERS = ("(SELECT value FROM json_each(:items) UNION ALL SELECT m.id FROM item m"
            " WHERE m.merged_into IN (SELECT value FROM json_each(:items)))")


@dataclass
class Judged:
    """Checks as columns (numpy arrays, one row per check, in no particular order), with what the
    rule makes of each: its family (unknown when blind) and why it is blind (None when it is not)."""

    id: Any
    item_id: Any  # the canonical item (an item merged through an alias counts as it)
    checked_item: Any  # the item the check was recorded for
    wave_id: Any  # 0 for a check of no wave
    observed_at: Any
    method: Any
    status: Any
    reason: Any
    date_source: Any
    detector: Any  # None unless asked for
    platform: Any  # the checked item's platform
    family: Any
    blind: Any
    observed_key: Any = None  # observed_at as an array that sorts fast (toolkit.store.column_reads.text_key)

    def __len__(self) -> int:
        return len(self.id)

    def take(self, index: Any) -> Judged:
        """The checks at `index` (a numpy index or mask), in that order."""
        return Judged(**{f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[index]
                         for f in fields(self)})

    def keep(self, index: Any) -> None:
        """Keep only the checks at `index`, in place, one column at a time: each whole column is let
        go as its copy is made (`take` holds every column twice until it returns: ~45 MB at 500,000
        checks)."""
        for f in fields(self):
            values = getattr(self, f.name)
            if values is not None:
                setattr(self, f.name, None)
                setattr(self, f.name, values[index])
            del values


def judge(conn: sqlite3.Connection, *, as_of: str | None = None, items: Iterable[int] | None = None,
          wave_id: int | None = None, detector: bool = False) -> Judged:
    """Every check observed up to `as_of` (of the canonical `items` and the items merged into them,
    of one wave, when given), with its family under the rule and why it is blind."""
    import numpy as np

    wanted = None if items is None else sorted({int(i) for i in items})
    where, params = ["c.observed_at <= :as_of"], {"as_of": as_of or FAR_FUTURE}
    if wave_id is not None:
        where.append("c.wave_id = :wave")
        params["wave"] = wave_id
    narrow = wanted is not None and len(wanted) <= NARROW
    if narrow:
        where.append(f"c.item_id IN {_MEMBERS}")
        params["items"] = orjson.dumps(wanted).decode()
    kinds = {"id": INT, "item_id": INT, "wave_id": INT, "observed_at": DATE, "method": CODE, "status": CODE,
             "reason": CODE, "date_source": CODE, **({"detector": CODE} if detector else {})}
    sql = f'SELECT {", ".join(f"c.{name}" for name in kinds)} FROM "check" c WHERE {" AND ".join(where)}'
    checks = read_columns(conn, sql, params, kinds)
    root, platform = _items_of(conn, checks["item_id"])
    judged = Judged(id=checks["id"], item_id=root, checked_item=checks["item_id"], wave_id=checks["wave_id"],
                    observed_at=checks["observed_at"], method=checks["method"], status=checks["status"],
                    reason=checks["reason"], date_source=checks["date_source"], detector=checks.get("detector"),
                    platform=platform, family=None, blind=None)
    del checks, root, platform  # the columns live in `judged` only, so `keep` can let each go
    if wanted is not None and not narrow:
        judged.keep(np.isin(judged.checked_item, wanted) | np.isin(judged.item_id, wanted))
    families = {status: _FAMILY.get(status, str(Family.UNKNOWN)) for status in set(judged.status.tolist())}
    judged.family = np.empty(len(judged), dtype=object)
    judged.family[:] = [families[status] for status in judged.status.tolist()]
    judged.blind = _blind(conn, judged)
    judged.family[judged.blind != None] = str(Family.UNKNOWN)  # noqa: E711 (elementwise, on an object array)
    judged.observed_key = text_key(judged.observed_at)
    return judged


def _items_of(conn: sqlite3.Connection, checked: Any) -> tuple[Any, Any]:
    """The canonical item and the platform of each item id in `checked`."""
    import numpy as np

    ids = np.unique(checked)
    if len(ids) <= NARROW:
        sql = ("SELECT id, coalesce(merged_into, id) AS root, platform FROM item"
               " WHERE id IN (SELECT value FROM json_each(:ids))")
        params = {"ids": orjson.dumps(ids.tolist()).decode()}
    else:
        sql, params = "SELECT id, coalesce(merged_into, id) AS root, platform FROM item", {}
    found = read_columns(conn, sql, params, {"id": INT, "root": INT, "platform": CODE})
    order = np.argsort(found["id"], kind="stable")
    known, at = found["id"][order], np.searchsorted(found["id"][order], checked)
    if len(checked) and (at.max() >= len(known) or (known[at] != checked).any()):
        raise sqlite3.IntegrityError("a check names an item that is not in the case")
    return found["root"][order][at], found["platform"][order][at]


def _blind(conn: sqlite3.Connection, judged: Judged) -> Any:
    """Why each check is blind (the failed canary readings of its stretch), None when it is not."""
    import numpy as np

    blind = np.full(len(judged), None, dtype=object)
    if not len(judged) or conn.execute("SELECT 1 FROM canary_check LIMIT 1").fetchone() is None:
        return blind
    ends = _run_ends(conn)
    starts = sorted(first for first, _ in ends.values())
    stretches: dict[tuple[int, str, str], list[tuple]] = {}
    for row in conn.execute(STRETCH_SQL):
        hi = row[6] if row[6] is not None else _last_stretch_end(row[3], row[5], ends, starts)
        stretches.setdefault((row[0], row[1], row[2]), []).append((row[5], row[4], row[3], hi, row[7]))
    # One integer per check for its (wave, method, platform), to find each group's checks at once.
    methods, platforms = judged.method.tolist(), judged.platform.tolist()
    codes = {value: n for n, value in enumerate(set(methods) | set(platforms))}
    width = len(codes)
    key = (judged.wave_id * width + np.fromiter(map(codes.__getitem__, methods), np.int64, len(judged))) * width \
        + np.fromiter(map(codes.__getitem__, platforms), np.int64, len(judged))
    for (wave, method, platform), rows in stretches.items():
        if method not in codes or platform not in codes:
            continue
        at = np.flatnonzero(key == (wave * width + codes[method]) * width + codes[platform])
        if not len(at):
            continue
        rows.sort(key=lambda r: (r[0], r[1], r[2]))  # lo, round, run: the last one started last
        lo = np.array([r[0] for r in rows], dtype=np.int64)
        hi = np.array([r[3] for r in rows], dtype=float)
        reach = np.maximum.accumulate(hi)  # the furthest any stretch up to this one reaches
        ids = judged.id[at]
        pick = np.searchsorted(lo, ids, side="left") - 1  # the stretch that started last before the check
        holds = (pick >= 0) & (ids <= hi[np.maximum(pick, 0)])
        # An earlier stretch may hold a check its pick does not: where runs overlap, or where one run's
        # closing round and the next run's opening round stand at the same check. Only where an
        # earlier stretch reaches that far is it looked for.
        for n in np.flatnonzero((pick >= 0) & ~holds & (ids <= reach[np.maximum(pick, 0)])):
            k = pick[n] - 1
            while k >= 0 and not ids[n] <= hi[k]:
                k -= 1
            pick[n], holds[n] = k, k >= 0
        why = np.array([r[4] for r in rows], dtype=object)
        blind[at[holds]] = why[pick[holds]]
    return blind


# Each run its checks record (`check.run`), with its first and last check. Checks recorded before
# they named their run (schema V_CHECK_RUN) have none. A GROUP BY would read every entry of the
# index (0.3 s at half a million checks); stepping from one run to the next and taking each one's
# first and last check id are index seeks (the rowid ends each entry of `check_run`): a few per run.
RUN_SQL = """
WITH RECURSIVE named(run) AS (
    SELECT min(run) FROM "check" WHERE run IS NOT NULL
    UNION ALL SELECT (SELECT min(run) FROM "check" WHERE run > named.run) FROM named WHERE named.run IS NOT NULL
)
SELECT run, (SELECT min(id) FROM "check" WHERE run = named.run), (SELECT max(id) FROM "check" WHERE run = named.run)
FROM named WHERE run IS NOT NULL
"""


def _run_ends(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """Per run its checks record, its first and last check id."""
    return {run: (first, last) for run, first, last in conn.execute(RUN_SQL)}


def _last_stretch_end(run: str, lo: int, ends: dict[str, tuple[int, int]], starts: list[int]) -> float:
    """Where a run's last stretch (after its last round, at check id `lo`) ends: at the run's own last
    check. A run no check records (recorded before checks named their run, or one that checked
    nothing) ends just before the first check of a later run that does; with none, it has no end
    (infinity: the reading every run had before checks named their run)."""
    if run in ends:
        return float(ends[run][1])
    later = bisect_right(starts, lo)
    return float(starts[later] - 1) if later < len(starts) else float("inf")


def decide(judged: Judged) -> Any:
    """Indices into `judged` of the checks that decide: one per (item, wave) the waves checked,
    ordered by item then wave id. Wayback checks are left out; of the others, the latest check with
    a known family decides, else the latest check (latest: by observed_at, then by id)."""
    import numpy as np

    at = np.flatnonzero((judged.wave_id != 0) & (judged.method != WAYBACK))
    family = judged.family[at]
    known = (family == KNOWN[0]) | (family == KNOWN[1]) | (family == KNOWN[2])
    order = at[np.lexsort((judged.id[at], judged.observed_key[at], known, judged.wave_id[at], judged.item_id[at]))]
    return order[_last_of_groups(judged.item_id[order], judged.wave_id[order])]


def _last_of_groups(*keys: Any) -> Any:
    """A mask of the last row of each run of equal keys (rows sorted by the keys)."""
    import numpy as np

    n = len(keys[0])
    last = np.ones(n, dtype=bool)
    if n:
        change = np.zeros(n - 1, dtype=bool)
        for key in keys:
            change |= key[1:] != key[:-1]
        last[:-1] = change
    return last


def _latest(judged: Judged, at: Any) -> Any:
    """Of the checks at `at`, the latest per item (by observed_at, then id), ordered by item."""
    import numpy as np

    order = at[np.lexsort((judged.id[at], judged.observed_key[at], judged.item_id[at]))]
    return order[_last_of_groups(judged.item_id[order])]


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
    judged = judge(conn, as_of=as_of, wave_id=wave_id, items=items)
    return _wave_status_rows(judged, decide(judged))


def _wave_status_rows(judged: Judged, at: Any) -> list[WaveStatus]:
    columns = (judged.item_id[at].tolist(), judged.wave_id[at].tolist(), judged.id[at].tolist(),
               judged.status[at].tolist(), judged.reason[at].tolist(), judged.family[at].tolist(),
               judged.observed_at[at].tolist(), judged.method[at].tolist(), judged.blind[at].tolist(),
               judged.date_source[at].tolist())
    return [WaveStatus(*row) for row in zip(*columns, strict=True)]


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


# A wave is dated by its first observation (Wayback apart), else by when it was started.
WAVE_DATES_SQL = f"""SELECT w.id, coalesce((SELECT min(c.observed_at) FROM "check" c
                                           WHERE c.wave_id = w.id AND c.method != '{WAYBACK}'), w.started_at)
                    FROM wave w"""

# Per canonical item, the latest capture that states a status: the latest observation, not the
# latest import (an older saved copy scanned later must not hide a newer one).
LATEST_STATED_SQL = """
SELECT item_id, status, reason, observed_at, max(coalesce(observed_at, '') || printf('%015d', id)) AS pick
FROM (SELECT coalesce(i.merged_into, i.id) AS item_id, c.id, c.status, c.observed_at,
             json_extract(c.fields, '$.status_reason') AS reason
      FROM capture c JOIN item i ON i.id = c.item_id WHERE c.status IS NOT NULL{narrow})
GROUP BY item_id"""


def latest_statuses(conn: sqlite3.Connection, items: Iterable[int] | None = None) -> dict[int, LatestStatus]:
    """Per canonical item (those of `items`, or every item with a status or an observation), its
    latest status by the rule and its raw last observation. An item a wave read takes its latest
    wave's status; one no wave read takes its latest capture that states a status."""
    import numpy as np

    wanted = None if items is None else sorted({int(i) for i in items})
    judged = judge(conn, items=wanted)
    decided = decide(judged)
    # The latest wave of each item: waves in the order of their date, then id.
    dated = sorted((row[1], row[0]) for row in conn.execute(WAVE_DATES_SQL))
    rank = np.zeros(max((w for _, w in dated), default=0) + 1, dtype=np.int64)
    rank[[w for _, w in dated]] = np.arange(1, len(dated) + 1)
    order = decided[np.lexsort((rank[judged.wave_id[decided]], judged.item_id[decided]))]
    latest_wave = order[_last_of_groups(judged.item_id[order])]
    seen = _latest(judged, np.flatnonzero(judged.method != WAYBACK))
    parts: dict[str, dict[int, tuple]] = {"wave": {}, "capture": {}, "seen": {}}
    for part, at in (("wave", latest_wave), ("seen", seen)):
        columns = (judged.item_id[at].tolist(), judged.status[at].tolist(), judged.family[at].tolist(),
                   judged.observed_at[at].tolist(), judged.wave_id[at].tolist(), judged.blind[at].tolist(),
                   judged.reason[at].tolist())
        parts[part] = {row[0]: row[1:] for row in zip(*columns, strict=True)}
    narrow = "" if wanted is None else f" AND c.item_id IN {_MEMBERS}"
    params = {} if wanted is None else {"items": orjson.dumps(wanted).decode()}
    for item_id, status, reason, observed_at, _ in conn.execute(LATEST_STATED_SQL.format(narrow=narrow), params):
        parts["capture"][item_id] = (status, _FAMILY.get(status, str(Family.UNKNOWN)), observed_at, None, None, reason)
    chosen_ids = set(parts["wave"]) | set(parts["capture"]) | set(parts["seen"]) if wanted is None else set(wanted)
    out = {}
    for item_id in chosen_ids:
        wave, stated, last_seen = (parts[p].get(item_id) for p in ("wave", "capture", "seen"))
        chosen = wave or stated
        # The raw last observation: the latest check (Wayback apart) unless a capture is later.
        last = last_seen if last_seen is not None and (stated is None or stated[2] is None
                                                       or last_seen[2] >= stated[2]) else stated
        out[item_id] = LatestStatus(
            status=chosen[0] if chosen else None, reason=chosen[5] if chosen else None,
            family=chosen[1] if chosen else None,
            status_at=chosen[2] if chosen else None, wave_id=wave[3] if wave else None,
            blind=wave[4] if wave else None, last_observed=last[0] if last else None,
            last_observed_at=last[2] if last else None)
    return out


def first_seen_sql(capture: str = "cp", source: str = "so") -> str:
    """An aggregate over captures (`capture`, joined LEFT to its `source`): when the item was first
    seen, from the captures whose date was read, given or clocked. A capture dated by its import (a
    URL list, an export without dates) says when the researcher scanned, not when the item was seen:
    it never counts, so an item seen only so has no first-seen date. The one rule for the report's
    first capture, `items`, `show` and flag's date check."""
    dated = date_source_sql(f"{capture}.date_source", f"{capture}.observed_at", f"{source}.imported_at")
    return f"min(CASE WHEN {dated} IS NOT '{DateSource.IMPORT_TIME}' THEN {capture}.observed_at END)"


def first_seen(conn: sqlite3.Connection, item_id: int) -> str | None:
    """When the item (or an item merged into it) was first seen, by `first_seen_sql`, or None."""
    row = conn.execute(
        f"SELECT {first_seen_sql()} FROM capture cp LEFT JOIN source so ON so.id = cp.source_id"
        f" WHERE {member_of('cp.item_id', ':item')}", {"item": item_id},
    ).fetchone()
    return row[0]


def date_source_sql(column: str, observed: str, imported: str) -> str:
    """The date source of a capture: as recorded, else (a row from before date sources were
    recorded) `import_time` when its date is its source file's import time, else NULL."""
    return (f"coalesce({column}, CASE WHEN {observed} IS NOT NULL AND {observed} = {imported}"
            f" THEN '{DateSource.IMPORT_TIME}' END)")


def last_seen_live(conn: sqlite3.Connection) -> dict[int, str]:
    """Per canonical item, the latest time a check (Wayback included, blind ones not) or a capture
    saw it live."""
    import numpy as np

    judged = judge(conn)
    live = _latest(judged, np.flatnonzero(judged.family == str(Family.LIVE)))
    seen = dict(zip(judged.item_id[live].tolist(), judged.observed_at[live].tolist(), strict=True))
    for item_id, at in conn.execute(
            f"""SELECT coalesce(i.merged_into, i.id), max(c.observed_at) FROM capture c JOIN item i ON i.id = c.item_id
                WHERE {family_sql('c.status')} = '{Family.LIVE}' AND c.observed_at IS NOT NULL
                GROUP BY coalesce(i.merged_into, i.id)"""):
        seen[item_id] = max(seen.get(item_id, at), at)
    return seen


def wave_readings(conn: sqlite3.Connection, wave_id: int, *, wayback: bool = False) -> list[dict[str, Any]]:
    """Each item of the wave as the rule reads it (platform, kind, status, reason, blind), ordered by
    item. With `wayback`, the wave's Wayback lookups instead (the latest per item): what the archived
    copies showed, which the rule never uses for the wave."""
    import numpy as np

    judged = judge(conn, wave_id=wave_id)
    at = _latest(judged, np.flatnonzero(judged.method == WAYBACK)) if wayback else decide(judged)
    ids = judged.item_id[at].tolist()
    kinds = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT id, platform, kind FROM item WHERE id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(sorted(set(ids))).decode(),))}
    blind = [None] * len(ids) if wayback else judged.blind[at].tolist()
    return [{"platform": kinds[item][0], "kind": kinds[item][1], "status": status, "reason": reason, "blind": why}
            for item, status, reason, why in zip(ids, judged.status[at].tolist(), judged.reason[at].tolist(), blind,
                                                 strict=True)]


def check_judgements(conn: sqlite3.Connection, items: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Per check of `items` (ids as stored, merged ones included): its family under the rule and
    why it is blind (None when it is not)."""
    judged = judge(conn, items=items)
    return dict(zip(judged.id.tolist(), zip(judged.family.tolist(), judged.blind.tolist(), strict=True), strict=True))
