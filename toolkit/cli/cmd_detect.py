"""`toolkit detect FILE_OR_URL...`: what the platform detectors see in saved pages (or a live URL).

For a researcher debugging a page after a platform changes its wording: the platform, the item
the page shows, the status, and the marker and place that decided it, and what the page is (`page`:
an item's page, a wall in front of one, or not an item: a search or a feed, whose item links are
listed as candidates to track). Extra marker files (`--markers`) are used as a case's
`markers.toml` would be, so new wording can be tried first.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated, Any, Optional
from urllib.parse import urlsplit

import httpx
import typer

from toolkit import __version__
from toolkit.cli import filters
from toolkit.cli.common import BomOpt, CsvStyle, FormatOpt, OutputFormat, RawCellsOpt, emit, err, escape, handle_errors
from toolkit.cli.statuses import status_columns
from toolkit.dates import utcnow
from toolkit.errors import InputError, UsageError
from toolkit.platforms import markers, page_encoding
from toolkit.platforms.detect import PageReading, read_page
from toolkit.sources import registry
from toolkit.sources.base import ReadContext

PAGE_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml", ".mhtml", ".mht"}
# The importers that read one saved page per file.
PAGE_IMPORTERS = {"singlefile", "html", "mhtml"}
MAX_BYTES = 64 * 1024 * 1024
TABLE_COLUMNS = status_columns(["file", "platform", "kind", "key", "status", "marker", "place", "detector", "captures",
                                "page", "candidates"])
# Files holding many pages: `toolkit scan` reads them into a case, page by page.
ARCHIVE_IMPORTERS = {"warc", "wacz", "har"}
JSON_COLUMNS = ["file", "url", "saved_at", "platform", "status", "reason", "marker", "place", "detector",
                "final_url", "http_status", "page", "page_reason", "captures", "candidates"]
CANDIDATE_COLUMNS = ["file", "kind", "key", "name", "url"]


def register(app: typer.Typer) -> None:
    @app.command("detect")
    @handle_errors
    def detect(
        paths: Annotated[list[str], typer.Argument(help="Saved pages (HTML, MHTML), folders of them, or http(s) URLs to fetch once.", show_default=False)],
        url: Annotated[Optional[str], typer.Option(help="The page's URL, when the file does not record it.")] = None,  # noqa: UP045
        platform: Annotated[Optional[str], typer.Option(help="Read with this platform's detector: facebook, instagram, tiktok, telegram, ... (or fb, ig, tg, tt); any case.", show_default=False)] = None,  # noqa: UP045
        marker_files: Annotated[Optional[list[Path]], typer.Option("--markers", help="Extra marker file (TOML); repeatable.")] = None,  # noqa: UP045
        http_status: Annotated[Optional[int], typer.Option("--http-status", help="The HTTP status the page came with.")] = None,  # noqa: UP045
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
    ) -> None:
        """Show what the detectors see in saved pages (or a URL fetched once): platform, item, status, marker, place."""
        from toolkit.platforms.detect import detectors

        if platform is not None:
            platform = filters.platforms(detectors()).parse(platform, "--platform")
            if platform not in detectors():
                raise UsageError(f"--platform: no detector for {platform}", "Use one of: " + ", ".join(detectors()))
        extra = [str(p) for p in marker_files or []]
        for path in extra:
            markers.load_file(path)  # a bad marker file is reported before any page is read
        files = list(_expand(paths))
        if not files:
            raise InputError(", ".join(str(p) for p in paths), "no saved pages found",
                             "Give .html or .mhtml files or folders holding them; read archives (WARC, WACZ, HAR) and "
                             "exports into a case with toolkit scan CASE PATH")
        rows, failures = [], 0
        previous = markers.use_markers(extra)
        try:
            for path in files:
                try:
                    rows.append(_live_row(path, platform) if isinstance(path, str) else _row(path, url, platform, http_status))
                except InputError as exc:
                    failures += 1
                    err.print(f"[red]Error:[/] {escape(exc.message)}")
                    if exc.hint:
                        err.print(f"  {escape(exc.hint)}")
        finally:
            markers.use_markers(previous)
        if failures and not rows:
            raise typer.Exit(1)  # nothing read: no empty table under the errors
        if fmt == OutputFormat.json:
            emit(rows, JSON_COLUMNS, fmt)
        else:
            flat = [{**row, "captures": len(row["captures"]), "candidates": len(row["candidates"]), **_main(row)}
                    for row in rows]
            if fmt == OutputFormat.table:  # the file's name is enough on screen; CSV/JSON keep the path
                flat = [{**row, "file": _shown(row["file"])} for row in flat]
            emit(flat, TABLE_COLUMNS if fmt == OutputFormat.table else [*TABLE_COLUMNS, "url"], fmt,
                 widths={"file": 36, "key": 28, "marker": 40, "reason": 24}, style=CsvStyle(bom, raw_cells))
            links = [{"file": _shown(row["file"]), **link} for row in rows for link in row["candidates"]]
            if links and fmt == OutputFormat.table:
                emit(links, CANDIDATE_COLUMNS, fmt, title="Item links on pages that are not items (no status taken; "
                                                          "toolkit scan records them as items to track)",
                     widths={"file": 36, "key": 28, "name": 40})


def _expand(arguments: list[str]):
    """Saved-page paths (folders walked), and live URLs kept as strings."""
    for argument in arguments:
        if argument.startswith(("http://", "https://")):
            yield argument
            continue
        path = Path(argument)
        if path.is_dir():
            for root, _, names in sorted(os.walk(path)):
                for name in sorted(names):
                    if Path(name).suffix.lower() in PAGE_SUFFIXES:
                        yield Path(root) / name
        else:
            yield path


def _row(path: Path, url: str | None, platform: str | None, http_status: int | None) -> dict[str, Any]:
    """Read a saved page the way `toolkit scan` does (same importers, same URL and date recovery)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(str(path), f"larger than {MAX_BYTES // (1024 * 1024)} MB", "Is this really one saved page?")
        importer = registry.detect(path)
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror or exc.__class__.__name__})",
                         "Check the path and permissions.") from exc
    if importer is not None and importer.name in ARCHIVE_IMPORTERS:
        raise InputError(str(path), f"{importer.description.split(':')[0]}: it holds many pages, and detect reads "
                                    "one saved page",
                         f"Scan it into a case instead: toolkit scan CASE {path}; then toolkit items CASE lists each "
                         "page's item with its status and reason")
    if importer is None or importer.name not in PAGE_IMPORTERS:
        raise InputError(str(path), "not a saved page (HTML, SingleFile or MHTML)",
                         "Give a page saved from the browser, or use toolkit scan for exports")
    record = next((raw for _, raw in importer.read(path, ReadContext(path=path))), None)
    if record is None:
        raise InputError(str(path), "no page in this file", "Save the page again as HTML or MHTML.")
    page_url = url or record["url"]
    saved_at = record["observed_at"]
    reading = read_page(record["body"], page_url, platform=platform, http_status=http_status, observed_at=saved_at)
    return {"file": str(path), "url": page_url, "saved_at": saved_at, **_verdict(reading),
            "captures": [_capture(c) for c in reading.captures], "final_url": None, "http_status": http_status}


