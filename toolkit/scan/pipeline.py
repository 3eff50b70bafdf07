"""The scan: files -> importer (sniff, read, map) -> store, one transaction per file.

`scan_paths` is the one function both `toolkit scan` and recheck-from-exports call. It never
prints: progress goes through a callback and each file's outcome comes back as a `FileResult`.
A file that fails is rolled back whole (no half-imported source) and the run goes on. The tagger
returns each batch's tags and the scan stores them in the file's transaction (`store_tags`);
`retag` tags a case's captures again after a lexicon change.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from toolkit.case import Case
from toolkit.collector import rare_collections
from toolkit.dates import utcnow
from toolkit.errors import InputError, ToolkitError
from toolkit.scan.reader import open_reader
from toolkit.sources import registry
from toolkit.sources.base import Importer, ReadContext
from toolkit.store import events, source_rows, tags, transaction
from toolkit.store import evidence as evidence_rows
from toolkit.store.db import Connection, DatabaseError, database_bytes, import_cache
from toolkit.store.writer import CaptureWriter, WrittenCapture, defer_indexes, restore_indexes

# While a file is imported: a larger SQLite page cache (KiB, negative by SQLite's convention), so the
# item and capture indexes stay in memory, and a higher threshold for the cyclic garbage collector,
# which otherwise walks every live capture of the batch thousands of times per file (the records are
# acyclic and freed by reference counting). Both are restored when the file is done.
IMPORT_CACHE_KIB = 65536
IMPORT_GC_THRESHOLD = 50_000
# A file at least this large, and at least as large as the case database, is imported with the
# secondary indexes dropped and built again before the commit (see store.writer.defer_indexes).
DEFER_INDEXES_BYTES = 32 << 20


if TYPE_CHECKING:
    from toolkit.lexicon.tagger import TagRows


class Tagger(Protocol):
    """Tags written captures: returns their hits, indicators and scores, which the scan stores
    inside the file's transaction (toolkit.lexicon.Tagger; the tagger never writes itself)."""

    def tag(self, written: list[WrittenCapture]) -> TagRows: ...


def case_tagger(case: Case):
    """The tagger for the lexicons and offer model the case's config names (paths relative to the case folder)."""
    from toolkit.lexicon import Tagger as LexiconTagger
    from toolkit.lexicon import resolve
    from toolkit.lexicon.model import load_model

    return LexiconTagger(resolve(case.config["scan"]["lexicons"], base=case.root),
                         model=load_model(case.config["scan"]["model"], base=case.root))


class LazyTagger:
    """Tags new captures with the case's lexicons exactly as `toolkit scan` does, compiling the
    lexicons only when a file brings new captures (a resumed run over imported files needs none)."""

    def __init__(self, case: Case, build: Callable[[Case], Tagger] = case_tagger):
        self.case, self.build, self.tagger = case, build, None

    def tag(self, written: list[WrittenCapture]) -> TagRows:
        if self.tagger is None:
            self.tagger = self.build(self.case)
        return self.tagger.tag(written)


def store_tags(conn: Connection, rows: TagRows) -> None:
    """Append a batch's hits, indicators and scores (inside the caller's transaction)."""
    tags.write_tags(conn, rows.hits, rows.indicators, rows.scores)


@dataclass
class RetagResult:
    captures: int = 0  # captures looked at
    tagged: int = 0  # captures given a new score
    unchanged: int = 0  # already scored with exactly these lexicons


def retag(case: Case, tagger, progress: Callable[[int, int], None] | None = None,
          batch: int = 2000) -> RetagResult:
    """Tag every capture not yet scored with exactly `tagger`'s lexicon set, in one transaction:
    hits of lexicons already applied to a capture, and indicators already extracted, are not
    written again (old rows stay under their own version)."""
    with transaction(case.db) as conn:
        return _retag(conn, tagger, progress, batch)


