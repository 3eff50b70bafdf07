"""What every command shares: the stderr console, error handling, tabular output, options."""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from toolkit.errors import ToolkitError
from toolkit.textsafe import FORMULA_START, safe_cell  # noqa: F401  (re-exported for commands)

F = TypeVar("F", bound=Callable[..., Any])

# Humans read stderr; stdout carries data only.
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


CaseArg = Annotated[Path, typer.Argument(help="The case folder (made by `toolkit init`).", show_default=False)]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary on stderr.")]

_debug = False


def set_debug(value: bool) -> None:
    global _debug
    _debug = value


def handle_errors(func: F) -> F:
    """Turn ToolkitError into `Error: ...` plus a hint on stderr and exit 1 (2 for usage)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ToolkitError as exc:
            if _debug:
                raise
            fail(exc)

    return wrapper  # type: ignore[return-value]


def fail(exc: ToolkitError) -> None:
    err.print(f"[bold red]Error:[/] {escape(exc.message)}")
    if exc.hint:
        err.print(escape(exc.hint))
    raise typer.Exit(exc.exit_code)


def escape(text: str) -> str:
    """Escape Rich markup in text that came from files or platforms."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: io.TextIOBase | None = None) -> None:
    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else safe_cell(row.get(c)) for c in columns])


def write_json(rows: list[dict[str, Any]], out: io.TextIOBase | None = None) -> None:
    out = out or sys.stdout
    out.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")


def write_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], title: str | None = None,
                widths: dict[str, int] | None = None) -> None:
    """A Rich table on stdout; every cell from the data is printed literally (no markup)."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, max_width=(widths or {}).get(column), overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    Console(highlight=False, width=max(120, Console().width)).print(table)


def _cell(value: Any):
    from rich.text import Text

    if value is None:
        return Text("")
    if isinstance(value, float):
        return Text(f"{value:.2f}")
    return Text(str(value))


def emit(rows: list[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, title: str | None = None,
         widths: dict[str, int] | None = None) -> None:
    """Print rows on stdout as a table, CSV (formula-safe) or JSON."""
    if fmt == OutputFormat.json:
        write_json([{c: row.get(c) for c in columns} for row in rows])
    elif fmt == OutputFormat.csv:
        write_csv(rows, columns)
    else:
        write_table(rows, columns, title=title, widths=widths)
