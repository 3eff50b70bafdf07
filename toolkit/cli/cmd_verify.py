"""`toolkit verify CASE` and `toolkit verify --bundle FILE.zip`: is the case intact?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli.common import err, escape, handle_errors
from toolkit.custody import VerifyResult, verify_bundle, verify_case
from toolkit.errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command("verify")
    @handle_errors
    def verify(
        case: Annotated[Optional[Path], typer.Argument(help="The case folder.", show_default=False)] = None,  # noqa: UP045
        bundle: Annotated[Optional[Path], typer.Option("--bundle", help="Check an evidence bundle made by `toolkit export`.")] = None,  # noqa: UP045
    ) -> None:
        """Recompute the custody log's hash chain and every evidence hash; report the first break."""
        if (case is None) == (bundle is None):
            raise UsageError("give either a case folder or --bundle FILE.zip", "e.g. toolkit verify cases/NAME")
        if bundle is not None:
            result = verify_bundle(bundle)
            label = str(bundle)
        else:
            with open_case(case) as opened:
                result = verify_case(opened)
            label = str(case)
        show(label, result)
        if not result.intact:
            raise typer.Exit(1)


def show(label: str, result: VerifyResult) -> None:
    for note in result.notes:
        err.print(f"note: {escape(note)}")
    if result.intact:
        typer.echo(f"{label}: intact. {result.events} events, {result.evidence_checked} evidence files checked; "
                   f"head {result.head}")
        if result.data_head != result.head:
            typer.echo(f"data head (what reports stamp; report events aside): {result.data_head}")
        return
    err.print(f"[bold red]{escape(label)}: NOT intact.[/] First break: {escape(result.problems[0])}")
    for problem in result.problems[1:]:
        err.print(f"  also: {escape(problem)}")
    err.print(f"{result.events} events checked; head {result.head}")