def _retag(conn: Connection, tagger, progress: Callable[[int, int], None] | None, batch: int) -> RetagResult:
    from toolkit.lexicon.indicators import EXTRACTOR

    result = RetagResult()
    history = tags.applied_lexicons(conn)
    total = tags.capture_count(conn)
    for rows in tags.iter_captures(conn, batch):
        result.captures += len(rows)
        todo = [r for r in rows if history.get(r[0], (set(), ""))[1] != tagger.signature]
        result.unchanged += len(rows) - len(todo)
        if todo:
            applied = {r[0]: history.get(r[0], (set(), ""))[0] for r in todo}
            done = tags.has_indicators(conn, [r[0] for r in todo], EXTRACTOR)
            store_tags(conn, tagger.tag_rows(todo, applied, done))
            result.tagged += len(todo)
        if progress is not None:
            progress(result.captures, total)
    return result


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    outcome: str  # imported | already | failed | unknown
    format: str | None = None
    importer: str | None = None
    source_id: int | None = None
    sha256: str | None = None
    size: int = 0
    read: int = 0
    mapped: int = 0
    failed: int = 0
    items_new: int = 0
    items_seen: int = 0
    captures: int = 0
    import_dated: int = 0  # captures dated at import time: the file said nothing of when they were seen
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # cause -> (count, first detail)
    merged: int = 0  # items linked to one the case knew under another key (aliases that agree)
    conflicts: list[dict] = field(default_factory=list)  # identity claims refused (store.aliases)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None


@dataclass
class Progress:
    """Reported after each batch: which file, bytes done of total, records so far."""

    path: str
    done: int
    total: int
    records: int


def expand(paths: Iterable[str]) -> Iterator[tuple[Path, bool]]:
    """Files named by `paths` (files, folders walked recursively, globs), sorted within a folder.

    Yields (path, explicit): explicit is False for files found by walking a folder or a glob, whose
    unknown formats are listed at the end instead of failing. Symlinks inside folders, or below the
    folder a glob names, are not followed, so a scan never reads outside the folder it was given.
    Hidden files are skipped.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    full = Path(root) / name
                    if not name.startswith(".") and not full.is_symlink():
                        yield full, False
        elif path.exists():
            yield path, True
        elif glob.has_magic(given):
            matches = sorted(glob.glob(given, recursive=True))
            if not matches:
                yield path, True  # reported as missing
            base = _glob_base(given)
            seen: set[Path] = set()  # `**/*` names a folder and the files in it: each file once
            for match in matches:
                if _through_link(base, Path(match)):
                    continue  # as in a folder scan: a link never takes the scan out of the folder named
                found = [(Path(match), False)] if Path(match).is_file() else (
                    expand([match]) if Path(match).is_dir() else [])  # `exports/2021-*` naming folders: walked
                for file, explicit in found:
                    if file not in seen:
                        seen.add(file)
                        yield file, explicit
        else:
            yield path, True


def _glob_base(pattern: str) -> Path:
    """The folder a glob names before its first wildcard (`exports/2021-*/*.txt` -> `exports`)."""
    parts = Path(pattern).parts
    for index, part in enumerate(parts):
        if glob.has_magic(part):
            return Path(*parts[:index]) if index else Path(".")
    return Path(pattern)


def _through_link(base: Path, match: Path) -> bool:
    """True when `match` is, or lies under, a symbolic link below the glob's folder `base` (glob
    follows linked folders, `**` included; the folder the researcher named may itself be a link)."""
    try:
        parts = match.relative_to(base).parts
    except ValueError:
        return False
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _identity(path: Path) -> tuple[int, int, int, int, int]:
    """What tells a file that changed from one that did not, without reading it again (the inode
    change time moves on every write, even when the modification time is put back)."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev


class _AlreadyImported(Exception):
    """Another scan committed a source with these bytes while this one was reading them."""

    def __init__(self, source_id: int, path: str):
        super().__init__(source_id)
        self.source_id, self.path = source_id, path


