"""`toolkit capture CASE URL...|--from FILE`: load pages in a real browser and keep each one as a
source (rendered HTML, screenshot, MHTML snapshot), read and tagged like a saved page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, QuietOpt, emit, err, escape, handle_errors
from toolkit.cli.progress import counting_bar, counts_text
from toolkit.errors import UsageError

Opt = typer.Option


def register(app: typer.Typer) -> None:
    @app.command("capture")
    @handle_errors
    def capture(
        case: CaseArg,
        urls: Annotated[Optional[list[str]], typer.Argument(help="URLs to capture.", show_default=False)] = None,  # noqa: UP045
        from_file: Annotated[Optional[Path], Opt("--from", help="A URL list: one URL per line, or a CSV with a url column (and platform).")] = None,  # noqa: UP045
        platform: Annotated[Optional[str], Opt("--platform", help="Read the pages as this platform's (for mirrors; default: from each URL's host).")] = None,  # noqa: UP045
        again: Annotated[bool, Opt("--again", help="Capture every URL anew, also those captured before.")] = False,
        logged_out: Annotated[bool, Opt("--logged-out", help="Use a fresh, empty browser profile instead of the case's logged-in one.")] = False,
        interval: Annotated[Optional[float], Opt("--interval", help="Seconds between page loads on one host (default: per_host_interval in case.toml).")] = None,  # noqa: UP045
        pages: Annotated[Optional[int], Opt("--pages", help="Pages loading at once (default: [browser] pages, 2).")] = None,  # noqa: UP045
        timeout: Annotated[Optional[float], Opt("--timeout", help="Seconds for a page to load (default: [browser] navigation_timeout).")] = None,  # noqa: UP045
        settle: Annotated[Optional[float], Opt("--settle", help="Seconds to wait for a page to settle (default: [browser] settle_timeout).")] = None,  # noqa: UP045
        retries: Annotated[Optional[int], Opt("--retries", help="Loads tried again after a failure.")] = None,  # noqa: UP045
        fmt: FormatOpt = OutputFormat.table,
        quiet: QuietOpt = False,
    ) -> None:
        """Load pages in a real browser and keep each as a source: rendered HTML, screenshot and MHTML, read like a saved page."""
        from toolkit.browser.capture import Target, normalise_url, pending, run_capture, targets_from_file
        from toolkit.browser.options import pacing
        from toolkit.cli.browser_run import browser_options
        from toolkit.platforms.registry import platforms
        from toolkit.scan.pipeline import LazyTagger

        if platform is not None and platform not in platforms():
            raise UsageError(f"--platform: unknown platform {platform!r}", f"Known platforms: {', '.join(sorted(platforms()))}")
        targets = [Target(normalise_url(url), platform) for url in urls or []]
        if from_file is not None:
            listed, problems = targets_from_file(from_file, platform)
            for problem in problems:
                err.print(f"[yellow]Skipped:[/] {escape(problem)}")
            targets += listed
        if not targets:
            raise UsageError("no URL to capture", "Give URLs, or a file of URLs with --from FILE")
        with open_case(case) as opened:
            options = browser_options(opened, logged_out=logged_out, quiet=quiet, pages=pages,
                                      navigation_timeout=timeout, settle_timeout=settle)
            fetch = pacing(opened.config, options, per_host_interval=interval, retries=retries)
            todo, skipped = pending(opened, targets, again=again)
            if skipped and not quiet:
                err.print(f"{skipped} URL(s) captured before with a known state are skipped (--again captures them anew)")
            if not todo:
                return
            show = not quiet and sys.stderr.isatty()
            rows: list[dict] = []
            try:
                with counting_bar("capture", show) as bar:
                    task = bar.add_task("capture", total=len(todo), counts="")

                    def on_capture(outcome, stats) -> None:
                        rows.append({"url": outcome.target.url, "outcome": outcome.outcome,
                                     "status": outcome.status or outcome.reason, "source": outcome.source_id})
                        if outcome.paused_host:
                            err.print(f"[yellow]Paused {escape(outcome.paused_host)}:[/] {opened.config['browser']['wall_streak']} "
                                      f"walls in a row ({escape(outcome.status or '')}); its other URLs wait for the next run. "
                                      "If the session is logged out: toolkit browser login CASE")
                        bar.update(task, advance=1, counts=escape(counts_text(stats.counts)))

                    stats = run_capture(opened, todo, options, fetch, tagger=LazyTagger(opened),
                                        on_capture=on_capture)
            except KeyboardInterrupt:
                done = sum(1 for row in rows if row["outcome"] == "captured")
                err.print(f"Interrupted: {done} capture(s) are saved. Run the same command again to continue.")
                raise typer.Exit(130) from None
        emit(rows, ["url", "outcome", "status", "source"], fmt, title="Captures")
        if not quiet:
            err.print(f"{stats.captured} captured, {stats.failed} failed, {stats.paused} left for the next run"
                      f" ({escape(stats.browser)})")
            for outcome in stats.errors:
                if outcome.error:
                    err.print(f"  [red]{escape(outcome.target.url)}[/]: {escape(outcome.error)}")
        if stats.captured == 0 and stats.failed:
            raise typer.Exit(1)
