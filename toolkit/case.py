"""A case folder on disk: `case.toml` (validated), `case.db` (SQLite) and `evidence/`.

    cases/<name>/
      case.toml   options, validated on load: unknown keys and wrong types are named
      case.db     the whole state of the case (toolkit.store)
      evidence/   content-addressed, gzip-compressed copies of imported files and fetched pages
      reports/    generated reports
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isal import igzip, isal_zlib

from toolkit import __version__
from toolkit.atomic_write import write_whole
from toolkit.dates import utcnow
from toolkit.errors import CaseError, InputError
from toolkit.store import connect, events, meta, transaction
from toolkit.store import evidence as evidence_rows
from toolkit.store.db import Connection

CONFIG_NAME = "case.toml"
DB_NAME = "case.db"
EVIDENCE_DIR = "evidence"

# table -> key -> (type(s), default). The single place where case.toml options are declared.
CONFIG_SPEC: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "case": {
        "name": ((str,), ""),
        "description": ((str,), ""),
    },
    "scan": {
        "lexicons": ((list,), ["default"]),
        "model": ((str,), "none"),
        "keep_evidence": ((bool,), True),
        "collected_at": ((str,), ""),
    },
    "recheck": {
        "per_host_interval": ((int, float), 5.0),
        "per_host_concurrency": ((int,), 1),
        "concurrency": ((int,), 8),
        "connect_timeout": ((int, float), 10.0),
        "read_timeout": ((int, float), 30.0),
        "retries": ((int,), 3),
        "max_redirects": ((int,), 10),
        "max_body_mb": ((int, float), 20),
        "user_agent": ((str,), ""),
        "proxy": ((str,), ""),
        "cookies": ((str,), ""),
        "allow_private_hosts": ((bool, list), False),
    },
    "browser": {
        "executable": ((str,), ""),
        "profile": ((str,), ""),
        "pages": ((int,), 2),
        "navigation_timeout": ((int, float), 30.0),
        "settle_timeout": ((int, float), 10.0),
        "scroll_screens": ((int,), 3),
        "screenshots": ((str,), "all"),
        "screenshot_scale": ((int, float), 1.0),
        "max_screenshot_height": ((int,), 12000),
        "wall_streak": ((int,), 3),
        "second_look": ((int, float), 2.0),
    },
    "review": {
        "min_score": ((int, float), 20),
    },
    "confirm": {
        "rule": ((str,), "consecutive"),
        "waves": ((int,), 2),
        "days": ((int,), 0),
    },
    "report": {
        "redact": ((bool,), False),
        "formats": ((list,), ["md", "html", "csv", "json"]),
    },
    "waves": {
        "max_span_days": ((int, float), 7),
    },
    # Besides `every`, one key per platform: a list of canary URLs (see PLATFORM_LISTS).
    "canary": {
        "every": ((int,), 100),
    },
}
# Tables that also take one key per platform name, each a list of URLs.
PLATFORM_LISTS = {"canary"}

CONFIG_TEMPLATE = """\
# toolkit case file. Every key is optional; the values shown are the defaults.
# toolkit checks this file on every command and names any key it does not know.

[case]
name = {name}
# What this investigation is about, for the report's methodology section.
description = ""

[scan]
# Lexicons used to tag captures: shipped names ("default" = every shipped lexicon)
# or paths to your own TOML lexicons, relative to this folder.
lexicons = ["default"]
# An offer model scoring besides the lexicons (docs/lexicons.md, "The offer model"): "none",
# "default" (the shipped one) or the path of your own (`toolkit lexicon train`).
model = "default"
# Keep a compressed, content-addressed copy of every imported file under evidence/.
keep_evidence = true
# When the exports do not say when they were collected, use this ISO date (else: the import time).
collected_at = ""

[recheck]
# Politeness per host: seconds between requests, and requests in flight at once.
per_host_interval = 5.0
per_host_concurrency = 1
# Requests in flight across all hosts.
concurrency = 8
connect_timeout = 10.0
read_timeout = 30.0
retries = 3
max_redirects = 10
max_body_mb = 20
# Leave empty for toolkit's own User-Agent.
user_agent = ""
proxy = ""
# A Netscape cookies.txt (a logged-in browser session). Never copied into the case.
cookies = ""
# Live rechecks never connect to loopback, private or link-local addresses (an item URL from a
# hostile page could point there). true allows all of them; a list such as ["127.0.0.1:8001"]
# allows only those hosts (a local test server, a mirror on your network).
allow_private_hosts = false