@contextmanager
def _claim(case: Case, sha256: str) -> Iterator[bool]:
    """Hold the right to import these bytes: True when this scan has it, False when another scan
    of the same bytes (in any process) holds it now.

    An advisory lock on `CASE/.import-<sha256>.lock`: the operating system releases it when its
    holder ends, however it ends, so a killed scan never blocks the next one. The holder removes
    the file while it still holds the lock; a scan that locked a file since removed tries again."""
    try:
        import fcntl
    except ImportError:  # no advisory locks here: the check inside the transaction still holds
        yield True
        return
    path = case.root / f".import-{sha256}.lock"
    while True:
        handle = open(path, "a+b")  # noqa: SIM115 - held across the yield below
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            yield False
            return
        try:
            same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()  # removed by the scan that held it: lock the file that is there now
    try:
        yield True
    finally:
        path.unlink(missing_ok=True)
        handle.close()  # closing releases the lock


def scan_paths(
    case: Case,
    paths: Iterable[str],
    *,
    fmt: str | None = None,
    collected_at: str | None = None,
    tagger: Tagger | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_written: Callable[[list[WrittenCapture]], None] | None = None,
) -> list[FileResult]:
    """Import every file under `paths` into the case; return one result per file.

    `fmt` forces an importer. `collected_at` is used when a file does not say when it was saved.
    `on_written` sees every stored batch (recheck-from-exports uses it to match tracked items).
    """
    forced = registry.get(fmt) if fmt else None
    results = []
    # One evidence thread for the whole run: a folder of saved pages would otherwise start (and
    # wait for) a thread per page, which costs about as much as compressing a small page.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence") as evidence:
        for path, explicit in expand(paths):
            result = scan_file(case, path, forced=forced, explicit=explicit, collected_at=collected_at,
                               tagger=tagger, progress=progress, on_written=on_written, evidence=evidence)
            results.append(result)
    return results


# When every record of a file failed for one of these causes, the file is complete and read right:
# the hint says what it holds instead of asking whether the export is complete.
CAUSE_HINTS = {
    "not-an-item": "The file is complete, but its page names no item: a search, a reactions list, a login or "
                   "comment page. Save each item's own page (its page, group, profile or post), or put the item "
                   "URLs in a URL list (toolkit formats: urls)",
    "no-item": "The page does not say its own URL: save it again with SingleFile (which records it), or give "
               "the URLs in a URL list (toolkit formats: urls)",
}


def scan_file(
    case: Case,
    path: Path,
    *,
    forced: Importer | None = None,
    explicit: bool = True,
    collected_at: str | None = None,
    tagger: Tagger | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_written: Callable[[list[WrittenCapture]], None] | None = None,
    evidence: ThreadPoolExecutor | None = None,
    label: str | None = None,
    on_stored: Callable[[Connection, int], None] | None = None,
) -> FileResult:
    """Import one file in one transaction. Every expected failure becomes a failed FileResult.

    `evidence` is the worker that makes the evidence copy (one is started for this file if none).
    `label` is what the source records as its path (default: the path as given; a browser capture
    records the URL it was asked for). `on_stored(conn, source_id)` runs last inside the file's
    transaction, so rows recorded with the source (a capture's screenshot) commit or roll back with it.
    """
    result = FileResult(path=label or str(path), outcome="failed")
    try:
        if not path.exists():
            raise InputError(str(path), "no such file", "Check the path")
        if not path.is_file():
            raise InputError(str(path), "not a regular file", "Give a file, a folder or a glob")
        before = _identity(path)
        result.sha256, result.size = file_sha256(path)
        head = registry.read_head(path)  # read once: the emptiness test and every sniff look at it
        if result.size == 0 or not head.strip():
            raise InputError(str(path), "file is empty", "Export the data again; this file has no content")
        if _known(case, result):
            return result
        importer = forced or registry.detect(path, head)
        if importer is None:
            if not explicit:
                result.outcome = "unknown"
                return result
            raise registry.unknown_format_error(path)
        if forced is not None and not forced.sniff(path, head) and not forced.readable_when_forced(path, head):
            why = forced.mismatch(path, head)
            raise InputError(str(path), f"does not look like {forced.name}" + (f": {why}" if why else ""),
                             "Check --format, or leave it out to detect the format")
        result.format, result.importer = importer.name, importer.ident
        with _claim(case, result.sha256) as mine:
            if not mine:
                result.outcome = "already"
                result.notes.append("the same bytes are being imported by another toolkit command right now")
                return result
            if _known(case, result):  # committed by a scan that let go of the claim just before
                return result
            _import(case, path, importer, result, collected_at, tagger, progress, on_written, evidence, before, on_stored)
        result.outcome = "imported"
    except _AlreadyImported as exc:
        result.outcome, result.source_id = "already", exc.source_id
        result.notes.append(f"same bytes already imported as source {exc.source_id} ({exc.path})")
    except ToolkitError as exc:
        result.outcome = "failed"
        result.error = exc.message
        result.hint = exc.hint
    except (OSError, MemoryError) as exc:
        result.outcome = "failed"
        result.error = f"{path}: {exc.__class__.__name__}: {exc}"
        result.hint = "Check that the file is readable and the disk has space"
    except RecursionError:
        # Readers bound nesting (toolkit.safeio); should one still recurse too deep, the file fails
        # and the folder goes on.
        result.outcome = "failed"
        result.error = f"{path}: nested too deeply to read"
        result.hint = "Check that this is the right file; report it if it is a genuine export"
    return result