LIVE_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
LIVE_MAX_BYTES = 20 * 1024 * 1024


def _redirect_guard(url: str):
    """An httpx request hook refusing (BlockedAddress) a redirect to another host that resolves only
    to a private, loopback or link-local address (a hostile page sending `detect` to a cloud
    metadata service or the researcher's router), as a live recheck refuses it. The host the
    researcher typed is theirs to choose: local test servers are read."""
    from toolkit.recheck.addresses import AddressGuard

    try:
        typed = (urlsplit(url).hostname or "").lower()
    except ValueError:  # not a URL httpx can request either: it says so
        typed = ""
    guard = AddressGuard()

    def check(request: httpx.Request) -> None:
        host = request.url.host.lower()
        if host == typed:
            return
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return  # the request itself fails and says so
        guard.check(host, port, dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))

    return check


def _live_row(url: str, platform: str | None) -> dict[str, Any]:
    """Fetch one URL once (redirects followed, never to a private address on another host) and read
    it; a network failure or a refused redirect is an `error` row, a URL that cannot be requested at
    all (a bad port, an unclosed `[`) an InputError naming it."""
    from toolkit.recheck.addresses import BlockedAddress

    observed = utcnow()
    headers = {"User-Agent": f"toolkit/{__version__} (research; toolkit detect)", "Accept-Language": "es,en;q=0.8"}
    hooks = {"request": [_redirect_guard(url)]}
    try:
        with httpx.Client(follow_redirects=True, timeout=LIVE_TIMEOUT, max_redirects=10, headers=headers,
                          event_hooks=hooks) as client, \
                client.stream("GET", url) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > LIVE_MAX_BYTES:
                    break
            body, final_url, status = b"".join(chunks)[:LIVE_MAX_BYTES], str(response.url), response.status_code
            content_type = response.headers.get("content-type")
    except httpx.InvalidURL as exc:  # not an HTTPError: nothing was sent, so it is no reading at all
        raise InputError(url, f"not a valid URL ({exc})", "Check the URL as typed") from exc
    except (httpx.HTTPError, BlockedAddress) as exc:
        reason = "blocked-address" if isinstance(exc, BlockedAddress) else _NETWORK_ERRORS.get(type(exc), "network-error")
        return {"file": url, "url": url, "saved_at": observed, "platform": platform, "status": "error",
                "reason": reason, "marker": None, "place": None, "detector": None, "captures": [],
                "final_url": None, "http_status": None, "page": None, "page_reason": None, "candidates": []}
    # The page decoder with the response's charset, as a live recheck reads it.
    body, _ = page_encoding.for_parser(body, content_type)
    reading = read_page(body, url, final_url=final_url, http_status=status, platform=platform, observed_at=observed)
    return {"file": url, "url": url, "saved_at": observed, **_verdict(reading),
            "captures": [_capture(c) for c in reading.captures], "final_url": final_url, "http_status": status}


