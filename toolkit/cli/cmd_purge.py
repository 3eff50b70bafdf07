"""`toolkit purge CASE --item ID`: remove one person's personal data on request."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, err, escape, handle_errors
from toolkit.purge import purge_item


def register(app: typer.Typer) -> None:
    @app.command("purge")
    @handle_errors
    def purge(
        case: CaseArg,
        item: Annotated[int, typer.Option("--item", help="The item id (see toolkit items).", show_default=False)],
        reason: Annotated[str, typer.Option(help="Why (kept in the custody log).")] = "data subject request",
        delete_exports: Annotated[bool, typer.Option("--delete-exports", help="Also delete the stored copies of exports that hold this data (and everyone else's in them).")] = False,
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Blank an item's (and its posts') personal data; the custody log records what was removed, by keyed fingerprint."""
        if not yes:
            typer.confirm(f"Purge the personal data of item {item} and everything under it?", abort=True, err=True)
        with open_case(case) as opened:
            result = purge_item(opened, item, reason=reason, delete_exports=delete_exports)
        if result.event_hash:
            err.print(f"Purged {len(result.items)} item(s): {result.removed_values} values removed, "
                      f"{len(result.evidence_deleted)} evidence file(s) deleted. Log event {result.event_hash}")
        else:
            err.print(f"Item {item} holds no personal data any more (purged before): nothing recorded.")
        if result.reports_removed:
            err.print(f"Removed {len(result.reports_removed)} earlier report(s), made from the data before the purge"
                      " (run toolkit report to make them again):")
            for folder in result.reports_removed:
                err.print(f"  {escape(folder)}")
        if result.reports_not_found:
            err.print(f"{len(result.reports_not_found)} earlier report(s) the log names were not found from here; "
                      "if they still exist (moved, or written outside the case), delete them by hand:")
            for folder in result.reports_not_found:
                err.print(f"  {escape(folder)}")
        for source_id, path in result.exports_kept:
            err.print(f"  the stored copy of source {source_id} ({escape(path)}) still holds this data; "
                      "use --delete-exports to delete it")