def _known(case: Case, result: FileResult) -> bool:
    """Whether a source with these bytes is in the case (then `result` says so)."""
    known = source_rows.find_by_sha256(case.db, result.sha256)
    if known is None:
        return False
    result.outcome, result.source_id = "already", known[0]
    result.notes.append(f"same bytes already imported as source {known[0]} ({known[1]})")
    return True


def _worth_deferring_indexes(case: Case, size: int) -> bool:
    """Whether this file adds more to the case than the case holds (the database's size is the
    cheap measure of both), and is large enough for that to matter."""
    if size < DEFER_INDEXES_BYTES:
        return False
    return database_bytes(case.db) <= size


@contextmanager
def _import_tuning(conn) -> Iterator[None]:
    """Page cache and garbage-collector settings for one file's import, restored afterwards."""
    with import_cache(conn, IMPORT_CACHE_KIB), rare_collections(IMPORT_GC_THRESHOLD, 0, 0):
        yield


def _import(case, path, importer, result, collected_at, tagger, progress, on_written,
            evidence: ThreadPoolExecutor | None = None, before: tuple | None = None, on_stored=None) -> None:
    """Import one file; with `keep_evidence`, its compressed copy is made alongside, in a thread.

    zlib and file I/O release the GIL, so on a machine with a spare core the copy costs no wall
    time. A file whose import fails leaves no copy behind (unless the copy was there before, or
    the case records it: a copy another command kept is never deleted). The caller holds the
    claim on these bytes (`_claim`), so no other scan makes or uses this copy meanwhile.
    """
    if not case.config["scan"]["keep_evidence"]:
        _store(case, path, importer, result, collected_at, tagger, progress, on_written, None, before, on_stored)
        return
    target = case.evidence_path(result.sha256)
    existed = target.exists()
    own = evidence is None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence") if own else evidence
    done = False
    copy = None
    try:
        copy = pool.submit(case.copy_evidence_file, path, result.sha256)
        _store(case, path, importer, result, collected_at, tagger, progress, on_written, copy, before, on_stored)
        done = True
    finally:
        if copy is not None:
            futures_wait([copy])  # the copy must be finished before it is removed or the next file starts
        if own:
            pool.shutdown(wait=True)
        if not done and not existed and not _recorded(case, result.sha256):
            target.unlink(missing_ok=True)


def _recorded(case: Case, sha256: str) -> bool:
    """Whether the case's committed evidence table holds this file (then it is never removed)."""
    try:
        return evidence_rows.is_recorded(case.db, sha256)
    except DatabaseError:  # when in doubt, keep the file
        return True


