"""Opening a case database: WAL mode, schema migrations, and the newer-toolkit guard."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from toolkit.collector import return_freed_memory
from toolkit.errors import CaseError
from toolkit.store.schema import LATEST, MIGRATIONS

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
# How long a writing command waits for another one writing the same case before it gives up.
# Seconds; TOOLKIT_LOCK_WAIT overrides it (tests use a short wait).
LOCK_WAIT_SECONDS = 900

# The connection type and the errors callers outside the store may name (annotations, `except`),
# so that nothing outside toolkit.store imports sqlite3 (tests/test_layers.py).
Connection = sqlite3.Connection
DatabaseError = sqlite3.DatabaseError
OperationalError = sqlite3.OperationalError

# Called once when a write has to wait for another process; the CLI prints a message.
on_wait: Callable[[], None] | None = None

# The custody log (toolkit.store.events) hooks in here: what runs when a connection is opened,
# when a write transaction begins, and just before it commits (the seal), so that every write and
# the events recording it commit together.
AFTER_CONNECT: list[Callable[[sqlite3.Connection], None]] = []
AFTER_BEGIN: list[Callable[[sqlite3.Connection], None]] = []
BEFORE_COMMIT: list[Callable[[sqlite3.Connection], None]] = []


class CaseConnection(sqlite3.Connection):
    """A case database connection: sqlite3's, with room for what the custody log keeps per
    connection (the files in force, where each table ended when the transaction began)."""

    context: dict | None = None
    context_source: Callable[[], dict] | None = None
    tx_marks: dict | None = None
    recheck_run: str | None = None  # the run the checks written on it belong to (toolkit.store.checks.begin_run)


class CaseBusyError(CaseError):
    """Another process kept the case's write lock for longer than we were willing to wait."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def begin_write(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting (and saying so through `on_wait`) while another process writes.

    Two commands writing one case serialise: the second waits up to LOCK_WAIT_SECONDS, then
    raises CaseBusyError with a clear message instead of SQLite's "database is locked".
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
            _began(conn)
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        if on_wait is not None:
            on_wait()
        wait = float(os.environ.get("TOOLKIT_LOCK_WAIT", LOCK_WAIT_SECONDS))
        conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            _began(conn)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise CaseBusyError(
                    f"another toolkit command has been writing to this case for more than {wait:g} s",
                    "Wait for it to finish (or stop it), then run this command again",
                ) from exc
            raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _began(conn: sqlite3.Connection) -> None:
    for hook in AFTER_BEGIN:
        hook(conn)


