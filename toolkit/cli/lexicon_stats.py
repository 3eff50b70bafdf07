"""`toolkit lexicon stats CASE`: lexicon precision from the verdicts given so far.

Registered under the `lexicon` sub-app by cmd_lexicon.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, err
from toolkit.store.term_precision import STATS_COLUMNS, lexicon_stats


def stats_command(
    case: CaseArg,
    lexicon: Annotated[Optional[str], typer.Option(help="Only this lexicon (name or name@version).")] = None,  # noqa: UP045
    min_reviewed: Annotated[int, typer.Option("--min-reviewed", min=1, help="Hide terms that hit fewer reviewed items.")] = 1,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Per lexicon and per term: reviewed items hit, and the share judged violating (noisiest terms first)."""
    with open_case(case) as opened:
        rows = lexicon_stats(opened.db, min_reviewed=min_reviewed, lexicon=lexicon)
    if not rows:
        err.print("No reviewed item has a lexicon hit yet: review some candidates first (toolkit review CASE)")
        if fmt == OutputFormat.table:
            return
    if fmt == OutputFormat.table:
        for row in rows:
            row["term"] = row["term"] if row["term"] is not None else "(all terms)"
            row["precision"] = f"{row['precision']:.0%}"
    emit(rows, STATS_COLUMNS, fmt)
