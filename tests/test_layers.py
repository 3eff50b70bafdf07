"""The store boundary: SQL and sqlite3 live in toolkit/store/ only, and the lexicon never writes.

Walks the package's source with `ast` (no import, no execution) and fails on, outside store/:
- a string constant (or the literal parts of an f-string) that reads as an SQL statement:
  SELECT/INSERT/UPDATE/DELETE/CREATE/DROP/ALTER/PRAGMA/WITH/BEGIN/COMMIT/ROLLBACK/... at its start,
  in any case, shaped like SQL (so help text such as "Create a case folder" or "With --wayback"
  is not one); docstrings are prose and are skipped;
- `import sqlite3`, `from sqlite3 import ...` or any `sqlite3.` name;
- a call of `.execute`, `.executemany` or `.executescript` (SQL built at run time).
Modules outside the store name the connection type and errors through toolkit.store.db
(`Connection`, `DatabaseError`, `OperationalError`).

ALLOWED lists the documented exceptions, each with why; it is empty: every former exception
(a bundle's snapshot, verify's migrated copy) now calls a store function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "toolkit"
STORE = PACKAGE / "store"

# (module path relative to toolkit/, line) -> why it may hold SQL or use sqlite3. Keep it short.
ALLOWED: dict[tuple[str, int], str] = {}

_SHAPES = [
    r"SELECT\s+\S",
    r"INSERT\s+(OR\s+\w+\s+)?INTO\s",
    r"REPLACE\s+INTO\s",
    r"UPDATE\s+(OR\s+\w+\s+)?[\w\"]+\s+SET\s",
    r"DELETE\s+FROM\s",
    r"CREATE\s+(TEMP\s+|TEMPORARY\s+|UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b",
    r"DROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b",
    r"ALTER\s+TABLE\s",
    r"PRAGMA\s+\w",
    r"WITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s*\(",
    r"BEGIN\s+(DEFERRED|IMMEDIATE|EXCLUSIVE|TRANSACTION)\b",
    r"(COMMIT|END|ROLLBACK)\s+TRANSACTION\b",
    r"ROLLBACK\s+TO\s",
    r"(SAVEPOINT|RELEASE)\s+\w+\s*;?\s*$",
    r"ATTACH\s+(DATABASE\s+)?\S+\s+AS\s",
    r"DETACH\s+DATABASE\s",
]
SQL = re.compile(r"\s*(" + "|".join(_SHAPES) + ")", re.IGNORECASE | re.DOTALL)
# A statement of one word is SQL when written as SQL is, in capitals ("commit" and "end" are
# also dictionary keys and words).
BARE = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|END|VACUUM|ANALYZE|REINDEX)\s*;?\s*$")
EXECUTE = {"execute", "executemany", "executescript"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose, not SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _text(node: ast.AST) -> str | None:
    """A string constant's text, or an f-string's with each placeholder as `?`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "?" for v in node.values)
    return None


def problems(source: str, name: str) -> list[str]:
    """What in one module's source breaks the store boundary, one line each."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    inside_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if (name, line) in ALLOWED:
            continue
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and id(node) not in docs and id(node) not in inside_fstring:
            text = _text(node)
            if text is not None and (SQL.match(text) or BARE.match(text)):
                found.append(f"{name}:{line}: SQL {text.strip()[:60]!r}")
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "sqlite3" for a in node.names):
            found.append(f"{name}:{line}: import sqlite3")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
            found.append(f"{name}:{line}: from sqlite3 import")
        elif isinstance(node, ast.Name) and node.id == "sqlite3":
            found.append(f"{name}:{line}: sqlite3 used")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE:
            found.append(f"{name}:{line}: .{node.func.attr}(...)")
    return found


def _modules(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, path.relative_to(PACKAGE).as_posix()


def test_no_sql_and_no_sqlite3_outside_the_store():
    found = [p for path, name in _modules(PACKAGE) if not path.is_relative_to(STORE)
             for p in problems(path.read_text(encoding="utf-8"), name)]
    assert found == [], "SQL or sqlite3 outside toolkit/store/ (move it into a store module):\n" + "\n".join(found)


def test_every_allowed_exception_is_still_needed():
    """An entry whose line no longer holds what it excused is removed, so the list stays honest."""
    for (name, line), why in ALLOWED.items():
        assert why.strip(), f"{name}:{line}: say why it is allowed"
        saved = dict(ALLOWED)
        try:
            ALLOWED.clear()
            hits = [p for p in problems((PACKAGE / name).read_text(encoding="utf-8"), name) if p.startswith(f"{name}:{line}:")]
        finally:
            ALLOWED.update(saved)
        assert hits, f"{name}:{line} is allowed but holds no SQL: remove it from ALLOWED"


def test_the_store_itself_is_seen_as_sql():
    """The check would find the store's own statements: it is not blind."""
    found = [p for path, name in _modules(STORE) for p in problems(path.read_text(encoding="utf-8"), name)]
    assert any(": SQL 'SELECT" in p for p in found) and any(": SQL 'INSERT" in p for p in found)
    assert any(": SQL 'PRAGMA" in p for p in found) and any("import sqlite3" in p for p in found)


