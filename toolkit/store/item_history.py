"""Everything known about one item, as events in time order (for `toolkit show`).

All SQL with bound parameters only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from toolkit.store.aliases import members
from toolkit.store.status import check_judgements, date_source_sql, first_seen

# Within the same moment, events sort in workflow order.
EVENT_ORDER = {"capture": 0, "conflict": 1, "hit": 2, "indicator": 3, "score": 4, "review": 5, "notice": 6, "check": 7}


def item_record(conn: sqlite3.Connection, item_id: int) -> dict[str, Any]:
    """The item row with its parent's URL and name."""
    row = conn.execute(
        "SELECT i.id, i.platform, i.kind, i.key, i.url, i.name, i.parent_id AS parent, p.url AS parent_url,"
        " p.name AS parent_name, i.first_seen, i.last_seen, i.added_at"
        " FROM item i LEFT JOIN item p ON p.id = i.parent_id WHERE i.id = ?",
        (item_id,),
    ).fetchone()
    # First seen by the one rule (status.first_seen_sql: never a date of import), not the item
    # row's span, which widens with every capture's date.
    return {**dict(row), "first_seen": first_seen(conn, item_id)}


def item_events(conn: sqlite3.Connection, item_id: int) -> list[dict[str, Any]]:
    """Captures (with their source file), hits, indicators, scores, reviews, notices and checks of an
    item, each as {"at", "event", "id", ...fields}, ordered by time, then workflow order, then id.

    Hits and indicators carry their capture's time; notices their `noticed_at`. Items merged into
    this one through an alias (toolkit.store.aliases) are part of its history.
    """
    events: list[dict[str, Any]] = []
    ids = members(conn, item_id)
    marks = ",".join("?" * len(ids))

    def add(event: str, sql: str, at: str = "at") -> None:
        for row in conn.execute(sql.replace("= ?", f"IN ({marks})"), ids):
            record = dict(row)
            events.append({"at": record.pop(at), "event": event, **record})

    add("capture", "SELECT c.observed_at AS at, c.id, c.status, c.name, c.text, c.url, c.followers, c.members, c.likes,"
                   " c.created_at, c.country, c.status_marker, json_extract(c.fields, '$.status_reason') AS reason,"
                   " c.detector, s.path AS source, s.format AS source_format,"
                   f" {date_source_sql('c.date_source', 'c.observed_at', 's.imported_at')} AS date_source"
                   " FROM capture c LEFT JOIN source s ON s.id = c.source_id WHERE c.item_id = ?")
    add("hit", "SELECT c.observed_at AS at, h.id, h.capture_id, h.lexicon, h.term, h.category, h.language, h.field,"
               " h.start, h.end, h.matched, h.weight FROM hit h JOIN capture c ON c.id = h.capture_id WHERE h.item_id = ?")
    add("indicator", "SELECT c.observed_at AS at, x.id, x.capture_id, x.type, x.value, x.matched, x.field, x.extractor"
                     " FROM indicator x JOIN capture c ON c.id = x.capture_id WHERE x.item_id = ?")
    add("score", "SELECT scored_at AS at, id, capture_id, score, category, lexicons, explanation FROM score WHERE item_id = ?")
    add("review", "SELECT reviewed_at AS at, id, verdict, category, reviewer, note, origin FROM review WHERE item_id = ?")
    add("notice", "SELECT n.noticed_at AS at, n.id, n.channel, n.reference, n.noticed_by, n.note, n.recorded_at,"
                  " v.voided_at, v.why AS voided_why, v.voided_by FROM notice n LEFT JOIN notice_void v ON v.notice_id = n.id"
                  " WHERE n.item_id = ?")
    add("check", 'SELECT k.observed_at AS at, k.id, w.name AS wave, k.method, k.status, k.reason, k.detector, k.http_status,'
                 ' k.final_url, k.evidence_sha256, k.marker, k.place, k.note, k.date_source'
                 ' FROM "check" k LEFT JOIN wave w ON w.id = k.wave_id WHERE k.item_id = ?')
    judged = check_judgements(conn, ids)
    for event in events:
        if event["event"] == "check":
            event["family"], event["blind"] = judged.get(event["id"], (None, None))
    # Identity claims refused for this item or against it (toolkit.store.aliases): kept apart, shown here.
    for row in conn.execute(
            "SELECT c.added_at AS at, c.id, c.key, c.item_id, i.key AS item_key, c.other_id, o.key AS other_key,"
            f" c.reason, s.path AS source FROM identity_conflict c JOIN item i ON i.id = c.item_id"
            f" JOIN item o ON o.id = c.other_id LEFT JOIN source s ON s.id = c.source_id"
            f" WHERE c.item_id IN ({marks}) OR c.other_id IN ({marks})", (*ids, *ids)):
        record = dict(row)
        events.append({"at": record.pop("at"), "event": "conflict", **record})
    # Rows without a time (a capture from a file that gave none) come first: they are the oldest we know of.
    events.sort(key=lambda e: (e["at"] or "", EVENT_ORDER[e["event"]], e["id"]))
    return events
