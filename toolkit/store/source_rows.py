"""The `source` table: one row per imported file (its bytes' sha256, format, counts, evidence)."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from toolkit.store.db import Connection


def find_by_sha256(conn: Connection, sha256: str) -> tuple[int, str] | None:
    """(id, path) of the source with these bytes, or None."""
    row = conn.execute("SELECT id, path FROM source WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else (row[0], row[1])


def start(conn: Connection, *, sha256: str, size: int, format: str, importer: str, path: str,
          imported_at: str) -> int:
    """Insert a source row with zero counts (filled in by `finish`); return its id."""
    cursor = conn.execute(
        "INSERT INTO source (sha256, size, format, importer, path, imported_at, records_read, records_mapped,"
        " records_failed, items_new, items_seen, captures) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0)",
        (sha256, size, format, importer, path, imported_at),
    )
    return cursor.lastrowid


def finish(conn: Connection, source_id: int, *, collected_at: str | None, read: int, mapped: int, failed: int,
           items_new: int, items_seen: int, captures: int, failures: dict[str, dict], notes: list[str],
           evidence: str | None) -> None:
    """Record what the import of `source_id` read, mapped and stored, and its evidence copy."""
    conn.execute(
        "UPDATE source SET collected_at = ?, records_read = ?, records_mapped = ?, records_failed = ?,"
        " items_new = ?, items_seen = ?, captures = ?, failures = ?, notes = ?, evidence = ? WHERE id = ?",
        (collected_at, read, mapped, failed, items_new, items_seen, captures,
         orjson.dumps(failures).decode(), orjson.dumps(notes).decode(), evidence, source_id),
    )


def set_evidence_if_missing(conn: Connection, source_id: int, sha256: str) -> None:
    """Point a source without an evidence copy at `sha256` (a capture keeps the page it loaded)."""
    conn.execute("UPDATE source SET evidence = ? WHERE id = ? AND evidence IS NULL", (sha256, source_id))


def all_files(conn: Connection) -> Iterator[tuple[int, str, str]]:
    """(id, path, sha256) of every source, in id order."""
    for row in conn.execute("SELECT id, path, sha256 FROM source ORDER BY id"):
        yield row[0], row[1], row[2]


def of_items(conn: Connection, item_ids: list[int]) -> list[int]:
    """The sources that hold a capture of any of `item_ids` (a non-empty list)."""
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT source_id FROM capture WHERE item_id IN ({','.join('?' * len(item_ids))})"
        " AND source_id IS NOT NULL", item_ids)]


def of_capture(conn: Connection, capture_id: int):
    """The row (sha256, path) of the source a capture was read from, or None."""
    return conn.execute("SELECT s.sha256, s.path FROM capture c JOIN source s ON s.id = c.source_id"
                        " WHERE c.id = ?", (capture_id,)).fetchone()


def first_capture_in(conn: Connection, source_id: int, item_id: int):
    """The first capture this source holds of `item_id` (or an item merged into it): a row of
    observed_at, date_source and the source's sha256 and path; None when it holds none."""
    return conn.execute("SELECT c.observed_at, c.date_source, s.sha256, s.path FROM capture c"
                        " JOIN source s ON s.id = c.source_id"
                        " JOIN item i ON i.id = c.item_id WHERE c.source_id = ? AND coalesce(i.merged_into, i.id) = ?"
                        " ORDER BY c.id LIMIT 1", (source_id, item_id)).fetchone()
