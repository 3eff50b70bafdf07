"""`toolkit items CASE`: list what the scans found."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli import filters
from toolkit.cli.common import (
    BomOpt,
    CaseArg,
    CsvStyle,
    FormatOpt,
    OutputFormat,
    RawCellsOpt,
    emit,
    err,
    escape,
    handle_errors,
)
from toolkit.cli.statuses import status_columns
from toolkit.store.item_list import ITEM_FIELDS, ItemFilter, list_items

TABLE_COLUMNS = status_columns(["id", "platform", "kind", "name", "url", "status", "blind", "last_observed",
                                "followers", "members", "score", "category", "tags", "verdict", "notice"])
NEVER_CAPTURED = "never captured"


def register(app: typer.Typer) -> None:
    @app.command("items")
    @handle_errors
    def items(
        case: CaseArg,
        platform: Annotated[Optional[str], typer.Option(help=filters.PLATFORM_HELP, show_default=False)] = None,  # noqa: UP045
        kind: Annotated[Optional[str], typer.Option(help=filters.KIND_HELP, show_default=False)] = None,  # noqa: UP045
        query: Annotated[Optional[str], typer.Option("--query", "-q", help="Text in the name, URL, key or latest text.")] = None,  # noqa: UP045
        min_score: Annotated[Optional[float], typer.Option("--min-score", help="Only items whose latest score (0-100) is at least this.")] = None,  # noqa: UP045
        category: Annotated[Optional[str], typer.Option("--category", help=filters.CATEGORY_HELP + " The reviewed one when reviewed, else the scored one.", show_default=False)] = None,  # noqa: UP045
        verdict: Annotated[Optional[str], typer.Option(help=filters.VERDICT_HELP, show_default=False)] = None,  # noqa: UP045
        noticed: Annotated[Optional[bool], typer.Option("--noticed/--not-noticed", help="Only items reported to the platform, or not yet (voided notices do not count).", show_default=False)] = None,  # noqa: UP045
        channel: Annotated[Optional[str], typer.Option(help=filters.CHANNEL_HELP, show_default=False)] = None,  # noqa: UP045
        # min=0: SQLite reads LIMIT -1 as no limit, a list slice [:-1] as all but the last item.
        limit: Annotated[Optional[int], typer.Option(min=0, help="At most this many items.")] = None,  # noqa: UP045
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
    ) -> None:
        """List items (pages, groups, posts, listings, ...) with their latest status, its reason, and audience."""
        # Words are checked before the case is read: a typo is an error, never an empty list.
        where = ItemFilter(kind=filters.KINDS.parse(kind, "--kind"), query=query, min_score=min_score,
                           category=filters.CATEGORIES.parse(category, "--category"),
                           verdict=filters.VERDICTS.parse(verdict, "--verdict"), noticed=noticed,
                           channel=filters.CHANNELS.parse(channel, "--channel"))
        with open_case(case) as opened:
            present = filters.case_platforms(opened.db)
            where.platform = filters.platforms(present).parse(platform, "--platform")
            rows = list_items(opened.db, where, limit=limit)
        if not rows:
            _say_nothing_matched(where, present, platform is not None)
            if fmt == OutputFormat.table:
                return  # the line above says it; an empty table would only look like a result
        if fmt == OutputFormat.table:
            for row in rows:
                # One narrow column for the first notice in force: its date and channel.
                row["notice"] = f"{row['noticed_at'][:10]} {row['channel']}" if row.get("noticed_at") else None
                if row["status"] is None:
                    # Nothing observed its state: a URL from a list, never fetched or saved.
                    row["status"] = NEVER_CAPTURED
        columns = list(ITEM_FIELDS) if fmt != OutputFormat.table else TABLE_COLUMNS
        emit(rows, columns, fmt, widths={"name": 40, "url": 60, "tags": 40, "reason": 24, "blind": 40}, style=CsvStyle(bom, raw_cells))


def _say_nothing_matched(where: ItemFilter, present: dict[str, int], platform_given: bool) -> None:
    """On stderr: which filters matched nothing, and what the case holds."""
    given = [f"--{name.replace('_', '-')} {value}" for name, value in (
        ("platform", where.platform), ("kind", where.kind), ("query", where.query), ("min_score", where.min_score),
        ("category", where.category), ("verdict", where.verdict), ("channel", where.channel)) if value is not None]
    if where.noticed is not None:
        given.append("--noticed" if where.noticed else "--not-noticed")
    total = sum(present.values())
    if not total:
        err.print("No items: this case has none yet (toolkit scan CASE PATH... reads exports)")
        return
    err.print(escape(f"No items match {' '.join(given)}" if given else "No items") + f" (the case holds {total:,} items)")
    if platform_given and where.platform is not None:
        note = filters.absent_note(where.platform, present)
        if note:
            err.print(escape(note))
