"""WACZ web archives (Webrecorder ArchiveWeb.page, Browsertrix): a ZIP of WARCs with a manifest.

`datapackage.json` lists every resource with its sha256; each is checked while it is streamed and
a mismatch is reported (`hash-mismatch`) while the file is still read: a damaged archive still
holds evidence, and the report says it is damaged. `pages/pages.jsonl` (and Browsertrix's
`pages/extraPages.jsonl`) list the pages the researcher or crawler visited, with their titles: the
HTML responses at those URLs in `archive/*.warc[.gz]` are read as in a WARC file, and the other HTML
responses (frames, widgets, error pages of subresources) are counted in a note. Without a page
list, every HTML response is read.

Nothing is extracted to disk: entries are streamed from the ZIP. Entries whose names are absolute
or climb out with `..` are refused (`unsafe-path`), and entries whose declared size is far beyond
what their compressed size can honestly hold (a ZIP bomb) or beyond the bounds below are refused
(`too-large`) unread; no entry is read past its bound whatever its header says. Everything the
file inflates to, however deeply nested (a .warc.gz stored in the ZIP, a gzip body in a WARC, a
revisit read again), is spent from one expansion budget (`toolkit.safeio`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.errors import InputError
from toolkit.models import Capture, DateSource
from toolkit.safeio import (
    ExpansionBudget,
    check_json,
    limit,
    open_member,
    open_zip_entry,
    read_zip_entry,
    skip_line,
    unsafe_name,
    zip_entry_problem,
)
from toolkit.sources import _page_containers as _pages
from toolkit.sources.base import Importer, ReadContext
from toolkit.sources.registry import register
from toolkit.sources.warc import warc_pages

MAX_MANIFEST_BYTES = 8 << 20  # datapackage.json (parsed whole: JSON costs up to ~36x its bytes)
MAX_PAGES_BYTES = 256 << 20  # pages.jsonl, read a line at a time
MAX_ENTRY_BYTES = 64 << 30  # one WARC inside a WACZ
HASH_CHUNK = 1 << 20


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    with stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _declared_hash(resource: dict[str, Any]) -> str | None:
    """The sha256 a datapackage resource declares (WACZ 1.1 `hash: "sha256:..."`, 1.0 `stats.hash`)."""
    value = resource.get("hash")
    if isinstance(value, str):
        algorithm, _, digest = value.partition(":")
        return digest.lower() if digest and algorithm.lower() == "sha256" else None
    stats = resource.get("stats")
    if isinstance(stats, dict) and isinstance(stats.get("hash"), str) and resource.get("hashing", "sha256") == "sha256":
        return stats["hash"].lower()
    return None


def _json(data: bytes, name: str, path: Path) -> Any:
    """A small JSON entry, parsed whole after its depth is checked."""
    check_json(data, f"{path}: {name}")
    return json.loads(data)


@register
class Wacz(Importer):
    name = "wacz"
    version = "1"
    description = "WACZ web archive (ZIP with datapackage.json): hashes checked, every archived HTML page read"
    priority = 75
    date_source = DateSource.PAGE_HEADER  # the save time the page, archive or HAR records

    def sniff(self, path: Path, head: bytes) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        if path.suffix.lower() == ".wacz":
            return True
        if path.suffix.lower() != ".zip":
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                return "datapackage.json" in archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return False

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as handle:
            try:
                archive = zipfile.ZipFile(handle)
            except zipfile.BadZipFile as exc:
                raise InputError(str(path), f"not a readable ZIP archive ({exc})",
                                 "Download the WACZ again; the file is damaged or incomplete") from exc
            with archive:
                yield from self._read_archive(archive, path, ctx)

    def _read_archive(self, archive: zipfile.ZipFile, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        entries: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if unsafe_name(info.filename):
                ctx.fail("unsafe-path", f"entry {info.filename!r} points outside the archive: refused, not read")
            elif not info.is_dir():
                entries[info.filename] = info
        # Everything inflated from this file, at any depth (a .warc.gz inside the ZIP, a gzip body
        # inside the WARC, a revisit read again), is spent from one budget.
        budget = ExpansionBudget(str(path), path.stat().st_size)
        resources = self._manifest(archive, entries, path, ctx, budget)
        pages = self._pages(archive, entries, path, ctx)
        warcs = sorted(name for name in entries if name.startswith("archive/")
                       and name.lower().endswith((".warc", ".warc.gz")))
        if not warcs:
            raise InputError(str(path), "no archive/*.warc or *.warc.gz inside this WACZ",
                             "Check that the file is a complete WACZ export")
        originals: dict[str, Any] = {}  # pages read, for revisits across the WACZ's WARCs
        for name in warcs:
            info = entries[name]
            problem = zip_entry_problem(info, MAX_ENTRY_BYTES)
            if problem:
                ctx.fail("too-large", problem)
                continue
            self._check(archive, info, resources.get(name), ctx, path, budget)

            def reopen(info: zipfile.ZipInfo = info) -> BinaryIO:
                return open_member(archive, info, str(path), budget)

            with reopen() as stream:
                yield from warc_pages(stream, ctx, name, pages, container="wacz", originals=originals,
                                      reopen=reopen, budget=budget)

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return _pages.page_captures(raw)

    def _manifest(self, archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], path: Path,
                  ctx: ReadContext, budget: ExpansionBudget) -> dict[str, dict[str, Any]]:
        """The resources datapackage.json declares, by path; the small ones are checked here."""
        info = entries.get("datapackage.json")
        if info is None:
            raise InputError(str(path), "no datapackage.json in this ZIP", "A WACZ always has one; export it again")
        try:
            data = read_zip_entry(archive, info, MAX_MANIFEST_BYTES)
        except ValueError as exc:
            raise InputError(str(path), str(exc), "This is not a WACZ a crawler would write") from exc
        try:
            package = _json(data, "datapackage.json", path)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(str(path), f"datapackage.json is not valid JSON ({exc})", "Export the WACZ again") from exc
        digest_info = entries.get("datapackage-digest.json")
        if digest_info is not None:
            try:
                signed = _json(read_zip_entry(archive, digest_info, MAX_MANIFEST_BYTES), "datapackage-digest.json", path)
            except (ValueError, InputError):
                signed = {}
            declared = _declared_hash(signed) if isinstance(signed, dict) else None
            if declared and declared != hashlib.sha256(data).hexdigest():
                ctx.fail("hash-mismatch", "datapackage.json does not match datapackage-digest.json (read anyway)")
            if isinstance(signed, dict) and signed.get("signedData"):
                ctx.note("signed WACZ: hashes checked, the signature itself is not verified")
        created = package.get("created") if isinstance(package, dict) else None
        if isinstance(created, str) and _pages.iso_time(created):
            ctx.collected_at = _pages.iso_time(created)
        resources = {}
        for resource in package.get("resources", []) if isinstance(package, dict) else []:
            if isinstance(resource, dict) and isinstance(resource.get("path"), str):
                resources[resource["path"]] = resource
        for name, resource in resources.items():
            if unsafe_name(name):
                continue
            if name not in entries:
                ctx.fail("missing-resource", f"datapackage.json lists {name}, which is not in the archive")
            elif not name.startswith("archive/"):
                self._check(archive, entries[name], resource, ctx, path, budget)
        return resources

    def _check(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, resource: dict[str, Any] | None,
               ctx: ReadContext, path: Path, budget: ExpansionBudget) -> None:
        declared = _declared_hash(resource) if resource else None
        if declared is None:
            if resource is None:
                ctx.note(f"{info.filename} is not listed in datapackage.json: its integrity cannot be checked")
            return
        if zip_entry_problem(info, MAX_ENTRY_BYTES):
            return
        actual = _sha256(open_member(archive, info, str(path), budget))
        if actual != declared:
            ctx.fail("hash-mismatch", f"{info.filename}: sha256 {actual[:16]}... differs from the declared "
                                      f"{declared[:16]}... (the archive was altered or damaged; read anyway)")

    def _pages(self, archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], path: Path,
               ctx: ReadContext) -> dict[str, dict[str, Any]]:
        """URL -> {title, ts} from pages/pages.jsonl and pages/extraPages.jsonl (Browsertrix lists
        its seeds in the first and the other pages it crawled in the second); the first line of
        each is the format header. Read a line at a time, each line bounded (`text_line_bytes`)."""
        pages: dict[str, dict[str, Any]] = {}
        most = limit("text_line_bytes")
        for name in ("pages/pages.jsonl", "pages/extraPages.jsonl"):
            info = entries.get(name)
            if info is None:
                continue
            problem = zip_entry_problem(info, MAX_PAGES_BYTES)
            if problem:
                ctx.fail("too-large", problem)
                continue
            with open_zip_entry(archive, info, MAX_PAGES_BYTES) as stream:
                number = 0
                try:
                    while line := stream.readline(most + 1):
                        number += 1
                        if len(line) > most and not line.endswith(b"\n"):
                            skip_line(stream)
                            ctx.fail("bad-pages-line", f"{name} line {number} is longer than {most:,} bytes "
                                                       "(limit text_line_bytes)", number)
                            continue
                        if not line.strip():
                            continue
                        try:
                            check_json(line, f"{path}: {name}")
                            entry = json.loads(line)
                        except (json.JSONDecodeError, UnicodeDecodeError, InputError):
                            ctx.fail("bad-pages-line", f"{name} line {number} is not JSON", number)
                            continue
                        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                            pages.setdefault(entry["url"], {"title": entry.get("title"), "ts": entry.get("ts")})
                except ValueError as exc:  # inflated past what its header declared
                    ctx.fail("too-large", str(exc))
        return pages
