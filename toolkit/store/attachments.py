"""The SQL of the browser: attachments (screenshots, MHTML snapshots) of sources and checks, what a
resumed capture skips, and the screenshots `show` and the report name. Append-only: nothing here
updates or deletes a row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

CAPTURE_FORMAT = "browser-capture"


@dataclass(frozen=True)
class Attachment:
    """A file kept beside a source or a check; the file is evidence/ under `sha256`."""

    role: str  # screenshot | mhtml
    sha256: str
    media_type: str
    size: int
    width: int | None = None
    height: int | None = None
    note: str | None = None


def insert_attachment(conn: sqlite3.Connection, attachment: Attachment, *, source_id: int | None = None,
                      check_id: int | None = None) -> int:
    """Record one attachment of a source or a check. Call inside the transaction that records its
    owner, so neither is ever kept without the other."""
    if (source_id is None) == (check_id is None):
        raise ValueError("an attachment belongs to exactly one source or one check")
    cursor = conn.execute(
        "INSERT INTO attachment (source_id, check_id, role, sha256, media_type, size, width, height, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (source_id, check_id, attachment.role, attachment.sha256, attachment.media_type, attachment.size,
         attachment.width, attachment.height, attachment.note))
    return int(cursor.lastrowid)


def captured_urls(conn: sqlite3.Connection) -> dict[str, str | None]:
    """URL asked for -> status of its latest browser capture (the main item's), for every URL
    captured before (a resumed `toolkit capture` skips those whose status has a known family)."""
    rows = conn.execute(
        """SELECT s.path AS url, (SELECT c.status FROM capture c WHERE c.source_id = s.id ORDER BY c.id LIMIT 1) AS status
           FROM source s WHERE s.format = ? ORDER BY s.id""", (CAPTURE_FORMAT,))
    return {row["url"]: row["status"] for row in rows}




def source_attachments(conn: sqlite3.Connection, source_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM attachment WHERE source_id = ? ORDER BY id", (source_id,))
    return [dict(row) for row in rows]


def check_attachments(conn: sqlite3.Connection, check_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """check id -> its attachments, for these checks."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(check_ids), 500):
        chunk = check_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT * FROM attachment WHERE check_id IN ({marks}) ORDER BY id", chunk):
            found.setdefault(row["check_id"], []).append(dict(row))
    return found


def capture_attachments(conn: sqlite3.Connection, capture_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """capture id -> the attachments of the source it came from (a browser capture's files)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(capture_ids), 500):
        chunk = capture_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT c.id AS capture_id, a.* FROM capture c JOIN attachment a ON a.source_id = c.source_id"
                            f" WHERE c.id IN ({marks}) ORDER BY a.id", chunk)
        for row in rows:
            record = dict(row)
            found.setdefault(record.pop("capture_id"), []).append(record)
    return found


def last_screenshots(conn: sqlite3.Connection, item_ids: list[int], as_of: str) -> dict[int, dict[str, Any]]:
    """item id -> the screenshot of its latest check (up to `as_of`) that kept one, with that
    check's wave, time, method and status."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"""SELECT k.item_id, k.id AS check_id, k.observed_at, k.method, k.status, w.name AS wave,
                       a.sha256, a.width, a.height, a.note
                FROM "check" k JOIN attachment a ON a.check_id = k.id AND a.role = 'screenshot'
                LEFT JOIN wave w ON w.id = k.wave_id
                WHERE k.item_id IN ({marks}) AND k.observed_at <= ?
                ORDER BY k.observed_at, k.id""", (*chunk, as_of))
        found.update((row["item_id"], dict(row)) for row in rows)
    return found
