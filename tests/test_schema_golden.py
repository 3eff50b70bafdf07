"""The case database's schema as text, against tests/golden/schema.sql.

A change to the schema (a new migration, an edited one) shows here as a diff to review. After
checking the change is intended, refresh the golden file with:

    TOOLKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_schema_golden.py

The text is what `sqlite3 case.db .schema` prints for a fresh case: the statements as SQLite keeps
them, comments included, without SQLite's internal tables, after a line with the schema version.
They are sorted by table, then type, then name, so only a change to the schema itself moves lines.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from toolkit.store.schema import LATEST

GOLDEN = Path(__file__).parent / "golden" / "schema.sql"
UPDATE = os.environ.get("TOOLKIT_UPDATE_GOLDEN") == "1"


def schema_text(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        rows = conn.execute("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                            "ORDER BY tbl_name, type DESC, name").fetchall()
    finally:
        conn.close()
    return f"-- schema version {version}\n" + "".join(f"{sql};\n" for (sql,) in rows)


def test_a_fresh_case_has_the_golden_schema(case):
    actual = schema_text(case / "case.db")
    assert actual.startswith(f"-- schema version {LATEST}\n")
    if UPDATE:
        GOLDEN.write_text(actual, encoding="utf-8", newline="\n")
    assert GOLDEN.exists(), f"{GOLDEN} missing: run TOOLKIT_UPDATE_GOLDEN=1 python -m pytest {Path(__file__).name}"
    assert actual == GOLDEN.read_text(encoding="utf-8"), (
        "the schema differs from tests/golden/schema.sql: if the change is intended, refresh it with "
        "TOOLKIT_UPDATE_GOLDEN=1 python -m pytest tests/test_schema_golden.py and review the diff")
