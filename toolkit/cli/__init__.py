"""The `toolkit` command line: one `cmd_*` module per command, each with a `register(app)` function.

Command modules are found in this package and registered in workflow order (their `ORDER`, then
name); the CLI is the only layer that prints, prompts or exits.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer

from toolkit import __version__
from toolkit.cli.common import set_debug

app = typer.Typer(
    name="toolkit",
    help="Measure how platforms deal with illegal content: scan exports, review, flag, recheck, report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # case data and cookies must never leak into a traceback
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"toolkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """toolkit: from saved exports to removal-rate reports."""
    set_debug(debug)


def _register_commands() -> None:
    import toolkit.cli as package

    modules = [
        importlib.import_module(f"toolkit.cli.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("cmd_")
    ]
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        module.register(app)


_register_commands()


def main() -> None:
    app()
