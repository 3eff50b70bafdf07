"""`toolkit recheck CASE [PATH...]`: observe tracked items again in a named wave.

Live over HTTP (default), through a real browser (--method browser), from later exports (PATH...),
by hand (--manual) or from the Wayback Machine (--wayback). One mode per run; run several modes
under the same --wave name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import TextColumn

from toolkit.case import open_case
from toolkit.cli import filters
from toolkit.cli.common import (
    BomOpt,
    CaseArg,
    CsvStyle,
    FormatOpt,
    OutputFormat,
    QuietOpt,
    RawCellsOpt,
    emit,
    err,
    escape,
    handle_errors,
    printable,
)
from toolkit.cli.progress import counting_bar, counts_text, file_bars, summarise
from toolkit.cli.statuses import reason_counts
from toolkit.models import Method, Status
from toolkit.recheck.fetch import FetchFlags
from toolkit.recheck.plan import RecheckPlan, RecheckRun, Selection, wayback_stamp
from toolkit.recheck.waves import RecheckLock
from toolkit.scan.pipeline import LazyTagger

Opt = typer.Option


def register(app: typer.Typer) -> None:
    @app.command("recheck")
    @handle_errors
    def recheck(
        case: CaseArg,
        paths: Annotated[Optional[list[str]], typer.Argument(help="Later exports or saved pages to recheck from (files, folders, globs).", show_default=False)] = None,  # noqa: UP045
        wave: Annotated[Optional[str], Opt("--wave", help="Wave name (default: today's date, UTC).")] = None,  # noqa: UP045
        live: Annotated[bool, Opt("--live", help="Fetch each item's URL (the default when no PATH is given).")] = False,
        method_name: Annotated[Optional[str], Opt("--method", help="live (fetch over HTTP) or browser (load in Chromium, with the logged-in profile, a screenshot per check); manual and wayback as their flags.")] = None,  # noqa: UP045
        logged_out: Annotated[bool, Opt("--logged-out", help="With --method browser: a fresh, empty profile instead of the logged-in one.")] = False,
        manual: Annotated[bool, Opt("--manual", help="Ask you about each item, one key per answer.")] = False,
        wayback: Annotated[bool, Opt("--wayback", help="Look items up in the Wayback Machine.")] = False,
        save: Annotated[bool, Opt("--save", help="With --wayback: ask Save Page Now to archive items live in this wave.")] = False,
        everything: Annotated[bool, Opt("--all", help="Every tracked item, not only the confirmed cohort (verdict violating).")] = False,
        platform: Annotated[Optional[str], Opt(help=filters.PLATFORM_HELP, show_default=False)] = None,  # noqa: UP045
        kind: Annotated[Optional[str], Opt(help=filters.KIND_HELP, show_default=False)] = None,  # noqa: UP045
        item: Annotated[Optional[list[int]], Opt("--item", help="This item id, whatever its verdict (repeatable).")] = None,  # noqa: UP045
        retry_errors: Annotated[bool, Opt("--retry-errors", help="Fetch again items whose check in this wave is error or rate_limited.")] = False,
        interval: Annotated[Optional[float], Opt("--interval", help="Seconds between requests to one host (default: per_host_interval in case.toml, 5).")] = None,  # noqa: UP045
        per_host: Annotated[Optional[int], Opt("--per-host", help="Requests in flight per host (default 1).")] = None,  # noqa: UP045
        concurrency: Annotated[Optional[int], Opt("--concurrency", help="Requests in flight across hosts (default 8).")] = None,  # noqa: UP045
        connect_timeout: Annotated[Optional[float], Opt("--connect-timeout", help="Seconds to connect.")] = None,  # noqa: UP045
        read_timeout: Annotated[Optional[float], Opt("--timeout", help="Seconds to wait for data.")] = None,  # noqa: UP045
        retries: Annotated[Optional[int], Opt("--retries", help="Retries after a failed request.")] = None,  # noqa: UP045
        backoff: Annotated[Optional[float], Opt("--backoff", help="First retry delay in seconds (doubles each time).")] = None,  # noqa: UP045
        max_redirects: Annotated[Optional[int], Opt("--max-redirects", help="Redirects followed before giving up (each one paced and recorded).")] = None,  # noqa: UP045
        max_body_mb: Annotated[Optional[float], Opt("--max-body-mb", help="Largest body read, in MB.")] = None,  # noqa: UP045
        user_agent: Annotated[Optional[str], Opt("--user-agent", help="User-Agent header (default: toolkit's own).")] = None,  # noqa: UP045
        proxy: Annotated[Optional[str], Opt("--proxy", help="HTTP(S) proxy URL.")] = None,  # noqa: UP045
        cookies: Annotated[Optional[Path], Opt("--cookies", help="Netscape cookies.txt of a browser session (never copied).")] = None,  # noqa: UP045
        wayback_api: Annotated[str, Opt("--wayback-api", help="Base URL of the Wayback availability API.")] = "https://archive.org",
        wayback_web: Annotated[str, Opt("--wayback-web", help="Base URL of the Wayback CDX and snapshots.")] = "https://web.archive.org",
        before: Annotated[Optional[str], Opt("--before", help="With --wayback: latest capture up to this date.")] = None,  # noqa: UP045
        observed_at: Annotated[Optional[str], Opt("--observed-at", help="With PATH: when the exports were saved, for files that do not say.")] = None,  # noqa: UP045
        collected_at: Annotated[Optional[str], Opt("--collected-at", help="With PATH: the same as --observed-at (older name).")] = None,  # noqa: UP045
        at: Annotated[Optional[str], Opt("--at", help="With --manual: when you looked, for a look made earlier (default: as you answer).")] = None,  # noqa: UP045
        import_format: Annotated[Optional[str], Opt("--import-format", help="With PATH: force an importer.")] = None,  # noqa: UP045
        wait: Annotated[float, Opt("--wait", help="Seconds to wait for another recheck of this case to finish.")] = 0.0,
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Recheck tracked items in a wave: live, through a browser (--method browser), from later exports, by hand, or via the Wayback Machine."""
        kind = filters.KINDS.parse(kind, "--kind")
        fetch = FetchFlags(interval=interval, per_host=per_host, concurrency=concurrency, connect_timeout=connect_timeout,
                           read_timeout=read_timeout, retries=retries, backoff=backoff, max_redirects=max_redirects,
                           max_body_mb=max_body_mb, user_agent=user_agent, proxy=proxy, cookies=cookies)
        plan = RecheckPlan.from_flags(
            paths=paths, method=method_name, live=live, manual=manual, wayback=wayback, save=save, logged_out=logged_out,
            at=at, observed_at=observed_at, collected_at=collected_at, before=before, wave=wave,
            selection=Selection(everything=everything, kind=kind, ids=tuple(item) if item else None), fetch=fetch,
            retry_errors=retry_errors, import_format=import_format, wayback_api=wayback_api, wayback_web=wayback_web)
        if plan.method == Method.BROWSER:
            from toolkit.browser.engine import load_playwright

            load_playwright()  # say how to install it before a wave is opened (recheck/ does not import browser/)
        with open_case(case) as opened, RecheckLock(opened.root, wait=wait):
            run = plan.start(opened, platform=filters.platform(platform, "--platform", opened.db))
            show = not quiet and sys.stderr.isatty()
            if run.already_checked and not quiet:
                err.print(f"Wave {escape(plan.wave)}: {run.already_checked} of {len(run.items)} item(s) already "
                          f"checked ({plan.method}), {len(run.todo)} to go")
            try:
                _RUNNERS[plan.method](run, show=show, quiet=quiet, fmt=fmt)
            except KeyboardInterrupt:
                err.print(f"Interrupted: {run.saved_checks()} {plan.method} check(s) are saved in wave {escape(plan.wave)}. "
                          "Run the same command again to continue.")
                raise typer.Exit(130) from None
            rows = run.summary()
        if not (plan.wayback.save and fmt != OutputFormat.table):
            _print_summary(plan.wave, rows, fmt, CsvStyle(bom, raw_cells))


