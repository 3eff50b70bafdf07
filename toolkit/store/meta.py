"""The `meta` table: facts about the case itself (when and by which toolkit it was made)."""

from __future__ import annotations

from toolkit.store.db import Connection


def record_creation(conn: Connection, created_at: str, created_by: str) -> None:
    """Record when and by what the case was made; a case that has them keeps its first."""
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('created_at', ?), ('created_by', ?)",
                 (created_at, created_by))
