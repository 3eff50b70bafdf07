"""`toolkit scan CASE PATH...`: import exports into the case."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from toolkit.case import Case, open_case
from toolkit.cli.common import CaseArg, QuietOpt, err, escape, handle_errors
from toolkit.cli.progress import file_bars, file_progress, summarise
from toolkit.dates import given_time
from toolkit.errors import UsageError
from toolkit.scan.pipeline import case_tagger, retag, scan_paths
from toolkit.store import tags


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
            with file_bars(show_bar) as on_progress:
                results = scan_paths(opened, paths, fmt=fmt, collected_at=when, tagger=tagger, progress=on_progress)
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


def _retag(case: Case, tagger, quiet: bool) -> None:
    show_bar = not quiet and sys.stderr.isatty()
    with file_progress(show_bar) as bar:
        task = bar.add_task("re-tagging", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = retag(case, tagger, progress=on_progress if show_bar else None)
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
