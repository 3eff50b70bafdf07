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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolkit.case import Case, open_case, utcnow
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
from toolkit.cli.statuses import reason_counts
from toolkit.dates import given_time, parse_when
from toolkit.errors import ToolkitError, UsageError
from toolkit.models import Method, Status
from toolkit.recheck.fetch import FetchOptions
from toolkit.recheck.waves import RecheckLock, default_wave_name, summary
from toolkit.store.checks import TrackedItem, checked_items, open_wave, tracked_items

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
        named = _method_option(method_name)
        live, manual, wayback = live or named == Method.LIVE, manual or named == Method.MANUAL, wayback or named == Method.WAYBACK
        modes = [name for name, on in (("PATH", bool(paths)), ("--live", live), ("--manual", manual),
                                       ("--wayback", wayback), ("--method browser", named == Method.BROWSER)) if on]
        if len(set(modes)) > 1:
            raise UsageError(f"{' and '.join(modes)} are separate ways to recheck",
                             "Run them one after the other with the same --wave name")
        if save and not wayback:
            raise UsageError("--save works with --wayback only", "Add --wayback, or leave out --save")
        if logged_out and named != Method.BROWSER:
            raise UsageError("--logged-out works with --method browser only", "Add --method browser, or leave it out")
        if at and not manual:
            raise UsageError("--at works with --manual only", "Add --manual, or leave out --at")
        if (observed_at or collected_at) and not paths:
            raise UsageError("--observed-at works with exports (PATH...) only",
                             "Give the exports to recheck from, or leave out --observed-at")
        when = given_time(observed_at, collected_at)
        manual_at = parse_when(at, "--at") if at else None
        method = (Method.EXPORT if paths else Method.MANUAL if manual else Method.WAYBACK if wayback
                  else Method.BROWSER if named == Method.BROWSER else Method.LIVE)
        kind = filters.KINDS.parse(kind, "--kind")
        if method == Method.BROWSER:
            from toolkit.browser.engine import load_playwright

            load_playwright()  # say how to install it before a wave is opened
        name = (wave or default_wave_name()).strip()
        if not name:
            raise UsageError("--wave must not be empty", "Give a wave name such as 2021-05-17")
        with open_case(case) as opened, RecheckLock(opened.root, wait=wait):
            platform = filters.platform(platform, "--platform", opened.db)
            # Items named by id are rechecked whatever their verdict: the researcher asked for them.
            items = tracked_items(opened.db, everything=everything or bool(item), platform=platform, kind=kind, ids=item)
            if not items:
                raise ToolkitError(
                    "no items to recheck" + ("" if everything else ": no item has the verdict violating"),
                    "Review items first (toolkit review CASE), pass --all to recheck every tracked item, or loosen the filters",
                )
            wave_id = open_wave(opened.db, name, utcnow(), str(method))
            section = dict(opened.config["recheck"])
            if section.get("cookies") and not Path(section["cookies"]).expanduser().is_absolute():
                # A path in case.toml is relative to the case folder, like every path there.
                section["cookies"] = str(opened.root / section["cookies"])
            options = FetchOptions.from_config(
                section, per_host_interval=interval, per_host_concurrency=per_host,
                concurrency=concurrency, connect_timeout=connect_timeout, read_timeout=read_timeout, retries=retries,
                backoff=backoff, max_redirects=max_redirects, user_agent=user_agent, proxy=proxy,
                cookies=str(cookies) if cookies else None,
                max_body_bytes=int(max_body_mb * 1024 * 1024) if max_body_mb is not None else None)
            show = not quiet and sys.stderr.isatty()
            try:
                if method == Method.EXPORT:
                    _exports(opened, wave_id, items, paths or [], when, import_format, quiet, show)
                else:
                    done = checked_items(opened.db, wave_id, str(method), retry_unknown=retry_errors)
                    todo = [i for i in items if i.id not in done]
                    if done and not quiet:
                        err.print(f"Wave {escape(name)}: {len(items) - len(todo)} of {len(items)} item(s) already "
                                  f"checked ({method}), {len(todo)} to go")
                    if method == Method.LIVE:
                        _live(opened, wave_id, todo, options, show, quiet)
                    elif method == Method.BROWSER:
                        from toolkit.cli.cmd_browser import browser_recheck

                        browser_recheck(opened, wave_id, todo, show=show, quiet=quiet, logged_out=logged_out,
                                        interval=interval, per_host=per_host, retries=retries, backoff=backoff,
                                        timeout=read_timeout)
                    elif method == Method.MANUAL:
                        _manual(opened, wave_id, todo, manual_at)
                    else:
                        _wayback(opened, wave_id, todo, options, show, wayback_api, wayback_web, before, save, fmt)
            except KeyboardInterrupt:
                count = opened.db.execute('SELECT count(*) FROM "check" WHERE wave_id = ? AND method = ?',
                                          (wave_id, str(method))).fetchone()[0]
                err.print(f"Interrupted: {count} {method} check(s) are saved in wave {escape(name)}. "
                          "Run the same command again to continue.")
                raise typer.Exit(130) from None
            rows = summary(opened, wave_id, {"wayback"} if method == Method.WAYBACK else None)
        if not (save and fmt != OutputFormat.table):
            _print_summary(name, rows, fmt, CsvStyle(bom, raw_cells))