def _print_summary(name: str, rows: list[dict], fmt: OutputFormat, style: CsvStyle = CsvStyle()) -> None:
    statuses = [str(s) for s in Status]
    # Beside the counts, the reasons behind every status but `available`: an error count alone
    # does not say whether the URL is wrong (dns-error) or the platform was slow (read-timeout).
    explained = [s for s in statuses if s != Status.AVAILABLE]
    rows = [{**row, "reasons": reason_counts(row["reasons"], explained)} for row in rows]
    blind = ["blind"] if any(row.get("blind") for row in rows) else []
    if fmt == OutputFormat.table:
        used = [s for s in statuses if any(row[s] for row in rows)]
        emit(rows, ["platform", "kind", "items", *used, *blind, "reasons"], fmt, title=f"Wave {name}",
             widths={"reasons": 60})
    else:
        emit([{"wave": name, **row} for row in rows], ["wave", "platform", "kind", "items", *statuses, *blind, "reasons"],
             fmt, style=style)


def _blind_line(result) -> None:
    """One line per platform a canary round found blind."""
    for platform, why in sorted(result.blind.items()):
        err.print(f"[yellow]Canary round {result.number}: {escape(platform)} checks next to it are blind "
                  f"(counted as unknown): {escape(why)}[/]")


def _live(run: RecheckRun, *, show: bool, quiet: bool, fmt: OutputFormat) -> None:
    from toolkit.recheck.canary import declared, every
    from toolkit.recheck.live import run_live

    case = run.case
    with counting_bar("live", show, extra=(TextColumn("[yellow]{task.fields[held]}"),)) as bar:
        task = bar.add_task("live", total=len(run.todo), counts="", held="")

        def on_check(update) -> None:
            held = ", ".join(f"{host} x{factor:g}" + (f" wait {left:.0f}s" if left >= 1 else "")
                             for host, left, factor in update.backoffs[:3])
            bar.update(task, advance=1, counts=escape(counts_text(update.counts)),
                       held=escape(f"slowed: {held}" if held else ""))

        run_live(case, run.wave_id, run.todo, run.options, on_check=on_check, canaries=declared(case.config),
                 canary_every=every(case.config), on_round=None if quiet else _blind_line)


