"""The report's outputs: the formats asked for (md, html, csv, json), each rendered from one built
`Report`, written into the reports folder atomically (staged, then renamed) and recorded in the
custody log."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.collector import rare_collections
from toolkit.dates import utcnow
from toolkit.errors import UsageError
from toolkit.report.build import Evidence, Report, build_report
from toolkit.store import events
from toolkit.store.db import Connection

FORMATS = ("md", "html", "csv", "json")


def parse_formats(values: list[str] | str) -> list[str]:
    """Formats from "md,html" or a list; UsageError naming any unknown one."""
    if isinstance(values, str):
        values = [values]
    found = [v.strip().lower() for value in values for v in value.split(",") if v.strip()]
    unknown = [f for f in found if f not in FORMATS]
    if unknown or not found:
        raise UsageError(f"--format: unknown report format {', '.join(unknown) or '(none)'}",
                         f"Use one or more of {','.join(FORMATS)}, e.g. --format md,csv")
    return [f for f in FORMATS if f in found]


def render(report: Report, formats: list[str], *, bom: bool = True, raw_cells: bool = False) -> dict[str, str]:
    """File name -> content for the chosen formats (CSV: see render_tables.csv_files)."""
    return {name: (data if isinstance(data, bytes) else b"".join(data)).decode()
            for name, data in documents(report, formats, bom=bom, raw_cells=raw_cells)}


def documents(report: Report, formats: list[str], *, bom: bool = True,
              raw_cells: bool = False) -> Iterator[tuple[str, bytes | Iterator[bytes]]]:
    """`render`'s files one format at a time, as UTF-8 bytes (or pieces of bytes, for items.csv and
    items.json): a caller that writes each before asking for the next never holds the whole
    report's text (the item appendix of 100,000 items is about 100 MB of CSV and JSON)."""
    from toolkit.report.render_html import render_html
    from toolkit.report.render_md import render_md
    from toolkit.report.render_tables import csv_documents, json_documents

    if "md" in formats:
        yield "report.md", render_md(report).encode()
    if "html" in formats:
        yield "report.html", render_html(report).encode()
    if "csv" in formats:
        for name, text in csv_documents(report, bom=bom, raw_cells=raw_cells):
            yield name, text.encode() if isinstance(text, str) else (piece.encode() for piece in text)
    if "json" in formats:
        yield from json_documents(report)


@dataclass
class Written:
    report: Report
    folder: Path
    files: list[str]


def write_report(conn: Connection, config: dict[str, dict[str, Any]], as_of: str, folder: Path,
                 formats: list[str], *, redact: bool = False, case_name: str = "",
                 progress: Callable[[str], None] | None = None, bom: bool = True, raw_cells: bool = False,
                 screenshots: Evidence | None = None, root: Path | None = None) -> Written:
    """Compute the report and write the chosen formats into `folder` (created if needed);
    `screenshots` (where evidence files are read) adds the cohort's last screenshots. The report
    event records the folder (`recorded_folder`) so that a purge finds it from the case `root`."""
    with rare_collections():
        report = build_report(conn, config, as_of, redact=redact, case_name=case_name, progress=progress,
                              screenshots=screenshots)
        if progress:
            progress("writing " + ", ".join(formats))
        # Each file is written (and hashed) as soon as it is rendered, then let go.
        found = _write_atomically(folder, documents(report, formats, bom=bom, raw_cells=raw_cells))
    hashes = dict(sorted(found.items()))
    detail = {"as_of": as_of, **recorded_folder(folder, root), "redact": redact, "files": hashes}
    events.record(conn, "report", events.detail_hash(detail), utcnow(), detail)
    return Written(report=report, folder=folder, files=sorted(hashes))


def recorded_folder(folder: Path, root: Path | None) -> dict[str, Any]:
    """How a report event names its folder: relative to the case folder `root` when inside it
    (`in_case`; a copy of the case then names its own copy), else the absolute path. Never the
    path as typed, which only means something from the directory the report was run in."""
    where = folder.resolve()
    if root is not None and where.is_relative_to(root.resolve()):
        return {"folder": where.relative_to(root.resolve()).as_posix(), "in_case": True}
    return {"folder": str(where)}


STAGING = ".staging-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (owned by someone else), or we cannot tell: leave its folder alone
    return True


def _remove_abandoned_staging(parent: Path) -> None:
    """Delete staging folders left by report processes that were killed (their pid is gone)."""
    for leftover in parent.glob(f".*{STAGING}*"):
        pid = leftover.name.rpartition(STAGING)[2].split("-", 1)[0]
        if leftover.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _write_atomically(folder: Path, files: Iterable[tuple[str, bytes | Iterable[bytes]]]) -> dict[str, str]:
    """Write every file into a hidden sibling folder first, then move it into place, so that a
    crash never leaves a half-written report behind (only a hidden staging folder, which the next
    report removes once the process that wrote it is gone). Returns each file's sha256."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(folder.parent)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}{STAGING}{os.getpid()}-"))
    # mkdtemp makes the folder private (0700); a report folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    hashes: dict[str, str] = {}
    try:
        for name, data in files:
            digest = hashlib.sha256()
            with open(staging / name, "wb") as out:
                for piece in [data] if isinstance(data, bytes) else data:
                    out.write(piece)
                    digest.update(piece)
            hashes[name] = digest.hexdigest()
            del data
        if not folder.exists():
            os.replace(staging, folder)
            return hashes
        for name in hashes:  # an existing folder (-o): replace file by file, each atomically
            os.replace(staging / name, folder / name)
        return hashes
    finally:
        shutil.rmtree(staging, ignore_errors=True)