_NETWORK_ERRORS = {httpx.ConnectTimeout: "connect-timeout", httpx.ReadTimeout: "read-timeout",
                   httpx.ConnectError: "connect-error", httpx.TooManyRedirects: "too-many-redirects",
                   httpx.RemoteProtocolError: "protocol-error", httpx.ReadError: "read-error"}


def _verdict(reading: PageReading) -> dict[str, Any]:
    verdict = reading.verdict
    return {"platform": reading.platform, "status": str(verdict.status), "reason": verdict.reason,
            "marker": verdict.marker, "place": verdict.place, "detector": verdict.detector, "page": reading.page,
            "page_reason": reading.page_reason,
            "candidates": [{"kind": str(c.item.kind), "key": c.item.key, "name": c.name, "url": c.item.url}
                           for c in reading.candidates]}


def _shown(file: str) -> str:
    return file if file.startswith(("http://", "https://")) else Path(file).name


def _capture(capture) -> dict[str, Any]:
    return {
        "platform": capture.item.platform, "kind": str(capture.item.kind), "key": capture.item.key,
        "url": capture.item.url, "parent": f"{capture.parent.kind}:{capture.parent.key}" if capture.parent else None,
        "status": str(capture.status) if capture.status else None, "marker": capture.status_marker,
        "place": capture.status_place, "name": capture.name, "text": capture.text[:280] if capture.text else None,
        "followers": capture.followers, "members": capture.members, "likes": capture.likes,
        "created_at": capture.created_at, "country": capture.country, "observed_at": capture.observed_at,
        "fields": capture.fields or None,
    }


def _main(row: dict[str, Any]) -> dict[str, Any]:
    main = row["captures"][0] if row["captures"] else {}
    return {"kind": main.get("kind"), "key": main.get("key")}