[browser]
# A real browser (toolkit capture, recheck --method browser, browser login; see docs/browser.md).
# Chromium to drive: empty = the system's chromium, else Playwright's own.
executable = ""
# The persistent profile holding a logged-in research session: a name (a folder under your user
# data folder) or a path outside this case folder. Empty = "default". Never share a profile.
profile = ""
# Pages loading at once, and seconds to wait for a page to load and then to settle.
pages = 2
navigation_timeout = 30.0
settle_timeout = 10.0
# Screens scrolled on platforms that load more as one scrolls (Facebook, Instagram, TikTok).
scroll_screens = 3
# Screenshots kept by browser rechecks: "all", "changed" (status differs from the item's
# previous check) or "none"; scale 0.5 halves width and height; taller pages are cut.
screenshots = "all"
screenshot_scale = 1.0
max_screenshot_height = 12000
# Walls (login, checkpoint, block) in a row on one host that pause that host (0 = never).
wall_streak = 3
# Seconds after a browser recheck reads a page as gone to read it again: a page that changes in
# that time is an error, never a removal. 0 = read once.
second_look = 2.0

[review]
# `toolkit review` walks candidates scoring at least this (0-100) unless --min-score says otherwise,
# and says how many it left out. 20 is about one strong term; 0 walks every item.
min_score = 20

[confirm]
# When is an item confirmed gone: "consecutive" (gone in `waves` consecutive waves)
# or "days" (gone at checks spanning at least `days` days).
rule = "consecutive"
waves = 2
days = 0

[report]
redact = false
formats = ["md", "html", "csv", "json"]

[waves]
# A wave whose checks span more days than this is flagged in `toolkit waves` and the report.
max_span_days = 7

[canary]
# Known-live control items, per platform: public pages that stay up, e.g.
#   facebook = ["https://www.facebook.com/..."]
# (or: toolkit canary add CASE URL --platform facebook). A live wave reads them before its first
# check, every `every` checks and after its last; while a platform's canaries do not read live, its
# checks are blind and count as unknown. Saved pages of canaries do the same in a recheck from exports.
every = 100
"""


def validate_config(data: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Check `data` against CONFIG_SPEC and return it with defaults filled in.

    Raises CaseError naming the first unknown table or key, or the key with the wrong type.
    """
    config: dict[str, dict[str, Any]] = {}
    for table, value in data.items():
        if table not in CONFIG_SPEC:
            raise CaseError(
                f"{path}: unknown table [{table}]",
                f"Known tables: {', '.join(sorted(CONFIG_SPEC))}",
            )
        if not isinstance(value, dict):
            raise CaseError(f"{path}: '{table}' must be a table ([{table}])", "See the comments in case.toml")
    for table, spec in CONFIG_SPEC.items():
        given = data.get(table, {})
        for key in given:
            if table in PLATFORM_LISTS and key not in spec:
                _check_platform_list(path, table, key, given[key])
                continue
            if key not in spec:
                raise CaseError(
                    f"{path}: unknown key '{table}.{key}'",
                    f"Known keys in [{table}]: {', '.join(sorted(spec))}",
                )
        config[table] = {}
        for key, (types, default) in spec.items():
            value = given.get(key, default)
            # bool is an int in Python: refuse true/false where a number is expected.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                wanted = " or ".join(t.__name__ for t in types)
                raise CaseError(
                    f"{path}: '{table}.{key}' must be {wanted}, not {type(value).__name__} ({value!r})",
                    f"Fix the value of {key} under [{table}]",
                )
            config[table][key] = value
        if table in PLATFORM_LISTS:
            config[table].update({key: list(value) for key, value in given.items() if key not in spec})
    return config


def _check_platform_list(path: Path, table: str, key: str, value: Any) -> None:
    """A `platform = ["URL", ...]` entry: a known platform and a list of http(s) URLs."""
    from toolkit.platforms import platforms  # only when the table has such keys

    known = sorted(platforms())
    if key not in known:
        raise CaseError(f"{path}: unknown platform '{table}.{key}'", f"Known platforms in [{table}]: {', '.join(known)}")
    if not isinstance(value, list) or not all(isinstance(v, str) and v.lower().startswith(("http://", "https://"))
                                              for v in value):
        raise CaseError(f"{path}: '{table}.{key}' must be a list of http(s) URLs, not {value!r}",
                        f"Write it as {key} = [\"https://...\"] under [{table}]")


