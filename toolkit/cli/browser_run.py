"""The CLI half of the browser: the case's browser options (and what a missing profile means),
and a browser recheck wave with its progress bar and pause messages. Used by `toolkit browser`,
`toolkit capture` and `toolkit recheck --method browser`, so every browser command reads its
options and its profile the same way."""

from __future__ import annotations

from typing import Any

from toolkit.case import Case
from toolkit.cli.common import err, escape
from toolkit.cli.progress import counting_bar, counts_text


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
    from toolkit.browser.rechecks import run_browser

    options = browser_options(case, logged_out=logged_out, quiet=quiet, navigation_timeout=timeout)
    fetch = pacing(case.config, options, per_host_interval=interval, per_host_concurrency=per_host, retries=retries,
                   backoff=backoff)
    with counting_bar("browser", show) as bar:
        task = bar.add_task("browser", total=len(items), counts="")

        def on_check(update) -> None:
            bar.update(task, advance=1, counts=escape(counts_text(update.counts)))

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
