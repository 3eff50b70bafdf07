"""The SQL of a purge: blanking one person's personal data from the rows that hold it.

Every removed value is named only by `fingerprint` (a keyed HMAC: see toolkit.purge), never by a
plain hash, which a dictionary of phone numbers or names would reverse in seconds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Fingerprint = Callable[[object], str]


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


def item_exists(conn: sqlite3.Connection, item_id: int) -> bool:
    return conn.execute("SELECT 1 FROM item WHERE id = ?", (item_id,)).fetchone() is not None


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


def _collect(conn: sqlite3.Connection, sql: str, params: list, fingerprint: Fingerprint, removed: set[str]) -> None:
    for row in conn.execute(sql, params):
        removed.update(fingerprint(v) for v in row if v is not None)


def blank_personal_data(conn: sqlite3.Connection, item_ids: list[int], fingerprint: Fingerprint
                        ) -> tuple[list[str], list[int], list[str], list[str]]:
    """Blank names, texts, URLs, raw records, hit spans, indicator values and aliases of these
    items, and the notes, final URLs, review and notice texts that are about them.

    Returns (fingerprints of every removed value, ids of the sources whose captures hold these
    items, sha256 of evidence kept for checks of these items, the keys and names that identified
    them, to look for in file names). Counts, statuses and dates stay:
    they are not personal data and the removal figures depend on them. A value already blank is
    not counted again, so a purge run twice records nothing the second time.
    """
    removed: set[str] = set()
    marks = _marks(item_ids)
    identifiers = [v for row in conn.execute(f"SELECT key, name FROM item WHERE id IN ({marks})"
                                             " AND key NOT LIKE 'purged-%'", item_ids) for v in row if v]
    identifiers += [r[0] for r in conn.execute(f"SELECT key FROM item_alias WHERE item_id IN ({marks})", item_ids)]
    blanks = (("capture", ("name", "text", "url", "fields", "raw"), "NULL"),
              ("hit", ("matched",), "NULL"),
              ('"check"', ("note", "final_url"), "NULL"),
              ("review", ("note",), "NULL"),
              ("notice", ("note",), "NULL"))
    for table, columns, blank in blanks:
        _collect(conn, f"SELECT {', '.join(columns)} FROM {table} WHERE item_id IN ({marks})", item_ids,
                 fingerprint, removed)
        sets = ", ".join(f"{c} = {blank}" for c in columns)
        where = " OR ".join(f"{c} IS NOT NULL" for c in columns)
        conn.execute(f"UPDATE {table} SET {sets} WHERE item_id IN ({marks}) AND ({where})", item_ids)
    _collect(conn, f"SELECT value, matched FROM indicator WHERE item_id IN ({marks}) AND value != 'purged'", item_ids,
             fingerprint, removed)
    conn.execute(f"UPDATE indicator SET value = 'purged', matched = NULL WHERE item_id IN ({marks})"
                 " AND (value != 'purged' OR matched IS NOT NULL)", item_ids)
    # Alternative keys (a vanity name) are personal data like the key itself.
    _collect(conn, f"SELECT key FROM item_alias WHERE item_id IN ({marks})", item_ids, fingerprint, removed)
    conn.execute(f"DELETE FROM item_alias WHERE item_id IN ({marks})", item_ids)
    # A recorded identity conflict names keys of both items: derived rows, dropped with them.
    both = [*item_ids, *item_ids]
    _collect(conn, f"SELECT key FROM identity_conflict WHERE item_id IN ({marks}) OR other_id IN ({marks})", both,
             fingerprint, removed)
    conn.execute(f"DELETE FROM identity_conflict WHERE item_id IN ({marks}) OR other_id IN ({marks})", both)
    for item_id in item_ids:
        key, url, name = conn.execute("SELECT key, url, name FROM item WHERE id = ?", (item_id,)).fetchone()
        if key.startswith("purged-"):
            continue
        removed.update(fingerprint(v) for v in (key, url, name) if v is not None)
        conn.execute("UPDATE item SET key = ?, url = NULL, name = NULL WHERE id = ?",
                     (f"purged-{fingerprint(key)[:16]}", item_id))
    sources = [r[0] for r in conn.execute(
        f"SELECT DISTINCT source_id FROM capture WHERE item_id IN ({marks}) AND source_id IS NOT NULL ORDER BY 1",
        item_ids)]
    # A check's page and its screenshot (a browser check's) both show the item.
    evidence = [r[0] for r in conn.execute(
        f'SELECT evidence_sha256 FROM "check" WHERE item_id IN ({marks}) AND evidence_sha256 IS NOT NULL'
        f' UNION SELECT a.sha256 FROM attachment a JOIN "check" k ON k.id = a.check_id WHERE k.item_id IN ({marks})',
        [*item_ids, *item_ids])]
    return sorted(removed), sources, sorted(evidence), identifiers


def blank_source_names(conn: sqlite3.Connection, source_ids: list[int], item_ids: list[int],
                       values: list[str], fingerprint: Fingerprint) -> list[str]:
    """A source's file name, notes and failure details can hold the person too (a saved page named
    after the profile). Blank them for a source that holds only these items, and the path of any
    source that contains one of the removed `values`. Returns the fingerprints of what went."""
    removed: set[str] = set()
    folded = [v.casefold() for v in values if len(v) >= 4]
    for source_id in source_ids:
        path, notes, failures = conn.execute("SELECT path, notes, failures FROM source WHERE id = ?",
                                             (source_id,)).fetchone()
        others = conn.execute(f"SELECT 1 FROM capture WHERE source_id = ? AND item_id NOT IN ({_marks(item_ids)})"
                              " LIMIT 1", (source_id, *item_ids)).fetchone()
        whole = others is None
        if not path.startswith("purged:") and (whole or any(v in path.casefold() for v in folded)):
            removed.add(fingerprint(path))
            conn.execute("UPDATE source SET path = ? WHERE id = ?", (f"purged:{fingerprint(path)[:16]}", source_id))
        if whole and (notes != "[]" or failures != "{}"):
            removed.update(fingerprint(v) for v in (notes, failures))
            conn.execute("UPDATE source SET notes = '[]', failures = '{}' WHERE id = ?", (source_id,))
    return sorted(removed)


def evidence_shared_with_others(conn: sqlite3.Connection, sha: str, item_ids: list[int]) -> bool:
    """Whether an evidence file also backs checks of items outside the purge."""
    marks = _marks(item_ids)
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
    marks = _marks(source_ids)
    return [(r[0], r[1], r[2]) for r in conn.execute(
        f"SELECT id, path, evidence FROM source WHERE id IN ({marks}) ORDER BY id", source_ids)]


def fact_rows(conn: sqlite3.Connection, item_ids: list[int], source_ids: list[int]) -> list[tuple[str, int]]:
    """The fact rows a purge of these items may rewrite: their sources, checks, reviews, notices."""
    marks = _marks(item_ids)
    refs = [("source", s) for s in source_ids]
    for table in ("check", "review", "notice"):
        refs += [(table, r[0]) for r in conn.execute(f'SELECT id FROM "{table}" WHERE item_id IN ({marks})', item_ids)]
    return refs


def report_events(conn: sqlite3.Connection) -> list[str]:
    """The `detail` of every report event: where each report was written, with its files' hashes."""
    return [r[0] for r in conn.execute("SELECT detail FROM event WHERE kind = 'report' AND detail IS NOT NULL ORDER BY id")]


def purge_events(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT detail FROM event WHERE kind = 'purge' AND detail IS NOT NULL ORDER BY id")]
