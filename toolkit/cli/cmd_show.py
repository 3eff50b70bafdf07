"""`toolkit show CASE ITEM`: everything known about one item, in time order."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.text import Text

from toolkit.case import open_case
from toolkit.cli.common import CaseArg, FormatOpt, OutputFormat, emit, handle_errors
from toolkit.cohort.notices import resolve_items
from toolkit.store.history import item_events, item_record
from toolkit.textsafe import printable, printable_json

EXCERPT = 160


def _excerpt(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _parts(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _capture(e: dict[str, Any]) -> str:
    return _parts(e["status"] or "no status", e["name"] and f"“{e['name']}”",
                  f"followers {e['followers']:,}" if e["followers"] is not None else None,
                  f"members {e['members']:,}" if e["members"] is not None else None,
                  e["created_at"] and f"created {e['created_at'][:10]}", e["country"] and f"from {e['country']}",
                  e["source"] and f"source {e['source']} ({e['source_format']})", _excerpt(e["text"]))


# One formatter per event kind: how the event reads in the table.
DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {
    "capture": _capture,
    "hit": lambda e: _parts(f"{e['term']}" + (f" [{e['category']}]" if e["category"] else ""),
                            e["field"] and f"in {e['field']} {e['start']}-{e['end']}", e["matched"] and f"“{e['matched']}”",
                            e["lexicon"]),
    "indicator": lambda e: _parts(f"{e['type']} {e['value']}", e["matched"] and f"“{e['matched']}”", e["extractor"]),
    "score": lambda e: _parts(f"{e['score']:.2f}", e["category"], e["explanation"]),
    "review": lambda e: _parts(e["verdict"], e["category"], f"by {e['reviewer']}", e["note"] and f"“{e['note']}”",
                               "on screen" if e["origin"] == "screen" else e["origin"] and f"from sheet {e['origin'][:12]}…:{e['origin'].rsplit(':', 1)[-1]}"),
    "notice": lambda e: _parts(e["channel"], e["reference"] and f"ref {e['reference']}", e["noticed_by"] and f"by {e['noticed_by']}",
                               e["note"] and f"“{e['note']}”", f"recorded {e['recorded_at']}"),
    "check": lambda e: _parts(e["wave"] and f"wave {e['wave']}", e["method"], e["status"], e["reason"] and f"({e['reason']})",
                              e["http_status"] and f"HTTP {e['http_status']}", e["detector"], e["note"] and f"“{e['note']}”"),
}


def register(app: typer.Typer) -> None:
    @app.command("show")
    @handle_errors
    def show(
        case: CaseArg,
        item: Annotated[str, typer.Argument(help="The item: its id (12) or URL.", show_default=False)],
        fmt: FormatOpt = OutputFormat.table,
    ) -> None:
        """Everything known about one item: captures, hits, indicators, verdicts, notices, checks, in time order."""
        with open_case(case) as opened:
            (item_id,) = resolve_items(opened.db, [item])
            record = item_record(opened.db, item_id)
            events = item_events(opened.db, item_id)
        if fmt == OutputFormat.json:
            sys.stdout.write(printable_json(orjson.dumps({"item": record, "events": events},
                                                         option=orjson.OPT_INDENT_2).decode()) + "\n")
            return
        rows = [{"at": e["at"], "event": e["event"], "detail": DETAILS[e["event"]](e)} for e in events]
        if fmt == OutputFormat.csv:
            emit(rows, ["at", "event", "detail"], fmt)
            return
        out = Console(highlight=False, width=max(120, Console().width))
        out.print(Text.assemble((f"#{record['id']} ", "bold"), (printable(record["name"] or "(no name)"), "bold"),
                                printable(f"  {record['platform']} {record['kind']}  {record['url'] or record['key']}")))
        out.print(Text(printable(_parts(
            f"key {record['key']}", record["parent"] and f"in #{record['parent']} {record['parent_name'] or record['parent_url'] or ''}",
            record["first_seen"] and f"first seen {record['first_seen']}", f"added {record['added_at']}"))))
        emit(rows, ["at", "event", "detail"], fmt, widths={"detail": 90})
