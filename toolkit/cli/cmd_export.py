"""`toolkit export CASE --bundle FILE.zip`: a self-describing, verifiable evidence bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, err, escape, handle_errors
from toolkit.custody import export_bundle


def register(app: typer.Typer) -> None:
    @app.command("export")
    @handle_errors
    def export(
        case: CaseArg,
        bundle: Annotated[Path, typer.Option("--bundle", help="Where to write the zip.", show_default=False)],
    ) -> None:
        """Write the case (database snapshot, evidence, manifest of hashes, README) to one zip."""
        with open_case(case) as opened:
            head, files = export_bundle(opened, bundle)
        err.print(f"Wrote {escape(str(bundle))}: {files} files, head {head}")
        err.print(f"Anyone can check it with: toolkit verify --bundle {escape(str(bundle))}")
