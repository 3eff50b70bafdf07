"""Read queries for `toolkit report`: the cohort, its checks, audience, indicators and provenance.

The cohort is every item whose latest review (by reviewed_at, then id) says `violating`, kept in
temporary tables of the connection while a report is computed (`prepare_cohort`). Notices,
waves and checks are cut at `as_of` by their own dates, so a report can be reproduced as of a past
moment; sources, items and reviews are not (their times are when the researcher did the work,
not when things happened on the platform). All SQL with bound parameters only; every result is
ordered so the report is deterministic.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from toolkit.store.checks import WAVE_METHODS_SQL
from toolkit.store.column_reads import INT, TEXT, read_columns
from toolkit.store.notices import first_notice
from toolkit.store.status import Judged, date_source_sql, first_seen_sql, judge
from toolkit.store.tags import MODEL_MADE, SCORE_MODEL
from toolkit.store.verdicts import latest_review_with

# The cohort and its members, as temporary tables of the report's connection (built once per
# report by `prepare_cohort`, read by every cohort query below): an item's latest review (the one
# rule of toolkit.store.verdicts; every item's is kept in `latest_review`) decides whether it is in
# the cohort, and items merged into another through an alias (toolkit.store.aliases) count as that one:
# `member` maps every item of a cohort item to that cohort item. Indexed, so that each query below
# joins them instead of recomputing them.
COHORT_TABLES = """
DROP TABLE IF EXISTS temp.member;
DROP TABLE IF EXISTS temp.cohort;
DROP TABLE IF EXISTS temp.latest_review;
CREATE TEMP TABLE latest_review (item_id INTEGER PRIMARY KEY, verdict TEXT, category TEXT, reviewer TEXT,
                                 reviewed_at TEXT);
INSERT INTO temp.latest_review (item_id, verdict, category, reviewer, reviewed_at)
    SELECT item_id, verdict, category, reviewer, reviewed_at
    FROM (""" + latest_review_with("v.verdict, v.category, v.reviewer, v.reviewed_at") + """);
CREATE TEMP TABLE cohort (item_id INTEGER PRIMARY KEY, category TEXT, reviewer TEXT, reviewed_at TEXT);
INSERT INTO temp.cohort (item_id, category, reviewer, reviewed_at)
    SELECT item_id, category, reviewer, reviewed_at FROM temp.latest_review WHERE verdict = 'violating';
CREATE TEMP TABLE member (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL);
INSERT INTO temp.member (id, item_id)
    SELECT i.id, c.item_id FROM item i JOIN temp.cohort c ON c.item_id = coalesce(i.merged_into, i.id);
CREATE INDEX temp.member_item ON member(item_id);
"""

# What the cohort items' query joins per item, each made into a temporary table keyed by the item
# (`_cohort_item_tables`): joined as subqueries, SQLite built an automatic index over each result
# (a sort of it) for the join; as tables keyed by item id, filled in item order by their GROUP BY
# over the member index, each join is a look-up (~0.15 CPU-s less at 100,000 items). Each holds
# one row per cohort item; the first notice depends on `as_of`.
COHORT_ITEM_TABLES = {
    # The first notice in force up to as_of (toolkit.store.notices.first_notice).
    "cohort_noticed": ("noticed_at, channel, reference", """
    SELECT f.item_id, n.noticed_at, n.channel, n.reference
    FROM (""" + first_notice("m.item_id", "notice_in_force n JOIN temp.member m ON m.id = n.item_id",
                             "n.noticed_at <= :as_of") + """) f JOIN notice n ON n.id = f.id"""),
    # The latest score: SQLite takes the bare columns of a max() aggregate from the row holding the
    # maximum. Grouped over the member index, the scores are looked up per member (no sort of them
    # all, as a ranking window made).
    "cohort_score": ("score, category, latest", """
    SELECT m.item_id, s.score, s.category, max(s.id) AS latest
    FROM temp.member m JOIN score s ON s.item_id = m.id GROUP BY m.item_id"""),
    # First seen: the earliest capture whose date was read, given or clocked, never one taken from
    # the import time (first_seen_any keeps those too, to count the items dated at import time only).
    # In the same pass over the captures, the latest text seen (a message's text, a post's caption,
    # a page's about): like the name, it says what the item is, so it is not cut at as_of (an export
    # may be dated at its import). "Latest" is `observed_at DESC, id DESC` (a capture with no time
    # below every dated one) as one key whose maximum is that capture: '0' for no time, else '1' and
    # the time, then char(1) (below every character of a time, so a time that is a prefix of a
    # longer one sorts first, as it does alone), then the id zero-padded; its id is the key's last
    # 20 characters, and its text is looked up by it (a second pass over the captures, a ranking
    # window sorting every text, took ~0.1 CPU-s more at 100,000 items).
    "cohort_seen": ("first_seen, first_seen_any, latest_text", """
    SELECT m.item_id, """ + first_seen_sql() + """ AS first_seen, min(cp.observed_at) AS first_seen_any,
           max(CASE WHEN cp.text IS NOT NULL THEN
               CASE WHEN cp.observed_at IS NULL THEN '0' ELSE '1' || cp.observed_at END
               || char(1) || printf('%020d', cp.id) END) AS latest_text
    FROM temp.member m JOIN capture cp ON cp.item_id = m.id LEFT JOIN source so ON so.id = cp.source_id
    GROUP BY m.item_id"""),
}

COHORT_ITEMS_SQL = """
SELECT i.id AS item_id, i.platform, i.kind, i.key, i.url, i.name, coalesce(pi.merged_into, i.parent_id) AS parent,
       fs.first_seen, fs.first_seen_any,
       coalesce(c.category, s.category) AS category, c.reviewed_at, s.score,
       n.noticed_at, n.channel, n.reference, pi.kind AS parent_kind,
       coalesce(rp.name, pi.name) AS parent_name, coalesce(rp.url, pi.url) AS parent_url, t.text