@dataclass
class Case:
    """An opened case: its folder, validated config and database connection."""

    root: Path
    config: dict[str, dict[str, Any]]
    db: Connection

    @property
    def evidence_dir(self) -> Path:
        return self.root / EVIDENCE_DIR

    @property
    def name(self) -> str:
        return self.config["case"]["name"] or self.root.name

    def close(self) -> None:
        """Chain what this command recorded into the custody log, then close the database."""
        try:
            if events.pending(self.db):  # rows written outside a transaction (every write seals its own)
                events.seal(self.db, utcnow())
        finally:
            self.db.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evidence_path(self, sha256: str) -> Path:
        """Where the compressed copy of content with this sha256 lives."""
        return self.evidence_dir / sha256[:2] / f"{sha256}.gz"

    def read_evidence(self, sha256: str, limit: int = 64 << 20) -> bytes:
        """The content of the evidence file kept under `sha256`, decompressed, checked against its
        name. CaseError when it is missing, damaged, changed or larger than `limit` bytes."""
        path = self.evidence_path(sha256)
        try:
            with igzip.open(path, "rb") as gz:
                data = gz.read(limit + 1)
        except FileNotFoundError:
            raise CaseError(f"evidence {sha256[:12]}... is missing from {self.evidence_dir}",
                            "Run toolkit verify CASE to see what else is missing") from None
        except (OSError, EOFError) as exc:
            raise CaseError(f"evidence {sha256[:12]}... cannot be read ({exc})", "Run toolkit verify CASE") from None
        if len(data) > limit:
            raise CaseError(f"evidence {sha256[:12]}... is larger than {limit >> 20} MB", "Open it with gzip -dc")
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CaseError(f"evidence {sha256[:12]}... was changed (its content does not match its name)",
                            "Run toolkit verify CASE")
        return data

    def keep_evidence(self, source: Path, sha256: str) -> Path:
        """Store a gzip copy of the file `source` under evidence/ by its sha256 and record it."""
        stored = self.copy_evidence_file(source, sha256)
        self.record_evidence(stored)
        return stored.path

    def copy_evidence_file(self, source: Path, sha256: str) -> StoredEvidence:
        """Only the file half of keep_evidence: safe to run in a worker thread (no database use);
        the caller records the result with `record_evidence` on its own thread.

        The bytes copied must hash to `sha256`: a file that changed since it was hashed (still
        being written, appended to) raises InputError and no copy is kept."""

        def copy(gz: gzip.GzipFile) -> None:
            digest = hashlib.sha256()
            with open(source, "rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    gz.write(chunk)
            if digest.hexdigest() != sha256:
                raise InputError(str(source), "changed while it was read (its bytes no longer hash as when the"
                                 " scan began)", "Scan it again once nothing writes to it (a download or sync still running)")

        return self._write_evidence(sha256, copy, level=1)

    def keep_evidence_bytes(self, data: bytes) -> str:
        """Store `data` compressed under evidence/, record it, and return its sha256."""
        stored = self.store_evidence_bytes(data)
        self.record_evidence(stored)
        return stored.sha256

    def store_evidence_bytes(self, data: bytes) -> StoredEvidence:
        """Only the file half of keep_evidence_bytes; record it with `record_evidence` in the
        transaction that uses it, so the row and what refers to it are committed together."""
        return self._write_evidence(hashlib.sha256(data).hexdigest(), lambda gz: gz.write(data), level=6)

    def record_evidence(self, stored: StoredEvidence) -> None:
        """Record the sha256 of the stored (compressed) bytes in the `evidence` table, so that
        `toolkit verify` notices a change to any byte of the file.

        Outside a transaction it opens its own through begin_write, so that while another command
        writes the case this one waits (and says so) rather than failing with "database is locked".
        """
        row = (stored.sha256, stored.stored_sha256, stored.stored_size, utcnow())
        if self.db.in_transaction:
            evidence_rows.record(self.db, *row)
            return
        with transaction(self.db):
            evidence_rows.record(self.db, *row)

    def _write_evidence(self, sha256: str, fill, level: int) -> StoredEvidence:
        """Write evidence through a temporary file and rename, so a crash never leaves half a copy.
        A copy already there (e.g. left by a run that was rolled back) is hashed as it is."""
        target = self.evidence_path(sha256)
        if target.exists():
            hashing = _HashingWriter(None)
            with open(target, "rb") as stored:
                while chunk := stored.read(1 << 20):
                    hashing.write(chunk)
            return StoredEvidence(target, sha256, hashing.digest.hexdigest(), hashing.size)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as raw:
                hashing = _HashingWriter(raw)
                # ISA-L writes the same gzip format about four times faster than zlib at the fast
                # levels (0-3): a folder scan copies every file it reads.
                opener = igzip.IGzipFile if level <= isal_zlib.ISAL_BEST_COMPRESSION else gzip.GzipFile
                with opener(fileobj=hashing, mode="wb", compresslevel=level, mtime=0) as gz:
                    fill(gz)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredEvidence(target, sha256, hashing.digest.hexdigest(), hashing.size)


@dataclass(frozen=True)
class StoredEvidence:
    """A file under evidence/: where, the sha256 of its content (its name) and of its bytes."""

    path: Path
    sha256: str
    stored_sha256: str
    stored_size: int


class _HashingWriter:
    """A write-only file object that hashes what passes through it."""

    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data) if self.raw is not None else len(data)

    def flush(self) -> None:
        if self.raw is not None:
            self.raw.flush()


