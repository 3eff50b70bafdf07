"""`toolkit browser login|status CASE`: the logged-in research session the browser commands use.

Every browser command reads its options and its profile the same way: toolkit.cli.browser_run.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli.browser_run import browser_options
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, err, escape, handle_errors
from toolkit.errors import UsageError

Opt = typer.Option


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
        from toolkit.browser.rechecks import read_canaries
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