FROM temp.cohort c
JOIN item i ON i.id = c.item_id
LEFT JOIN item pi ON pi.id = i.parent_id
LEFT JOIN item rp ON rp.id = pi.merged_into
LEFT JOIN temp.cohort_noticed n ON n.item_id = i.id
LEFT JOIN temp.cohort_score s ON s.item_id = i.id
LEFT JOIN temp.cohort_seen fs ON fs.item_id = i.id
LEFT JOIN capture t ON t.id = CAST(substr(fs.latest_text, -20) AS INTEGER)
ORDER BY i.id
"""

LANGUAGE_SQL = """
SELECT m.item_id, h.language, count(*) AS hits
FROM hit h JOIN temp.member m ON m.id = h.item_id
WHERE h.language IS NOT NULL
GROUP BY m.item_id, h.language
ORDER BY m.item_id, hits DESC, h.language
"""

# A wave is dated by what it observed, not by when the command ran: a wave taken from pages
# saved on 2021-05-17 and imported today is the 2021-05-17 wave. Wayback checks date archived
# copies, not the wave, so they do not date it.
WAVES_SQL = f"""
SELECT wave_id, name, started_at, methods, note FROM (
    SELECT w.id AS wave_id, w.name, {WAVE_METHODS_SQL} AS methods, w.note,
           coalesce((SELECT min(ch.observed_at) FROM "check" ch
                     WHERE ch.wave_id = w.id AND ch.method != 'wayback'), w.started_at) AS started_at
    FROM wave w
)
WHERE started_at <= :as_of ORDER BY started_at, wave_id
"""

AUDIENCE_SQL = """
SELECT m.item_id, cp.observed_at, cp.followers, cp.members
FROM capture cp JOIN temp.member m ON m.id = cp.item_id
WHERE (cp.followers IS NOT NULL OR cp.members IS NOT NULL)
  AND cp.observed_at IS NOT NULL AND cp.observed_at <= :as_of
ORDER BY m.item_id, cp.observed_at, cp.id
"""

INDICATORS_SQL = """
SELECT DISTINCT m.item_id, ind.type, ind.value
FROM indicator ind JOIN temp.member m ON m.id = ind.item_id
WHERE ind.type IN ('phone', 'whatsapp', 'telegram', 'email')
ORDER BY m.item_id, ind.type, ind.value
"""

# What the text of captures showed for each indicator, so redaction can mask it where it appears.
MATCHED_SQL = """
SELECT DISTINCT ind.type, ind.value, ind.matched
FROM indicator ind JOIN temp.member m ON m.id = ind.item_id
WHERE ind.type IN ('phone', 'whatsapp', 'telegram', 'email') AND ind.matched IS NOT NULL
ORDER BY ind.type, ind.value, ind.matched
"""


def _rows(conn: sqlite3.Connection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params or {})]


def _tuples(conn: sqlite3.Connection, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows as plain tuples (lighter than sqlite3.Row or dicts over 100,000 rows)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(sql, params or {}).fetchall()
    return [d[0] for d in cursor.description], rows


def prepare_cohort(conn: sqlite3.Connection) -> None:
    """(Re)build the cohort and member tables of this connection from the case as it is now."""
    for statement in COHORT_TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


def _cohort_ready(conn: sqlite3.Connection) -> None:
    if conn.execute("SELECT 1 FROM temp.sqlite_master WHERE name = 'member'").fetchone() is None:
        prepare_cohort(conn)


def cohort_ids(conn: sqlite3.Connection) -> list[int]:
    """The cohort's (canonical) item ids, in order."""
    _cohort_ready(conn)
    return [row[0] for row in conn.execute("SELECT item_id FROM temp.cohort ORDER BY item_id")]


