"""The `evidence` table: which files under evidence/ the case kept, and what refers to them."""

from __future__ import annotations

from toolkit.store.db import Connection


def record(conn: Connection, sha256: str, stored_sha256: str, stored_size: int, stored_at: str) -> None:
    """Record a kept file (its content's sha256, its stored bytes' sha256 and size); a file
    recorded before keeps its first row. Inside the caller's transaction."""
    conn.execute("INSERT OR IGNORE INTO evidence (sha256, stored_sha256, stored_size, stored_at) VALUES (?, ?, ?, ?)",
                 (sha256, stored_sha256, stored_size, stored_at))


def is_recorded(conn: Connection, sha256: str) -> bool:
    """Whether the committed (or this transaction's) evidence table holds content `sha256`."""
    return conn.execute("SELECT 1 FROM evidence WHERE sha256 = ?", (sha256,)).fetchone() is not None


def stored_hashes(conn: Connection) -> dict[str, str]:
    """Every kept file: its content's sha256 -> the sha256 of its stored (compressed) bytes."""
    return {r[0]: r[1] for r in conn.execute("SELECT sha256, stored_sha256 FROM evidence")}


def referenced(conn: Connection) -> set[str]:
    """Every evidence sha256 a row refers to: sources, checks and attachments."""
    rows = conn.execute(
        "SELECT evidence FROM source WHERE evidence IS NOT NULL"
        ' UNION SELECT evidence_sha256 FROM "check" WHERE evidence_sha256 IS NOT NULL'
        " UNION SELECT sha256 FROM attachment"
    )
    return {r[0] for r in rows}
