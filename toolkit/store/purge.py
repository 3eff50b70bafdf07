"""The SQL of a purge: blanking one person's personal data from the rows that hold it."""

from __future__ import annotations

import hashlib
import sqlite3


def _sha(value: object) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


def items_to_purge(conn: sqlite3.Connection, item_id: int) -> list[int]:
    """The item and everything under it (a profile's posts, a channel's messages), depth-first,
    with the items merged into it or it into (the same account under another key, see aliases)."""
    root = conn.execute("SELECT coalesce(merged_into, id) FROM item WHERE id = ?", (item_id,)).fetchone()
    found, todo = [], [item_id, *([root[0]] if root and root[0] != item_id else [])]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        todo.extend(r[0] for r in conn.execute("SELECT id FROM item WHERE parent_id = ? OR merged_into = ?",
                                               (current, current)))
    return found


def blank_personal_data(conn: sqlite3.Connection, item_ids: list[int]) -> tuple[list[str], list[int], list[str]]:
    """Blank names, texts, URLs, raw records, hit spans and indicator values of these items.

    Returns (sha256 of every removed value, ids of the sources whose captures changed, sha256 of
    evidence kept for checks of these items). Counts and statuses stay: they are not personal data
    and the removal figures depend on them.
    """
    removed: list[str] = []
    marks = ",".join("?" * len(item_ids))
    for table, columns in (("capture", ("name", "text", "url", "fields", "raw")),
                           ("hit", ("matched",)), ("indicator", ("value", "matched"))):
        for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE item_id IN ({marks})", item_ids):
            removed.extend(_sha(v) for v in row if v is not None)
    for row in conn.execute(f"SELECT key, url, name FROM item WHERE id IN ({marks})", item_ids):
        removed.extend(_sha(v) for v in row if v is not None)
    sources = [r[0] for r in conn.execute(
        f"SELECT DISTINCT source_id FROM capture WHERE item_id IN ({marks}) AND source_id IS NOT NULL ORDER BY 1",
        item_ids)]
    # A check's page and its screenshot (a browser check's) both show the item.
    evidence = [r[0] for r in conn.execute(
        f'SELECT evidence_sha256 FROM "check" WHERE item_id IN ({marks}) AND evidence_sha256 IS NOT NULL'
        f' UNION SELECT a.sha256 FROM attachment a JOIN "check" k ON k.id = a.check_id WHERE k.item_id IN ({marks})',
        [*item_ids, *item_ids])]
    conn.execute(f"UPDATE capture SET name = NULL, text = NULL, url = NULL, fields = NULL, raw = NULL"
                 f" WHERE item_id IN ({marks})", item_ids)
    conn.execute(f"UPDATE hit SET matched = NULL WHERE item_id IN ({marks})", item_ids)
    conn.execute(f"UPDATE indicator SET value = 'purged', matched = NULL WHERE item_id IN ({marks})", item_ids)
    # Alternative keys (a vanity name) are personal data like the key itself; aliases are derived rows.
    for row in conn.execute(f"SELECT key FROM item_alias WHERE item_id IN ({marks})", item_ids):
        removed.append(_sha(row[0]))
    conn.execute(f"DELETE FROM item_alias WHERE item_id IN ({marks})", item_ids)
    # A recorded identity conflict names keys of both items: derived rows, dropped with them.
    for row in conn.execute(f"SELECT key FROM identity_conflict WHERE item_id IN ({marks}) OR other_id IN ({marks})",
                            (*item_ids, *item_ids)):
        removed.append(_sha(row[0]))
    conn.execute(f"DELETE FROM identity_conflict WHERE item_id IN ({marks}) OR other_id IN ({marks})",
                 (*item_ids, *item_ids))
    for item_id in item_ids:
        key = conn.execute("SELECT key FROM item WHERE id = ?", (item_id,)).fetchone()[0]
        conn.execute("UPDATE item SET key = ?, url = NULL, name = NULL WHERE id = ?",
                     (f"purged-{_sha(key)[:16]}", item_id))
    return sorted(set(removed)), sources, sorted(evidence)


def evidence_shared_with_others(conn: sqlite3.Connection, sha: str, item_ids: list[int]) -> bool:
    """Whether an evidence file also backs checks of items outside the purge."""
    marks = ",".join("?" * len(item_ids))
    row = conn.execute(f'SELECT 1 FROM "check" WHERE evidence_sha256 = ? AND item_id NOT IN ({marks})'
                       f' UNION ALL SELECT 1 FROM attachment a JOIN "check" k ON k.id = a.check_id'
                       f' WHERE a.sha256 = ? AND k.item_id NOT IN ({marks}) LIMIT 1',
                       (sha, *item_ids, sha, *item_ids)).fetchone()
    return row is not None


def source_attachment_files(conn: sqlite3.Connection, source_id: int) -> list[str]:
    """The files kept beside a source (a browser capture's screenshot and MHTML snapshot)."""
    return [r[0] for r in conn.execute("SELECT sha256 FROM attachment WHERE source_id = ? ORDER BY id", (source_id,))]


def source_evidence(conn: sqlite3.Connection, source_ids: list[int]) -> list[tuple[int, str, str | None]]:
    """(id, path, evidence sha256) of these sources."""
    marks = ",".join("?" * len(source_ids))
    return [(r[0], r[1], r[2]) for r in conn.execute(
        f"SELECT id, path, evidence FROM source WHERE id IN ({marks}) ORDER BY id", source_ids)]
