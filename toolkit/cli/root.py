"""The root command: every command in workflow order (`COMMANDS`, with the module defining each),
a group that imports a command's module only when it runs or help lists it, the global options,
and `main`, the console script."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

# NumPy's OpenBLAS starts a thread per core at import, and they spin for a while (about 0.05 s of
# CPU per command on two cores); toolkit's matrices are small enough that one thread serves them.
# Set before any command imports NumPy; a value the user set wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer
import typer.core
import typer.main

from toolkit import __version__
from toolkit.cli.common import set_debug

# Every command, in the order `toolkit --help` lists them, and the cmd_* module that registers it.
# tests/test_cli_lazy.py checks this against what the modules register.
COMMANDS: dict[str, str] = {
    "init": "cmd_init",
    "scan": "cmd_scan",
    "browser": "cmd_browser",
    "capture": "cmd_capture",
    "tag": "cmd_tag",
    "detect": "cmd_detect",
    "items": "cmd_items",
    "show": "cmd_show",
    "review": "cmd_review",
    "flag": "cmd_flag",
    "canary": "cmd_canary",
    "recheck": "cmd_recheck",
    "report": "cmd_report",
    "waves": "cmd_waves",
    "verify": "cmd_verify",
    "export": "cmd_export",
    "purge": "cmd_purge",
    "key": "cmd_key",
    "formats": "cmd_formats",
    "lexicon": "cmd_lexicon",
}

_SETTINGS: dict[str, Any] = {
    "pretty_exceptions_show_locals": False,  # case data and cookies must never leak into a traceback
    "add_completion": False,
    "rich_markup_mode": None,
}

_registered: dict[str, typer.Typer] = {}


def _module_app(module: str) -> typer.Typer:
    """A Typer holding what `toolkit.cli.MODULE` registers; the module is imported and registered once."""
    if module not in _registered:
        holder = typer.Typer(**_SETTINGS)
        importlib.import_module(f"toolkit.cli.{module}").register(holder)
        _registered[module] = holder
    return _registered[module]


class _LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name: every name in `COMMANDS` is known at once, and its click
    command is built (its module imported) the first time it is looked up."""

    def __init__(self, loaded: dict[str, Any]) -> None:
        self._loaded = dict(loaded)

    def _load(self, name: str) -> None:
        holder = _module_app(COMMANDS[name])
        group = typer.main.get_group(holder)
        self._loaded.update(group.commands)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded and name in COMMANDS:
            self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(name not in COMMANDS for name in self._loaded)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._loaded


class LazyGroup(typer.core.TyperGroup):
    """The root group, whose commands load on first use (see `_LazyCommands`)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.commands)


app = typer.Typer(
    name="toolkit",
    cls=LazyGroup,
    help="Measure how platforms deal with illegal content: scan exports, review, flag, recheck, report.",
    no_args_is_help=True,
    **_SETTINGS,
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


def main() -> None:
    app()