def _browser(run: RecheckRun, *, show: bool, quiet: bool, fmt: OutputFormat) -> None:
    from toolkit.cli.browser_run import browser_recheck

    flags = run.plan.fetch
    browser_recheck(run.case, run.wave_id, run.todo, show=show, quiet=quiet, logged_out=run.plan.logged_out,
                    interval=flags.interval, per_host=flags.per_host, retries=flags.retries, backoff=flags.backoff,
                    timeout=flags.read_timeout)


def _exports(run: RecheckRun, *, show: bool, quiet: bool, fmt: OutputFormat) -> None:
    from toolkit.recheck.canary import declared
    from toolkit.recheck.from_exports import recheck_from_exports

    case, plan = run.case, run.plan
    with file_bars(show) as on_progress:
        stats = recheck_from_exports(case, run.wave_id, run.items, list(plan.paths), fmt=plan.import_format,
                                     collected_at=plan.collected_at, tagger=LazyTagger(case), progress=on_progress,
                                     canaries=declared(case.config))
    if not quiet:
        summarise(stats.files)
        err.print(f"{stats.added} export check(s) added" + (f": {counts_text(stats.counts)}" if stats.counts else "")
                  + (f" ({stats.not_seen} not seen in an export that holds their parent)" if stats.not_seen else "")
                  + (f" ({stats.missing} Telegram message(s) missing from an export that holds their chat on both "
                     "sides of them: unavailable, missing-from-full-export)" if stats.missing else ""))
        for row in stats.canaries:
            line = (f"{row.platform} canary {row.url} read {row.status}" + (f" ({row.reason})" if row.reason else "")
                    + f" at {row.observed_at}")
            if row.status == str(Status.AVAILABLE):
                err.print(f"Canary: {escape(line)}")
            else:
                err.print(f"[yellow]Canary: {escape(line)}: this run's {escape(row.platform)} checks are blind "
                          "(counted as unknown)[/]")
    failed = [r for r in stats.files if r.outcome == "failed"]
    if failed and not any(r.outcome in {"imported", "already"} for r in stats.files):
        raise typer.Exit(1)


