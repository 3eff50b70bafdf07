"""`toolkit formats`: the export formats toolkit can read."""

from __future__ import annotations

import typer

from toolkit.cli.common import FormatOpt, OutputFormat, emit, handle_errors
from toolkit.sources import registry


def register(app: typer.Typer) -> None:
    @app.command("formats")
    @handle_errors
    def formats(fmt: FormatOpt = OutputFormat.table) -> None:
        """List the export formats `toolkit scan` reads (the names --format takes)."""
        rows = [{"format": imp.name, "version": imp.version, "description": imp.description}
                for imp in sorted(registry.importers(), key=lambda i: i.name)]
        emit(rows, ["format", "version", "description"], fmt)