@pytest.mark.parametrize("source", [
    'x = "SELECT id FROM item"',
    "x = 'insert or ignore into meta(key, value) values (?, ?)'",
    'x = "UPDATE source SET evidence = ? WHERE id = ?"',
    'x = "delete from hit where capture_id = ?"',
    'x = "CREATE INDEX IF NOT EXISTS i ON t(a)"',
    'x = f"PRAGMA cache_size = {n}"',
    'x = "WITH cohort AS (SELECT 1) SELECT * FROM cohort"',
    'x = "BEGIN IMMEDIATE"',
    'x = "COMMIT"',
    "import sqlite3",
    "from sqlite3 import Connection",
    "def f(conn):\n    conn.execute(query)",
])
def test_sql_in_any_spelling_is_found(source):
    assert problems(source, "example.py")


@pytest.mark.parametrize("source", [
    '"""Create a case folder with a commented case.toml."""',
    'x = "With --wayback: ask Save Page Now to archive items"',
    'x = "Create one with: toolkit init CASE"',
    'x = "Delete what purge events name: evidence files"',
    'x = "Update toolkit to read this file"',
    'x = text.replace("a", "b")',
    'x = "Drop tracking parameters"',
    'x = "select"',
    'x = {"start": 0, "end": 1}',
    'x = "commit"',
])
def test_prose_is_not_sql(source):
    assert problems(source, "example.py") == []


def test_the_lexicon_does_not_touch_the_store():
    """The tagger returns tags; the scan stores them (toolkit.scan.store_tags)."""
    found = []
    for path, name in _modules(PACKAGE / "lexicon"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit.store"):
                found.append(f"{name}:{node.lineno}: from {node.module} import ...")
            elif isinstance(node, ast.Import) and any(a.name.startswith("toolkit.store") for a in node.names):
                found.append(f"{name}:{node.lineno}: import toolkit.store")
    assert found == []


def test_no_command_imports_another_command():
    """Commands share through cli/common.py, cli/progress.py and the stages, never through each other."""
    found = []
    for path, name in _modules(PACKAGE / "cli"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit.cli.cmd_"):
                found.append(f"{name}:{node.lineno}: from {node.module} import ...")
    assert found == []


def test_the_tagger_returns_rows_and_needs_no_database():
    from toolkit.lexicon import Tagger, resolve

    tagger = Tagger(resolve(["default"]))
    rows = tagger.tag_rows([(10, 20, "Cruce seguro", "viaje seguro a Europa, whatsapp +34 612 345 678"),
                            (11, 21, None, "nothing to see")])
    assert [score[:2] for score in rows.scores] == [(20, 10), (21, 11)]
    assert rows.scores[0][2] == tagger.signature
    assert any(ind[:3] == (10, 20, "phone") for ind in rows.indicators) and rows.hits
    again = tagger.tag_rows([(10, 20, "Cruce seguro", "viaje seguro a Europa, whatsapp +34 612 345 678")],
                            {10: {lex.ident + "#" + lex.digest for lex in tagger.lexicons}}, {10})
    assert again.hits == [] and not any(ind[2] == "phone" for ind in again.indicators)