class TerminalKeys:
    """Keys from the terminal: one key press without Enter; notes as a line."""

    def key(self) -> str:
        if not sys.stdin.isatty():
            return sys.stdin.read(1)
        try:
            import termios
            import tty
        except ImportError:  # Windows
            import msvcrt

            char = msvcrt.getwch()
        else:
            fd = sys.stdin.fileno()
            saved = termios.tcgetattr(fd)
            try:
                tty.setraw(fd)
                char = sys.stdin.read(1)
            finally:
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if char == "\x03":  # Ctrl-C in raw mode
            raise KeyboardInterrupt
        return char

    def line(self, prompt: str) -> str:
        try:
            return err.input(prompt)
        except EOFError:
            return ""


def _manual(run: RecheckRun, *, show: bool, quiet: bool, fmt: OutputFormat) -> None:
    from rich.panel import Panel
    from rich.text import Text

    from toolkit.recheck.manual import ManualSession, ManualView

    def view_item(view: ManualView) -> None:
        body = Text()
        body.append(f"{view.item.platform} {view.item.kind}  #{view.item.id}\n", style="bold")
        body.append(f"{printable(view.item.name or '(no name)')}\n")
        body.append(f"{printable(view.item.url or '(no URL)')}\n", style="cyan")
        for line in view.previous:
            body.append(f"  earlier: {printable(line)}\n", style="dim")
        if view.note:
            body.append(f"note: {printable(view.note)}\n", style="italic")
        if view.message:
            body.append(f"{view.message}\n", style="yellow")
        body.append(view.help, style="dim")
        err.print(Panel(body, title=f"{view.position}/{view.total}", expand=False))

    stats = ManualSession(run.case, run.wave_id, run.todo, TerminalKeys(), view_item, at=run.plan.manual_at).run()
    err.print(f"{stats.answered} answer(s) recorded" + (f": {counts_text(stats.counts)}" if stats.counts else "")
              + (f", {stats.skipped} skipped" if stats.skipped else "")
              + (". Stopped; run the same command again to continue." if stats.quit else ""))


def _wayback(run: RecheckRun, *, show: bool, quiet: bool, fmt: OutputFormat) -> None:
    from toolkit.recheck.wayback import live_urls, run_wayback, save_live

    flags = run.plan.wayback
    stamp = wayback_stamp(flags.before)
    with counting_bar("wayback", show, elapsed=False) as bar:
        task = bar.add_task("wayback", total=len(run.todo), counts="")
        counts: dict[str, int] = {}

        def on_check(record) -> None:
            counts[record.status] = counts.get(record.status, 0) + 1
            bar.update(task, advance=1, counts=escape(counts_text(counts)))

        run_wayback(run.case, run.wave_id, run.todo, run.options, api_base=flags.api, web_base=flags.web, before=stamp,
                    on_check=on_check)
    if flags.save:
        rows = save_live(live_urls(run.case, run.wave_id), run.options, web_base=flags.web)
        emit(rows, ["url", "archived", "error"], fmt, title="Save Page Now")


# How each method runs in the terminal: its progress bar, prompts and closing lines.
_RUNNERS = {Method.LIVE: _live, Method.BROWSER: _browser, Method.EXPORT: _exports, Method.MANUAL: _manual,
            Method.WAYBACK: _wayback}
