"""`toolkit browser login|status CASE`: the logged-in research session the browser commands use.

Also the CLI half of `toolkit recheck --method browser` (options, progress, pause messages), kept
here so that every browser command reads its options and its profile the same way.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolkit.case import Case, open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, err, escape, handle_errors
from toolkit.errors import UsageError

Opt = typer.Option


def browser_options(case: Case, *, logged_out: bool, quiet: bool, **overrides: Any):
    """The case's browser options; without a profile folder yet (nobody logged in), the run is
    logged out and says so."""
    from toolkit.browser.options import BrowserOptions

    options = BrowserOptions.from_config(case.config, case.root, use_profile=not logged_out, **overrides)
    if options.profile is not None and not options.profile.is_dir():
        if not quiet:
            err.print(f"No browser profile at {escape(str(options.profile))} yet: loading pages logged out "
                      "(to log in: toolkit browser login CASE --platform facebook)")
        options = options.without_profile()
    elif options.profile is not None and not quiet:
        err.print(f"Browser profile: {escape(str(options.profile))}")
    return options


def browser_recheck(case: Case, wave_id: int, items: list, *, show: bool, quiet: bool, logged_out: bool,
                    interval: float | None, per_host: int | None, retries: int | None, backoff: float | None,
                    timeout: float | None) -> None:
    """Run a browser wave with a progress bar; say why any platform or host was paused."""
    from toolkit.browser.options import pacing
    from toolkit.recheck.browser import run_browser

    options = browser_options(case, logged_out=logged_out, quiet=quiet, navigation_timeout=timeout)
    fetch = pacing(case.config, options, per_host_interval=interval, per_host_concurrency=per_host, retries=retries,
                   backoff=backoff)
    columns = [TextColumn("browser"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[counts]}")]
    with Progress(*columns, console=err, disable=not show) as bar:
        task = bar.add_task("browser", total=len(items), counts="")

        def on_check(update) -> None:
            bar.update(task, advance=1, counts=escape(" ".join(f"{k} {v}" for k, v in sorted(update.counts.items()))))

        def on_pause(pause) -> None:
            err.print(f"[yellow]Paused:[/] {escape(pause.message)}")

        stats = run_browser(case, wave_id, items, options, fetch, guard_factory=_guard_factory(case, wave_id, items),
                            on_check=on_check, on_pause=on_pause)
    if not quiet:
        err.print(f"{stats.checked} browser check(s), {stats.screenshots} screenshot(s) kept ({escape(stats.browser)})")
    if stats.left:
        err.print(f"[yellow]{stats.left} item(s) not checked in this run[/]: "
                  + "; ".join(escape(p.message) for p in stats.pauses if p.left)
                  + ". Run the same command again to continue the wave.")


def _guard_factory(case: Case, wave_id: int, items: list):
    """Builds the canary guard for the platforms of `items` from an observe function."""
    from toolkit.models import Method
    from toolkit.recheck.canary import CanaryGuard, declared, every

    platforms = {item.platform for item in items}
    canaries = [c for c in declared(case.config) if c.platform in platforms]
    if not canaries:
        return None
    return lambda observe: CanaryGuard(case, wave_id, str(Method.BROWSER), canaries, observe, every=every(case.config))


def register(app: typer.Typer) -> None:
    browser = typer.Typer(help="The logged-in research session the browser commands use (login, status).",
                          no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                          pretty_exceptions_show_locals=False)
    app.add_typer(browser, name="browser")

    @browser.command("login")
    @handle_errors
    def login(
        case: CaseArg,
        platform: Annotated[str, Opt("--platform", help="Whose login page to open: facebook, instagram or tiktok.")] = "facebook",
        url: Annotated[Optional[str], Opt("--url", help="Open this page instead of the platform's login page.")] = None,  # noqa: UP045
    ) -> None:
        """Open a visible browser on the case's profile; log in by hand with a research account, then press Enter here."""
        from toolkit.browser.options import BrowserOptions
        from toolkit.browser.profile import LOGIN_PAGES, login, require_display

        start = url or LOGIN_PAGES.get(platform)
        if start is None:
            raise UsageError(f"--platform: no login page known for {platform!r}",
                             f"Use one of {', '.join(sorted(LOGIN_PAGES))}, or give the page with --url")
        require_display()
        with open_case(case) as opened:
            options = BrowserOptions.from_config(opened.config, opened.root)
        err.print(f"Opening a browser on the profile {escape(str(options.profile))}.")
        err.print("Log in with the research account (never a personal one). toolkit does not see what you type; "
                  "the session's cookies stay in the profile folder.")

        def until_done() -> None:
            with contextlib.suppress(EOFError):
                err.input("Press Enter here when you are logged in (or close the browser window)... ")

        version = login(options, start, until_done)
        err.print(f"Profile kept at {escape(str(options.profile))} ({escape(version)}). "
                  "Check it with: toolkit browser status CASE")

    @browser.command("status")
    @handle_errors
    def status(
        case: CaseArg,
        logged_out: Annotated[bool, Opt("--logged-out", help="Check with a fresh, empty profile instead.")] = False,
        fmt: FormatOpt = OutputFormat.table,
    ) -> None:
        """Load each platform's canaries with the case's profile and say whether they read live."""
        from toolkit.browser.options import pacing
        from toolkit.recheck.browser import read_canaries
        from toolkit.recheck.canary import declared

        with open_case(case) as opened:
            canaries = declared(opened.config)
            if not canaries:
                raise UsageError("no canaries declared in case.toml",
                                 "Add known-live pages per platform under [canary] (see docs/browser.md), then run this again")
            options = browser_options(opened, logged_out=logged_out, quiet=False)
            fetch = pacing(opened.config, options)
        rows = read_canaries(canaries, options, fetch)
        emit(rows, ["platform", "canary", "status", "reason", "live"], fmt, title="Canaries through the browser")
        blind = sorted({row["platform"] for row in rows if not row["live"]})
        if blind:
            err.print("[yellow]Not live:[/] " + ", ".join(blind) + ". If a session is logged out: toolkit browser login "
                      "CASE --platform " + blind[0])