def _method_option(value: str | None) -> Method | None:
    """--method as a Method; `export` is given by naming PATHs, not by name."""
    if value is None:
        return None
    try:
        method = Method(value.strip().lower())
    except ValueError:
        method = None
    if method is None or method == Method.EXPORT:
        raise UsageError(f"--method: unknown method {value!r}",
                         "Use live, browser, manual or wayback (to recheck from exports, give their PATHs)")
    return method


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


def _counts_text(counts) -> str:
    return " ".join(f"{status} {counts[status]}" for status in sorted(counts))


def _blind_line(result) -> None:
    """One line per platform a canary round found blind."""
    for platform, why in sorted(result.blind.items()):
        err.print(f"[yellow]Canary round {result.number}: {escape(platform)} checks next to it are blind "
                  f"(counted as unknown): {escape(why)}[/]")


def _live(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, show: bool, quiet: bool) -> None:
    from toolkit.recheck.canary import declared, every
    from toolkit.recheck.live import run_live

    columns = [TextColumn("live"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[counts]}"), TextColumn("[yellow]{task.fields[held]}")]
    with Progress(*columns, console=err, disable=not show, transient=False) as bar:
        task = bar.add_task("live", total=len(items), counts="", held="")

        def on_check(update) -> None:
            held = ", ".join(f"{host} x{factor:g}" + (f" wait {left:.0f}s" if left >= 1 else "")
                             for host, left, factor in update.backoffs[:3])
            bar.update(task, advance=1, counts=escape(_counts_text(update.counts)),
                       held=escape(f"slowed: {held}" if held else ""))

        run_live(case, wave_id, items, options, on_check=on_check, canaries=declared(case.config),
                 canary_every=every(case.config), on_round=None if quiet else _blind_line)


def _exports(case: Case, wave_id: int, items: list[TrackedItem], paths: list[str], when: str | None,
             import_format: str | None, quiet: bool, show: bool) -> None:
    from toolkit.cli.cmd_scan import _progress, case_tagger, summarise
    from toolkit.recheck.canary import declared
    from toolkit.recheck.export import recheck_from_exports

    with _progress(show) as bar:
        task_ids: dict[str, int] = {}

        def on_progress(update) -> None:
            if update.path not in task_ids:
                task_ids[update.path] = bar.add_task(escape(Path(update.path).name), total=update.total)
            bar.update(task_ids[update.path], completed=update.done or 0)

        stats = recheck_from_exports(case, wave_id, items, paths, fmt=import_format, collected_at=when,
                                     tagger=_LazyTagger(case, case_tagger), progress=on_progress if show else None,
                                     canaries=declared(case.config))
    if not quiet:
        summarise(stats.files)
        err.print(f"{stats.added} export check(s) added" + (f": {_counts_text(stats.counts)}" if stats.counts else "")
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


class _LazyTagger:
    """Tags new captures with the case's lexicons exactly as `toolkit scan` does, compiling the
    lexicons only when a file brings new captures (a resumed run over imported files needs none)."""

    def __init__(self, case: Case, build):
        self.case, self.build, self.tagger = case, build, None

    def tag(self, conn, written) -> None:
        if self.tagger is None:
            self.tagger = self.build(self.case)
        self.tagger.tag(conn, written)


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


def _manual(case: Case, wave_id: int, items: list[TrackedItem], at: str | None) -> None:
    from rich.panel import Panel
    from rich.text import Text

    from toolkit.recheck.manual import ManualSession, ManualView

    def show(view: ManualView) -> None:
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

    stats = ManualSession(case, wave_id, items, TerminalKeys(), show, at=at).run()
    err.print(f"{stats.answered} answer(s) recorded" + (f": {_counts_text(stats.counts)}" if stats.counts else "")
              + (f", {stats.skipped} skipped" if stats.skipped else "")
              + (". Stopped; run the same command again to continue." if stats.quit else ""))


def _wayback(case: Case, wave_id: int, items: list[TrackedItem], options: FetchOptions, show: bool, api: str,
             web: str, before: str | None, save: bool, fmt: OutputFormat) -> None:
    from toolkit.recheck.wayback import run_wayback, save_live

    stamp = parse_when(before, "--before").replace("-", "").replace(":", "").replace("T", "").rstrip("Z")[:14] if before else None
    with Progress(TextColumn("wayback"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
                  console=err, disable=not show) as bar:
        task = bar.add_task("wayback", total=len(items), counts="")
        counts: dict[str, int] = {}

        def on_check(record) -> None:
            counts[record.status] = counts.get(record.status, 0) + 1
            bar.update(task, advance=1, counts=escape(_counts_text(counts)))

        run_wayback(case, wave_id, items, options, api_base=api, web_base=web, before=stamp, on_check=on_check)
    if save:
        from toolkit.store.status import wave_statuses

        # The items live in this wave by the status rule (a wall after a live reading does not hide it).
        live = {r.item_id for r in wave_statuses(case.db, wave_id=wave_id) if r.family == "live"}
        live_urls = sorted({i.url for i in tracked_items(case.db, everything=True, ids=live) if i.url}) if live else []
        rows = save_live(live_urls, options, web_base=web)
        emit(rows, ["url", "archived", "error"], fmt, title="Save Page Now")