def commit(conn: sqlite3.Connection) -> None:
    """Seal what the transaction wrote into the custody log, then COMMIT. Every write commits
    through here (or through `transaction`): a bare COMMIT would leave rows outside the log."""
    for hook in BEFORE_COMMIT:
        hook(conn)
    conn.execute("COMMIT")


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open (or with `create`, make) the case database at `path`, migrated to the latest schema.

    Raises CaseError when the file is missing, is not a SQLite database, or was made by a newer
    toolkit (its schema version is above the one this toolkit knows).
    """
    if not create and not path.exists():
        raise CaseError(f"{path}: no case database here", "Create the case with: toolkit init CASE")
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one file is one transaction.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, factory=CaseConnection)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CaseError(f"{path}: not a case database ({exc})", "Check the path, or restore case.db from a backup") from exc
    version = _known_version(conn, path, "open")
    if version < LATEST:
        migrate(conn, version)
    try:
        for hook in AFTER_CONNECT:
            hook(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """Open a case database for reading only: no migration, no triggers, no seal, no write of any
    kind (verify uses it: the file's bytes and time stay as they were)."""
    if not path.is_file():
        raise CaseError(f"{path}: no case database here", "Check the path")
    # A case closed cleanly has no -wal file: read it as immutable, so that not even SQLite's
    # shared-memory and WAL files are created beside it. While a -wal file exists (a command is
    # writing, or one was killed), its content is part of the database: read it through WAL.
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CaseError(f"{path}: not a case database ({exc})", "Check the path, or restore case.db from a backup") from exc
    _known_version(conn, path, "check")
    return conn


def _known_version(conn: sqlite3.Connection, path: Path, verb: str) -> int:
    """The database's schema version; closes it and refuses a version newer than this toolkit's,
    or a file that is not a SQLite database (the first read is where SQLite finds out)."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise CaseError(f"{path}: not a case database ({exc})", "Check the path, or restore case.db from a backup") from exc
    if version > LATEST:
        conn.close()
        raise CaseError(
            f"{path}: this case was made by a newer toolkit (schema version {version}, this toolkit knows up to {LATEST})",
            f"Upgrade toolkit (pip install -U toolkit) to {verb} this case",
        )
    return version


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply every migration after `version`, each in its own transaction with its version bump."""
    for number in range(version, LATEST):
        begin_write(conn)
        try:
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would commit implicitly)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is open. SQLite may already have rolled back on its own (a full
    disk, an I/O error); a second ROLLBACK would then hide the error that caused it."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """Run a block in one transaction: committed when it ends, rolled back on any exception."""
    if immediate:
        begin_write(conn)
    else:
        conn.execute("BEGIN")
        _began(conn)
    try:
        yield conn
        for hook in BEFORE_COMMIT:
            hook(conn)
    except BaseException:
        rollback(conn)
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version the database says it is at (SQLite's user_version)."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


@contextmanager
def open_for_checking(path: Path) -> Iterator[tuple[sqlite3.Connection, int | None]]:
    """A read-only connection to a case database, and the schema version it was at when it had to
    be migrated first (None when it was current).

    A database at an older schema version is copied (SQLite's backup API, reading only) into a
    temporary folder and migrated there: the file itself is never written."""
    import tempfile

    conn = connect_readonly(path)
    try:
        version = schema_version(conn)
        if version >= LATEST:
            yield conn, None
            return
        with tempfile.TemporaryDirectory(prefix="toolkit-verify-") as tmp:
            copy = sqlite3.connect(Path(tmp) / path.name, isolation_level=None)
            try:
                conn.backup(copy)
                copy.row_factory = sqlite3.Row
                migrate(copy, version)
                yield copy, version
            finally:
                copy.close()
    finally:
        conn.close()


@contextmanager
def read_snapshot(conn: sqlite3.Connection, *, twin: bool = False) -> Iterator[sqlite3.Connection | None]:
    """Run a block of reads on one picture of the case: every query in it sees the database as it
    was at the block's first read, whatever another process (a recheck, a scan) commits meanwhile,
    so numbers computed by different queries (a report's tables, its methodology, its stamp) agree.

    A read transaction (WAL keeps the picture); the block may create temporary tables but must
    write nothing to the case: it is rolled back when the block ends. Inside a transaction already
    open, that transaction's picture holds and nothing is done.

    With `twin`, the block is given a second, read-only connection to the same file that sees the
    same picture (None when that cannot be had: an in-memory database, a transaction already open,
    or a commit by another process between the two connections' first reads), so that a thread
    can read part of the case while this connection reads the rest: SQLite works outside Python's
    interpreter lock. The twin is closed when the block ends."""
    if conn.in_transaction:
        yield None
        return
    opened = _twin_open(conn) if twin else None
    try:
        conn.execute("BEGIN")
        # The picture is taken at the first read; the twin's is checked to be the same one.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield _twin_check(*opened) if opened is not None else None
    finally:
        if opened is not None:
            opened[0].close()
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@contextmanager
def read_beside(conn: sqlite3.Connection, twin: sqlite3.Connection | None, read: Callable[..., T],
                *args: Any) -> Iterator[Callable[[], T]]:
    """Run `read(twin, *args)` in a thread while the block runs on `conn` (SQLite works outside
    Python's interpreter lock, so the two reads overlap), and give the block the call that waits
    for its result. Without a twin (see `read_snapshot`), that call runs `read(conn, *args)` itself.
    After the thread, the memory it freed is handed back (`collector.return_freed_memory`: its
    allocator arena is not reused by this thread's next allocations)."""
    if twin is None:
        yield lambda: read(conn, *args)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(read, twin, *args).result
    return_freed_memory()


def _twin_open(conn: sqlite3.Connection) -> tuple[sqlite3.Connection, int] | None:
    """A read-only connection to `conn`'s database file, and its data version (read before `conn`
    takes its picture); None for an in-memory database."""
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path:
        return None
    other = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True, isolation_level=None,
                            timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    other.row_factory = sqlite3.Row
    other.execute("PRAGMA query_only = ON")
    return other, other.execute("PRAGMA data_version").fetchone()[0]


def _twin_check(other: sqlite3.Connection, before: int) -> sqlite3.Connection | None:
    """The twin, in a read transaction whose picture is the one the first connection took between
    the twin's two readings of its data version (`before`, then now: SQLite changes it when another
    connection commits): equal versions mean no commit came between, so both pictures are the
    same. Otherwise None (the caller closes the twin)."""
    other.execute("BEGIN")
    other.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return other if other.execute("PRAGMA data_version").fetchone()[0] == before else None


def snapshot(conn: sqlite3.Connection, target: Path) -> None:
    """Copy the database into a new self-contained file at `target` (SQLite's backup API: a
    consistent picture even while another process writes), in rollback-journal mode so that the
    copy is one file, and check that the copy opens."""
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()


def database_bytes(conn: sqlite3.Connection) -> int:
    """The database's size: its page size times its page count."""
    page_size, pages = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_size", "page_count"))
    return page_size * pages


@contextmanager
def import_cache(conn: sqlite3.Connection, kib: int) -> Iterator[None]:
    """A page cache of `kib` KiB for the block (a large import), the previous size restored after."""
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
