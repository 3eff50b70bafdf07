"""`toolkit scan CASE PATH...`: import exports into the case."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from toolkit.case import Case, open_case
from toolkit.cli.common import CaseArg, QuietOpt, err, escape, handle_errors
from toolkit.dates import given_time
from toolkit.errors import UsageError
from toolkit.lexicon import Tagger, resolve
from toolkit.scan import FileResult, scan_paths
from toolkit.sources.base import OTHER_CAUSES
from toolkit.store import tags, transaction


def register(app: typer.Typer) -> None:
    @app.command("scan")
    @handle_errors
    def scan(
        case: CaseArg,
        paths: Annotated[Optional[list[str]], typer.Argument(help="Files, folders or globs of exports.", show_default=False)] = None,  # noqa: UP045
        fmt: Annotated[Optional[str], typer.Option("--format", help="Force an importer (see `toolkit formats`).")] = None,  # noqa: UP045
        observed_at: Annotated[Optional[str], typer.Option("--observed-at", help="When the exports were saved, for files that do not say (ISO date and time).")] = None,  # noqa: UP045
        collected_at: Annotated[Optional[str], typer.Option("--collected-at", help="The same as --observed-at (older name).")] = None,  # noqa: UP045
        retag: Annotated[bool, typer.Option("--retag", help="Tag the case's existing captures again with the lexicons in case.toml (after a lexicon change); reads no exports.")] = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Read exports (files, folders, globs), find items, tag them with the case's lexicons, and store captures with provenance."""
        if retag and paths:
            raise UsageError("--retag re-tags what the case holds and takes no paths", "Run the scan and the re-tag as two commands")
        if not retag and not paths:
            raise UsageError("no exports given", "Give files, folders or globs to scan, or --retag")
        with open_case(case) as opened:
            tagger = case_tagger(opened)
            if retag:
                _retag(opened, tagger, quiet)
                return
            when = given_time(observed_at, collected_at) or (opened.config["scan"]["collected_at"] or None)
            show_bar = not quiet and sys.stderr.isatty()
            with _progress(show_bar) as bar:
                task_ids: dict[str, int] = {}

                def on_progress(update) -> None:
                    if update.path not in task_ids:
                        task_ids[update.path] = bar.add_task(escape(Path(update.path).name), total=update.total)
                    bar.update(task_ids[update.path], completed=update.done or 0)

                results = scan_paths(opened, paths, fmt=fmt, collected_at=when, tagger=tagger,
                                     progress=on_progress if show_bar else None)
            tagged = tags.categories_for_sources(
                opened.db, [r.source_id for r in results if r.outcome == "imported" and r.source_id is not None])
        if not quiet:
            summarise(results)
            _summarise_tags(tagged)
        failed = [r for r in results if r.outcome == "failed"]
        if failed and quiet:
            for result in failed:
                err.print(f"[red]Error:[/] {escape(result.error or '')}")
        if failed and not any(r.outcome in {"imported", "already"} for r in results):
            raise typer.Exit(1)


def case_tagger(case: Case) -> Tagger:
    """The tagger for the lexicons the case's config names (paths relative to the case folder)."""
    return Tagger(resolve(case.config["scan"]["lexicons"], base=case.root))


def _retag(case: Case, tagger: Tagger, quiet: bool) -> None:
    show_bar = not quiet and sys.stderr.isatty()
    with _progress(show_bar) as bar, transaction(case.db) as conn:
        task = bar.add_task("re-tagging", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = tagger.retag(conn, progress=on_progress if show_bar else None)
    if not quiet:
        err.print(f"Re-tagged {result.tagged:,} of {result.captures:,} captures with "
                  f"{escape(', '.join(lex.ident for lex in tagger.lexicons))}; "
                  f"{result.unchanged:,} already tagged with these lexicons")


def _summarise_tags(tagged: dict[str | None, int]) -> None:
    """One line: how many new captures were tagged, and into which categories."""
    total = sum(tagged.values())
    if not total:
        return
    found = ", ".join(f"{count:,} {escape(category)}" for category, count in sorted(
        ((c, n) for c, n in tagged.items() if c is not None), key=lambda pair: (-pair[1], pair[0])))
    err.print(f"Tagged {total:,} captures: " + (found or "none in a category")
              + " (toolkit items CASE --min-score 50 lists the likely violations)")


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=err, disable=not enabled, transient=True)


def describe_conflict(conflict: dict) -> str:
    """One line: which item claimed which key, what the case knows it as, and why they stay apart."""
    return (f"{conflict['platform']} {conflict['kind']} {conflict['item_key']} (item {conflict['item_id']}) claims "
            f"{conflict['key']}, which the case knows as {conflict['other_key']} (item {conflict['other_id']}): "
            f"kept apart, {conflict['reason']}")


def summarise(results: list[FileResult]) -> None:
    """One closing block per file on stderr: records, items new/seen, failures by cause."""
    unknown = [r.path for r in results if r.outcome == "unknown"]
    for r in results:
        if r.outcome == "imported":
            err.print(
                f"{escape(r.path)}: {r.format}, {r.read:,} records read, {r.mapped:,} mapped, "
                f"{r.items_new:,} new items, {r.items_seen:,} seen before, {r.captures:,} captures"
                + (f", [yellow]{r.failed:,} failed[/]" if r.failed else "")
            )
            for cause, (count, first) in sorted(r.failures.items(), key=lambda kv: (kv[0] == OTHER_CAUSES, kv[0])):
                if cause == OTHER_CAUSES:  # past the limit on distinct causes: counted together
                    err.print(f"  [yellow]and {escape(first)}[/] ({count:,} record(s))")
                else:
                    err.print(f"  [yellow]{count:,} x {escape(cause)}[/]: {escape(first)}")
            for note in r.notes:
                err.print(f"  note: {escape(note)}")
            if r.import_dated:
                err.print(f"  [yellow]note: the file gives no save time: {r.import_dated:,} capture(s) dated at import time"
                          " (left out of time to removal); pass --observed-at DATETIME to say when it was saved[/]")
            if r.merged:
                err.print(f"  note: {r.merged:,} item(s) linked to an item known under another key "
                          "(a numeric id and a vanity name that agree): shown as one")
            for conflict in r.conflicts[:20]:
                err.print(f"  [yellow]identity conflict[/]: {escape(describe_conflict(conflict))}")
            if len(r.conflicts) > 20:
                err.print(f"  [yellow]{len(r.conflicts) - 20:,} more identity conflicts[/] (toolkit show CASE ITEM lists them)")
        elif r.outcome == "already":
            err.print(f"{escape(r.path)}: {'already being' if r.source_id is None else 'already'} imported,"
                      f" nothing added ({escape('; '.join(r.notes))})")
        elif r.outcome == "failed":
            err.print(f"[red]Error:[/] {escape(r.error or 'failed')}")
            if r.hint:
                err.print(f"  {escape(r.hint)}")
    if unknown:
        err.print(f"{len(unknown)} file(s) in no known format, skipped: " + ", ".join(escape(p) for p in unknown[:20])
                  + (" ..." if len(unknown) > 20 else ""))
    imported = [r for r in results if r.outcome == "imported"]
    if len(results) > 1:
        err.print(
            f"Scanned {len(results)} files: {len(imported)} imported, "
            f"{sum(r.outcome == 'already' for r in results)} already imported, "
            f"{sum(r.outcome == 'failed' for r in results)} failed, {len(unknown)} unknown; "
            f"{sum(r.items_new for r in imported):,} new items, {sum(r.captures for r in imported):,} captures"
        )