def cohort_items(conn: sqlite3.Connection, as_of: str) -> tuple[list[str], list[tuple]]:
    """Cohort items with identity, category (review, else score), first notice up to `as_of`:
    column names and rows, by item id."""
    _cohort_ready(conn)
    with _cohort_item_tables(conn, as_of):
        return _tuples(conn, COHORT_ITEMS_SQL)


@contextmanager
def _cohort_item_tables(conn: sqlite3.Connection, as_of: str) -> Iterator[None]:
    """`COHORT_ITEM_TABLES` made for the cohort as of `as_of` while the block runs (what
    `COHORT_ITEMS_SQL` joins), dropped after it."""
    try:
        for name, (columns, sql) in COHORT_ITEM_TABLES.items():
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
            conn.execute(f"CREATE TEMP TABLE {name} (item_id INTEGER PRIMARY KEY, {columns})")
            conn.execute(f"INSERT INTO temp.{name} {sql}", {"as_of": as_of} if ":as_of" in sql else {})
        yield
    finally:
        for name in COHORT_ITEM_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")


# What the report's frame reads of `COHORT_ITEMS_SQL` (its score apart: the category already says
# what the score suggested), by kind of column (`column_reads`).
COHORT_ITEM_KINDS = {"item_id": INT, "platform": TEXT, "kind": TEXT, "key": TEXT, "url": TEXT, "name": TEXT,
                     "parent": INT, "first_seen": TEXT, "first_seen_any": TEXT, "category": TEXT,
                     "reviewed_at": TEXT, "noticed_at": TEXT, "channel": TEXT, "reference": TEXT,
                     "parent_kind": TEXT, "parent_name": TEXT, "parent_url": TEXT, "text": TEXT}


def cohort_item_columns(conn: sqlite3.Connection, as_of: str) -> dict[str, Any]:
    """`cohort_items` (its score apart) column by column, as numpy arrays in item id order: ids
    as int64, `parent` as an object array of ids and None, texts as object arrays of str and None
    with equal texts one object. Read in one pass by `column_reads.read_columns`: no tuple per row
    and no object per repeated cell (half the memory of the rows, and less time)."""
    import numpy as np

    _cohort_ready(conn)
    with _cohort_item_tables(conn, as_of):
        columns = read_columns(conn, COHORT_ITEMS_SQL, {}, COHORT_ITEM_KINDS)
    # The order of a subquery's rows under an aggregate is SQLite's choice: put them in id order.
    order = np.argsort(columns["item_id"], kind="stable")
    if (order != np.arange(len(order))).any():
        columns = {name: values[order] for name, values in columns.items()}
    # A NULL parent reads 0 (no item has id 0: SQLite numbers rows from 1).
    parent = columns["parent"].astype(object)
    parent[columns["parent"] == 0] = None
    columns["parent"] = parent
    return columns


def cohort_languages(conn: sqlite3.Connection) -> tuple[list[str], list[tuple]]:
    """Per cohort item and language, the number of lexicon hits, most hits first: column names and rows."""
    _cohort_ready(conn)
    return _tuples(conn, LANGUAGE_SQL)


def waves(conn: sqlite3.Connection, as_of: str) -> list[dict[str, Any]]:
    """Waves started up to `as_of`, in date order."""
    return _rows(conn, WAVES_SQL, {"as_of": as_of})


def cohort_checks(conn: sqlite3.Connection, as_of: str, cohort: list[int] | None = None) -> Judged:
    """Every check of a cohort item observed up to `as_of`, judged by the status rule (family,
    blind; toolkit.store.status), with its detector. `cohort`: the cohort's ids (`cohort_ids`),
    when read already, e.g. by another connection (this one then needs no cohort table)."""
    return judge(conn, as_of=as_of, items=cohort_ids(conn) if cohort is None else cohort, detector=True)


