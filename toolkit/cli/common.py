"""What every command shares: the stderr console, error handling, tabular output, options."""

from __future__ import annotations

import errno
import functools
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from toolkit import neutralise
from toolkit.errors import CaseError, ToolkitError
from toolkit.neutralise import printable, printable_json
from toolkit.store import db

F = TypeVar("F", bound=Callable[..., Any])

# Humans read stderr; stdout carries data only. No emoji codes: messages name files, pages and
# causes written by others, and `:cross_mark:` in a file name must read as written, not as ❌.
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


CaseArg = Annotated[Path, typer.Argument(help="The case folder (made by `toolkit init`).", show_default=False)]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
# CSV on stdout is for scripts and pipes: no byte-order mark unless asked (a spreadsheet needs it
# to read accents right); formula protection on unless asked off (see docs/csv.md).
BomOpt = Annotated[bool, typer.Option("--bom", help="With --format csv: start with a UTF-8 byte-order mark, so Excel reads accents right.")]
RawCellsOpt = Annotated[bool, typer.Option("--raw-cells", help="With --format csv: write cells as they are, without the ' that stops a spreadsheet running =, +, -, @ cells as formulas (for scripts; see docs/csv.md).")]


@dataclass(frozen=True)
class CsvStyle:
    """How CSV is written: with a byte-order mark or not, formula protection or raw cells."""

    bom: bool = False
    raw_cells: bool = False
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary on stderr.")]
ModelOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--model", help="Offer model besides the lexicons: 'default' (the shipped one), 'none', or an .npz path "
                    "(default: the case's [scan] model, else none).")]

_debug = False


def set_debug(value: bool) -> None:
    global _debug
    _debug = value


def handle_errors(func: F) -> F:
    """Turn ToolkitError into `Error: ...` plus a hint on stderr and exit 1 (2 for usage)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        db.on_wait = _say_waiting
        try:
            return func(*args, **kwargs)
        except ToolkitError as exc:
            if _debug:
                raise
            fail(exc)
        except (db.OperationalError, OSError) as exc:
            if _debug:
                raise
            problem = _storage_problem(exc)
            if problem is None:
                raise
            fail(problem)

    return wrapper  # type: ignore[return-value]


def _storage_problem(exc: BaseException) -> CaseError | None:
    """A clear error for a full disk, a file size limit or another process's lock; else None."""
    text = str(exc).lower()
    if isinstance(exc, db.OperationalError) and "locked" in text:
        # A write that bypassed begin_write and met another process's lock.
        return CaseError("another toolkit command is writing to this case",
                         "Wait for it to finish, then run this command again")
    if "disk is full" in text or "disk i/o error" in text or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return CaseError("the disk is full (or a file size limit was reached) while writing the case; "
                         "nothing from the interrupted step was kept",
                         "Free some space, then run the same command again")
    return None


def _say_waiting() -> None:
    err.print("Waiting: another toolkit command is writing to this case; this one goes on when it finishes...")


def fail(exc: ToolkitError) -> None:
    err.print(f"[bold red]Error:[/] {escape(exc.message)}")
    if exc.hint:
        err.print(escape(exc.hint))
    raise typer.Exit(exc.exit_code)


def escape(text: str) -> str:
    """Text that came from files or platforms, for a Rich message: control characters made visible
    (`neutralise.printable`) and Rich markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(printable(text))


def safe_text(text: str, spans: Iterable[tuple[int, int, str]] = (), lines: bool = True):
    """A Rich Text of untrusted `text`, control characters made visible (`neutralise.printable`; line
    breaks kept with `lines`), with `spans` (start, end, style: character offsets into `text`, such
    as lexicon hits) styled. The text is escaped a segment at a time, so the offsets still fit."""
    from rich.text import Text

    valid = [(start, end, style) for start, end, style in spans if 0 <= start < end <= len(text)]
    points = sorted({0, len(text), *(p for start, end, _ in valid for p in (start, end))})
    out = Text()
    for a, b in pairwise(points):
        styles = [style for start, end, style in valid if start <= a and b <= end]
        out.append(printable(text[a:b], lines=lines), style=" ".join(styles) or None)
    return out


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], out: io.TextIOBase | None = None,
              style: CsvStyle = CsvStyle()) -> None:
    """Rows as CSV through the toolkit's one CSV writer (`neutralise.write_csv`: every delimiter of any
    locale quoted, formulas neutralised unless `style.raw_cells`, a byte-order mark with `style.bom`)."""
    neutralise.write_csv(out or sys.stdout, columns, ([row.get(c) for c in columns] for row in rows), bom=style.bom,
                       raw_cells=style.raw_cells)


def write_json(rows: list[dict[str, Any]], out: io.TextIOBase | None = None) -> None:
    out = out or sys.stdout
    out.write(printable_json(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()) + "\n")


def write_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], title: str | None = None,
                widths: dict[str, int] | None = None) -> None:
    """A Rich table on stdout; every cell from the data, and the title (which may name a wave or a
    file), is printed literally (no markup, control characters made visible)."""
    from rich.text import Text

    shown = Text(printable(title), style="table.title") if title is not None else None
    table = Table(title=shown, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, max_width=(widths or {}).get(column), overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    # A terminal gets its own width; a pipe or file gets room for URLs instead of 80 columns.
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    console.print(table)


def _cell(value: Any):
    from rich.text import Text

    if value is None:
        return Text("")
    if isinstance(value, float):
        return Text(f"{value:.2f}")
    return Text(printable(value))


def emit(rows: list[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, title: str | None = None,
         widths: dict[str, int] | None = None, style: CsvStyle = CsvStyle()) -> None:
    """Print rows on stdout as a table, CSV (formula-safe unless `style` says raw) or JSON."""
    if fmt == OutputFormat.json:
        write_json([{c: row.get(c) for c in columns} for row in rows])
    elif fmt == OutputFormat.csv:
        write_csv(rows, columns, style=style)
    else:
        write_table(rows, columns, title=title, widths=widths)


def check_target(path: Path, option: str, what: str, ours: Callable[[Path], bool]) -> None:
    """Refuse an output file that is a folder, or an existing file that is not an earlier `what` of
    toolkit's (`ours`), before anything is written: the file would be replaced whole, and
    `--bundle CASE/case.db` would put the case's own bundle in place of its database,
    `--save-receipt exports/posts.csv` a receipt in place of an input."""
    if path.is_dir():
        example = path / ("case.zip" if what == "bundle" else "receipt.json")
        raise ToolkitError(f"{option} {path}: is a folder", f"Give the {what}'s file name, e.g. {example}")
    if path.exists() and not ours(path):
        raise ToolkitError(f"{option} {path}: the file exists and is not a toolkit {what}; it was left as it is",
                           f"Choose another file name (only an earlier {what} is replaced)")


def is_receipt(path: Path) -> bool:
    """Whether `path` holds a custody receipt toolkit wrote (`toolkit.receipt.load` reads it)."""
    from toolkit import receipt as receipts

    try:
        receipts.load(path)
    except ToolkitError:
        return False
    return True
