"""`toolkit canary add|list`: the known-live control items that prove a wave's checker could see."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.case import add_canary, open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, err, escape, handle_errors
from toolkit.errors import UsageError
from toolkit.recheck.canary import declared


def register(app: typer.Typer) -> None:
    canary_app = typer.Typer(help="Known-live control items per platform: proof the checker could see.",
                             no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(canary_app, name="canary")

    @canary_app.command("add")
    @handle_errors
    def add(
        case: CaseArg,
        url: Annotated[str, typer.Argument(help="A public page of the platform that stays up.", show_default=False)],
        platform: Annotated[str, typer.Option("--platform", help="The platform whose detector reads it (facebook, ...).",
                                              show_default=False)],
    ) -> None:
        """Declare a canary in case.toml: a page known to be live, read before, during and after every live wave."""
        if not url.lower().startswith(("http://", "https://")):
            raise UsageError(f"not a web address: {url!r}", "Give the canary's full URL, starting with https://")
        with open_case(case) as opened:
            root = opened.root
        added = add_canary(root, platform, url)
        err.print(escape(f"{'Added' if added else 'Already declared'}: {platform} canary {url}"
                         + (" (in case.toml [canary])" if added else "")))

    @canary_app.command("list")
    @handle_errors
    def list_(case: CaseArg, fmt: FormatOpt = OutputFormat.table) -> None:
        """List the declared canaries and every reading of them, wave by wave."""
        from toolkit.store.canaries import readings

        with open_case(case) as opened:
            canaries = declared(opened.config)
            rows = readings(opened.db)
        seen = {(r["platform"], r["url"]) for r in rows}
        table = [{"wave": r["wave"], "method": r["method"], "round": r["round"], "platform": r["platform"],
                  "url": r["url"], "observed_at": r["observed_at"], "status": r["status"], "reason": r["reason"]}
                 for r in rows]
        table += [{"wave": None, "method": None, "round": None, "platform": c.platform, "url": c.url,
                   "observed_at": None, "status": "never read", "reason": None}
                  for c in canaries if (c.platform, c.url) not in seen]
        emit(table, ["wave", "method", "round", "platform", "url", "observed_at", "status", "reason"], fmt,
             widths={"url": 60})