def cohort_audience(conn: sqlite3.Connection, as_of: str) -> tuple[list[str], list[tuple]]:
    """Captures of cohort items that carry followers or members, up to `as_of`: column names and rows."""
    _cohort_ready(conn)
    return _tuples(conn, AUDIENCE_SQL, {"as_of": as_of})


def cohort_indicators(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Distinct contact points (phone, whatsapp, telegram, email) of cohort items."""
    _cohort_ready(conn)
    return _rows(conn, INDICATORS_SQL)


def cohort_matched(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """How each contact point of a cohort item was written where it was found."""
    _cohort_ready(conn)
    return _rows(conn, MATCHED_SQL)


# ---- provenance, for the methodology section and the reproducibility stamp -------------------

def sources(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every imported file, in import order."""
    return _rows(conn, """
        SELECT sha256, size, format, importer, path, imported_at, collected_at,
               records_read, records_mapped, records_failed
        FROM source ORDER BY imported_at, id""")


def items_by_platform_kind(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """How many items the scans found, per platform and kind (merged items count once)."""
    return _rows(conn, "SELECT platform, kind, count(*) AS items FROM item WHERE merged_into IS NULL"
                 " GROUP BY platform, kind ORDER BY platform, kind")


def lexicons(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Lexicons (name@version) that tagged captures, with their hit counts."""
    return _rows(conn, "SELECT lexicon, count(*) AS hits FROM hit GROUP BY lexicon ORDER BY lexicon")


def model_raised(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per offer model (name@version#digest): the captures and items a score of which was the
    model's points (toolkit/lexicon/model.py: its explanation names the model)."""
    return _rows(conn, f"SELECT {SCORE_MODEL} AS model, count(DISTINCT capture_id) AS captures,"
                 f" count(DISTINCT item_id) AS items FROM score WHERE {MODEL_MADE} GROUP BY 1 ORDER BY 1")


def score_lexicons(conn: sqlite3.Connection) -> list[str]:
    """The distinct lexicon sets (JSON lists) items were scored with."""
    return [row[0] for row in conn.execute("SELECT DISTINCT lexicons FROM score ORDER BY lexicons")]


def check_tally(conn: sqlite3.Connection, as_of: str) -> list[tuple]:
    """Checks up to `as_of` counted per wave, method, detector and date source, with the first and
    last observation of each: (wave_id, method, detector, date_source, n, first, last). The
    provenance counts of checks below are drawn from it: one pass over half a million checks,
    not one per count."""
    return conn.execute("""
        SELECT wave_id, method, detector, date_source, count(*), min(observed_at), max(observed_at)
        FROM "check" WHERE observed_at <= ? GROUP BY 1, 2, 3, 4""", (as_of,)).fetchall()


def _tally(conn: sqlite3.Connection, as_of: str, tally: list[tuple] | None) -> list[tuple]:
    """`tally` when the caller already read it, else `check_tally`'s rows now."""
    return check_tally(conn, as_of) if tally is None else tally


def _sum_by(tally: list[tuple], key: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for row in tally:
        out[key(row)] = out.get(key(row), 0) + row[4]
    return out


def detectors(conn: sqlite3.Connection, as_of: str, tally: list[tuple] | None = None) -> list[dict[str, Any]]:
    """Detectors (name@version) and methods behind the checks up to `as_of`, and captures' detectors
    (`tally`: `check_tally`'s rows, when already read)."""
    checks = _sum_by(_tally(conn, as_of, tally), lambda row: (row[2] or "", row[1]))
    rows = [{"origin": "check", "detector": detector, "method": method, "n": n}
            for (detector, method), n in checks.items()]
    rows += _rows(conn, "SELECT 'capture' AS origin, detector, '' AS method, count(*) AS n FROM capture"
                        " WHERE detector IS NOT NULL GROUP BY detector")
    return sorted(rows, key=lambda row: (row["origin"], row["detector"], row["method"]))


def review_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """Latest verdicts per item (counts), reviewers, and the span of review dates."""
    _cohort_ready(conn)  # the latest review of every item is kept with the cohort
    verdicts = _rows(conn, "SELECT verdict, count(*) AS items FROM temp.latest_review GROUP BY verdict ORDER BY verdict")
    row = conn.execute("SELECT count(*), count(DISTINCT reviewer), min(reviewed_at), max(reviewed_at) FROM review").fetchone()
    return {"verdicts": verdicts, "reviews": row[0], "reviewers": row[1], "first": row[2], "last": row[3]}


def notice_summary(conn: sqlite3.Connection, as_of: str) -> list[dict[str, Any]]:
    """Notices up to `as_of` per channel: how many, for how many items, first and last date."""
    return _rows(conn, """
        SELECT n.channel, count(*) AS notices, count(DISTINCT coalesce(i.merged_into, i.id)) AS items,
               min(n.noticed_at) AS first, max(n.noticed_at) AS last
        FROM notice_in_force n JOIN item i ON i.id = n.item_id
        WHERE n.noticed_at <= :as_of GROUP BY n.channel ORDER BY n.channel""", {"as_of": as_of})


def voided_notices(conn: sqlite3.Connection, as_of: str) -> list[dict[str, Any]]:
    """Notices up to `as_of` that were voided (recorded by mistake), with why; not counted anywhere.

    A void corrects the record, like a review, so it applies whenever it was recorded."""
    return _rows(conn, """
        SELECT n.id, n.item_id, n.noticed_at, n.channel, v.why
        FROM notice n JOIN notice_void v ON v.notice_id = n.id
        WHERE n.noticed_at <= :as_of ORDER BY n.noticed_at, n.id""", {"as_of": as_of})


def wave_checks(conn: sqlite3.Connection, as_of: str, tally: list[tuple] | None = None) -> list[dict[str, Any]]:
    """Per wave: checks up to `as_of` by method, and the first and last observation time, waves in
    the order they started (`tally`: `check_tally`'s rows, when already read)."""
    waves = {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, name, started_at FROM wave")}
    found: dict[tuple[int, str], list] = {}
    for wave_id, method, _, _, n, first, last in _tally(conn, as_of, tally):
        if wave_id not in waves:
            continue
        seen = found.setdefault((wave_id, method), [0, first, last])
        seen[0] += n
        seen[1], seen[2] = min(seen[1], first), max(seen[2], last)

    def order(key: tuple[int, str]) -> tuple:
        started = waves[key[0]][1]
        return (started is not None, started or "", key[0], key[1])  # SQLite sorts NULL first

    return [{"name": waves[wave_id][0], "method": method, "checks": n, "first": first, "last": last}
            for (wave_id, method), (n, first, last) in sorted(found.items(), key=lambda kv: order(kv[0]))]


def date_sources(conn: sqlite3.Connection, as_of: str, tally: list[tuple] | None = None) -> list[dict[str, Any]]:
    """How many captures and checks (up to `as_of`) took their date from each source; "not recorded"
    for rows made before date sources were kept (a capture dated at its file's import is import_time).
    `tally`: `check_tally`'s rows, when already read."""
    rows = _rows(conn, f"""
        SELECT 'capture' AS origin, coalesce({date_source_sql('c.date_source', 'c.observed_at', 's.imported_at')},
                                            'not recorded') AS source, count(*) AS n
        FROM capture c LEFT JOIN source s ON s.id = c.source_id GROUP BY 2""")
    checks = _sum_by(_tally(conn, as_of, tally), lambda row: row[3] or "not recorded")
    rows += [{"origin": "check", "source": source, "n": n} for source, n in checks.items()]
    return sorted(rows, key=lambda row: (row["origin"], row["source"]))


def unwaved_checks(conn: sqlite3.Connection, as_of: str, tally: list[tuple] | None = None) -> int:
    """Checks up to `as_of` that belong to no wave (`tally`: `check_tally`'s rows, when already read)."""
    return sum(row[4] for row in _tally(conn, as_of, tally) if row[0] is None)


TABLES = ("source", "item", "capture", "hit", "indicator", "score", "review", "notice", "notice_void", "wave", "check")


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table: a fingerprint of the case state the report was made from."""
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in TABLES}


def meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_meta_once(conn: sqlite3.Connection, key: str, value: str) -> str:
    """Store `value` under `key` unless one is already there; return the stored value."""
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))
    return meta_value(conn, key) or value


def latest_event(conn: sqlite3.Connection) -> str | None:
    """The latest moment the case records: check, notice, wave start, capture or verdict."""
    row = conn.execute("""
        SELECT max(t) FROM (
            SELECT max(observed_at) AS t FROM "check"
            UNION ALL SELECT max(noticed_at) FROM notice_in_force
            UNION ALL SELECT max(started_at) FROM wave
            UNION ALL SELECT max(observed_at) FROM capture
            UNION ALL SELECT max(reviewed_at) FROM review)""").fetchone()
    return row[0]
