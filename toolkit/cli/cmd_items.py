"""`toolkit items CASE`: list what the scans found."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, handle_errors
from toolkit.models import Category, Channel, Verdict
from toolkit.store.queries import ITEM_FIELDS, ItemFilter, list_items

TABLE_COLUMNS = ["id", "platform", "kind", "name", "url", "status", "last_observed", "followers", "members", "score",
                 "category", "tags", "verdict", "notice"]


def register(app: typer.Typer) -> None:
    @app.command("items")
    @handle_errors
    def items(
        case: CaseArg,
        platform: Annotated[Optional[str], typer.Option(help="Only this platform (facebook, instagram, ...).")] = None,  # noqa: UP045
        kind: Annotated[Optional[str], typer.Option(help="Only this kind (page, group, post, ...).")] = None,  # noqa: UP045
        query: Annotated[Optional[str], typer.Option("--query", "-q", help="Text in the name, URL, key or latest text.")] = None,  # noqa: UP045
        min_score: Annotated[Optional[float], typer.Option("--min-score", help="Only items whose latest score (0-100) is at least this.")] = None,  # noqa: UP045
        category: Annotated[Optional[Category], typer.Option("--category", help="Only this category (the reviewed one when reviewed, else the scored one).")] = None,  # noqa: UP045
        verdict: Annotated[Optional[Verdict], typer.Option(help="Only items whose latest verdict is this.")] = None,  # noqa: UP045
        noticed: Annotated[Optional[bool], typer.Option("--noticed/--not-noticed", help="Only items reported to the platform, or not yet.", show_default=False)] = None,  # noqa: UP045
        channel: Annotated[Optional[Channel], typer.Option(help="Only items reported through this channel.")] = None,  # noqa: UP045
        limit: Annotated[Optional[int], typer.Option(help="At most this many items.")] = None,  # noqa: UP045
        fmt: FormatOpt = OutputFormat.table,
    ) -> None:
        """List items (pages, groups, posts, listings, ...) with their latest status and audience."""
        with open_case(case) as opened:
            rows = list_items(opened.db, ItemFilter(
                platform=platform, kind=kind, query=query, min_score=min_score,
                category=category.value if category else None, verdict=verdict.value if verdict else None,
                noticed=noticed, channel=channel.value if channel else None), limit=limit)
        if fmt == OutputFormat.table:
            # One narrow column for the first notice: its date and channel.
            for row in rows:
                row["notice"] = f"{row['noticed_at'][:10]} {row['channel']}" if row.get("noticed_at") else None
        columns = list(ITEM_FIELDS) if fmt != OutputFormat.table else TABLE_COLUMNS
        emit(rows, columns, fmt, widths={"name": 40, "url": 60, "tags": 40})