def _store(case, path, importer, result, collected_at, tagger, progress, on_written, copy: Future | None,
           before: tuple | None = None, on_stored=None) -> None:
    """Read, map and store one file's records in one transaction; `copy` is the evidence copy's job.

    `before` is the file's size, time and inode when it was hashed: a file that differs at the end
    was changed while it was read, and nothing of it is kept."""
    ctx = ReadContext(path=path)
    imported_at = utcnow()
    # The import's page cache stays large until the custody seal at the end has read back what the
    # file added (restored before the commit).
    with transaction(case.db) as conn, _import_tuning(conn):
        known = source_rows.find_by_sha256(conn, result.sha256)
        if known is not None:  # committed by another scan while this one read (we hold the write lock now)
            raise _AlreadyImported(*known)
        source_id = source_rows.start(conn, sha256=result.sha256, size=result.size, format=importer.name,
                                      importer=importer.ident, path=result.path, imported_at=imported_at)
        writer = CaptureWriter(conn, source_id, imported_at, hold_updates=True)
        deferred = defer_indexes(conn) if _worth_deferring_indexes(case, result.size) else []
        report = tagger is not None or on_written is not None
        reader = open_reader(importer, path, ctx, result.size, (collected_at, imported_at), keep=report)
        try:
            for batch in reader:
                written = writer.write(batch.captures, report=report, packed=batch.packed)
                if tagger is not None:
                    store_tags(conn, tagger.tag(written))
                if on_written is not None:
                    on_written(written)
                if progress is not None:
                    progress(Progress(str(path), batch.position, result.size, batch.read))
            writer.finish()
        finally:
            reader.close()
        read, mapped, page_statuses = reader.totals.read, reader.totals.mapped, reader.totals.page_statuses
        result.read, result.mapped, result.failed = read, mapped, ctx.failed
        result.import_dated = reader.totals.import_dated
        result.failures = {cause: (n, f"{first.detail}" + (f" (line {first.line})" if first.line else ""))
                           for cause, (n, first) in ctx.failures.items()}
        result.notes.extend(f"line {n.line}: {n.message}" if n.line else n.message for n in ctx.notes)
        if page_statuses:
            result.notes.append("pages read as: " + ", ".join(
                f"{count:,} {label}" for label, count in sorted(page_statuses.items(), key=lambda kv: (-kv[1], kv[0]))))
        result.items_new, result.items_seen, result.captures = writer.items_new, writer.items_seen, writer.captures
        result.merged, result.conflicts = writer.merged, writer.conflicts
        # A file whose every record failed is an error even when it also noted something (a zone,
        # a repeated header): notes alone excuse an empty file only when nothing failed in it
        # (a "Post not found" answer, an index page, a private chat left out).
        if mapped == 0 and (ctx.failures or not ctx.notes):
            first = next(iter(result.failures.values()), None)
            causes = set(result.failures)
            hint = (CAUSE_HINTS[next(iter(causes))] if len(causes) == 1 and causes <= CAUSE_HINTS.keys() else
                    f"Check that the file is a complete export of the format {importer.name} (see `toolkit formats`)")
            raise InputError(str(path), "no records could be imported" + (f": {first[1]}" if first else ""), hint)
        restore_indexes(conn, deferred)
        if before is not None and _identity(path) != before:
            raise InputError(str(path), f"changed while it was read ({before[0]:,} bytes when the scan began,"
                             f" {os.stat(path).st_size:,} now); nothing of it was kept",
                             "Scan it again once nothing writes to it (a download or sync still running)")
        evidence = None
        if copy is not None:
            # Waits for the copy (its OSError fails and rolls back the file), then records it here:
            # the database is only ever used from this thread.
            case.record_evidence(copy.result())
            evidence = result.sha256
        source_rows.finish(conn, source_id, collected_at=ctx.collected_at or collected_at, read=read, mapped=mapped,
                           failed=ctx.failed, items_new=writer.items_new, items_seen=writer.items_seen,
                           captures=writer.captures,
                           failures={c: {"count": n, "first": d} for c, (n, d) in result.failures.items()},
                           notes=result.notes, evidence=evidence)
        if on_stored is not None:
            on_stored(conn, source_id)
        result.source_id = source_id
        events.seal(conn)
