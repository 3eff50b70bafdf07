"""`toolkit init CASE`: create a case folder."""

from __future__ import annotations

import typer

from toolkit.case import init_case
from toolkit.cli.common import CaseArg, err, escape, handle_errors


def register(app: typer.Typer) -> None:
    @app.command("init")
    @handle_errors
    def init(case: CaseArg) -> None:
        """Create a case folder: case.toml (commented), case.db and evidence/."""
        with init_case(case) as opened:
            err.print(f"Created case {escape(opened.name)} in {escape(str(case))}")
            err.print(f"Next: toolkit scan {escape(str(case))} EXPORT...")