def load_config(root: Path) -> dict[str, dict[str, Any]]:
    """Read and validate `root/case.toml`."""
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CaseError(f"{root}: not a case folder (no {CONFIG_NAME})", "Create one with: toolkit init CASE") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: not valid TOML ({exc})", "Fix the syntax of case.toml") from exc
    return validate_config(data, path)


def open_case(root: str | Path) -> Case:
    """Open an existing case folder, validating case.toml and migrating case.db."""
    root = Path(root)
    if not root.is_dir():
        raise CaseError(f"{root}: no such case folder", "Create it with: toolkit init CASE")
    config = load_config(root)
    # A folder with a case.toml but no database yet (a case shared as its config, like
    # cases/example) starts with an empty database.
    (root / EVIDENCE_DIR).mkdir(exist_ok=True)
    db = connect(root / DB_NAME, create=True)
    _record_context(db, root, config)
    return Case(root=root, config=config, db=db)


def _record_context(db: Connection, root: Path, config: dict[str, dict[str, Any]]) -> None:
    """Let the custody log name the files in force when this command first writes (computed then:
    a command that only reads never hashes them)."""
    from toolkit.context import case_context

    db.context_source = lambda: case_context(root, config)


def init_case(root: str | Path) -> Case:
    """Create a case folder with a commented case.toml, an empty database and evidence/.

    Refuses a folder that already holds a case; an existing empty folder is fine.
    """
    root = Path(root)
    if (root / CONFIG_NAME).exists() or (root / DB_NAME).exists():
        raise CaseError(f"{root}: a case already exists here", "Use it as it is, or choose another folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / EVIDENCE_DIR).mkdir(exist_ok=True)
    import tomlkit  # a folder name may hold quotes, backslashes or line breaks: written as a TOML string

    name = tomlkit.string(root.resolve().name).as_string()
    (root / CONFIG_NAME).write_text(CONFIG_TEMPLATE.format(name=name), encoding="utf-8")
    db = connect(root / DB_NAME, create=True)
    config = load_config(root)
    _record_context(db, root, config)
    with transaction(db):
        meta.record_creation(db, utcnow(), f"toolkit {__version__}")
    return Case(root=root, config=config, db=db)


def add_canary(root: str | Path, platform: str, url: str) -> bool:
    """Add `url` to the canaries of `platform` in `root/case.toml` (comments and layout kept);
    return False when it was already there. The file is replaced atomically and validated first."""
    import tomlkit  # only this command edits case.toml

    root = Path(root)
    path = root / CONFIG_NAME
    load_config(root)  # refuse to edit a file that is not valid as it is
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    table = document.get("canary")
    if table is None:
        table = tomlkit.table()
        document["canary"] = table
    urls = table.get(platform)
    if urls is not None and url in list(urls):
        return False
    if urls is None:
        table[platform] = tomlkit.array()
        urls = table[platform]
    urls.append(url)
    text = tomlkit.dumps(document)
    validate_config(tomllib.loads(text), path)
    write_whole(path, text.encode("utf-8"))
    return True
