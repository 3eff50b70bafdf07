"""`toolkit show CASE ITEM`: everything known about one item, in time order."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.text import Text

from toolkit.case import Case, open_case
from toolkit.cli.common import BomOpt, CaseArg, CsvStyle, FormatOpt, OutputFormat, RawCellsOpt, emit, handle_errors
from toolkit.cohort.flagging import resolve_items
from toolkit.lexicon.explain import explain_line
from toolkit.neutralise import printable, printable_json
from toolkit.store.attachments import capture_attachments, check_attachments
from toolkit.store.checks import waves as all_waves
from toolkit.store.item_history import item_events, item_record
from toolkit.store.status import STATUS_RULE, latest_statuses, wave_statuses

EXCERPT = 160


def _excerpt(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _parts(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _capture(e: dict[str, Any]) -> str:
    state = (f"{e['status']} ({e['reason']})" if e.get("reason") else e["status"]) if e["status"] else "no status (nothing in it shows the item's state)"
    return _parts(state, e["name"] and f"“{e['name']}”",
                  f"followers {e['followers']:,}" if e["followers"] is not None else None,
                  f"members {e['members']:,}" if e["members"] is not None else None,
                  e["created_at"] and f"created {e['created_at'][:10]}", e["country"] and f"from {e['country']}",
                  e["source"] and f"source {e['source']} ({e['source_format']})", _dated(e), _files(e), _excerpt(e["text"]))


def _dated(e: dict[str, Any]) -> str:
    """Where the event's date came from (rows from before date sources were kept: not recorded)."""
    return f"date from {e['date_source'] or 'not recorded'}"


def _check(e: dict[str, Any]) -> str:
    return _parts(e["wave"] and f"wave {e['wave']}", e["method"], e["status"], e["reason"] and f"({e['reason']})",
                  e["blind"] and f"BLIND: {e['blind']}", e["http_status"] and f"HTTP {e['http_status']}",
                  e["detector"], _dated(e), e["note"] and f"“{e['note']}”", _files(e))


def _add_attachments(case: Case, events: list[dict[str, Any]]) -> None:
    """Give each browser check and capture the files kept beside it (screenshot, MHTML), with their
    path under the case folder."""
    checks = check_attachments(case.db, [e["id"] for e in events if e["event"] == "check"])
    captures = capture_attachments(case.db, [e["id"] for e in events if e["event"] == "capture"])
    for event in events:
        found = (checks if event["event"] == "check" else captures if event["event"] == "capture" else {}).get(event["id"])
        if found:
            event["attachments"] = [{"role": a["role"], "path": case.evidence_path(a["sha256"]).relative_to(case.root).as_posix(),
                                     "sha256": a["sha256"], "media_type": a["media_type"], "width": a["width"],
                                     "height": a["height"]} for a in found]


def _files(e: dict[str, Any]) -> str | None:
    """"screenshot evidence/ab/ab12….gz (1280x900 PNG)" for each file kept beside the event."""
    return _parts(*(f"{a['role']} {a['path']}" + (f" ({a['width']}x{a['height']} PNG)" if a["width"] else "")
                    for a in e.get("attachments", [])))


def _explained(stored: str | None, category: str | None) -> str:
    """The stored explanation JSON as the readable sum (`cruce (smuggling_offer, 3.0) + ... = 11.0`)."""
    if not stored:
        return ""
    try:
        return explain_line(orjson.loads(stored), category)
    except orjson.JSONDecodeError:
        return explain_line(stored, category)


# One formatter per event kind: how the event reads in the table.
DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {
    "capture": _capture,
    "hit": lambda e: _parts(f"{e['term']}" + (f" [{e['category']}]" if e["category"] else ""),
                            e["field"] and f"in {e['field']} {e['start']}-{e['end']}", e["matched"] and f"“{e['matched']}”",
                            e["lexicon"]),
    "indicator": lambda e: _parts(f"{e['type']} {e['value']}", e["matched"] and f"“{e['matched']}”", e["extractor"]),
    "score": lambda e: _parts(f"{e['score']:.2f}", e["category"], _explained(e["explanation"], e["category"])),
    "review": lambda e: _parts(e["verdict"], e["category"], f"by {e['reviewer']}", e["note"] and f"“{e['note']}”",
                               "on screen" if e["origin"] == "screen" else e["origin"] and f"from sheet {e['origin'][:12]}…:{e['origin'].rsplit(':', 1)[-1]}"),
    "notice": lambda e: _parts(f"#{e['id']}", e["channel"], e["reference"] and f"ref {e['reference']}",
                               e["noticed_by"] and f"by {e['noticed_by']}", e["note"] and f"“{e['note']}”",
                               f"recorded {e['recorded_at']}",
                               e.get("voided_at") and f"VOIDED {e['voided_at'][:10]}" + (f" by {e['voided_by']}" if e.get("voided_by") else "")
                               + f": {e['voided_why']} (not counted)"),
    "conflict": lambda e: _parts(f"identity conflict: #{e['item_id']} {e['item_key']} claims {e['key']}, known as "
                                 f"#{e['other_id']} {e['other_key']}", "kept apart", e["reason"],
                                 e["source"] and f"source {e['source']}"),
    "check": _check,
}


def register(app: typer.Typer) -> None:
    @app.command("show")
    @handle_errors
    def show(
        case: CaseArg,
        item: Annotated[str, typer.Argument(help="The item: its id (12) or URL.", show_default=False)],
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
    ) -> None:
        """Everything known about one item: captures, hits, indicators, verdicts, notices, checks, in time order."""
        with open_case(case) as opened:
            (item_id,) = resolve_items(opened.db, [item])
            record = item_record(opened.db, item_id)
            events = item_events(opened.db, item_id)
            _add_attachments(opened, events)
            latest = latest_statuses(opened.db, [item_id]).get(item_id)
            names = {w["id"]: w["name"] for w in all_waves(opened.db)}
            per_wave = [{"wave": names[r.wave_id], "status": r.status, "reason": r.reason, "family": r.family,
                         "observed_at": r.observed_at,
                         "method": r.method, "blind": r.blind}
                        for r in sorted(wave_statuses(opened.db, items=[item_id]), key=lambda r: list(names).index(r.wave_id))]
        status = {"status": latest.status if latest else None, "reason": latest.reason if latest else None,
                  "family": latest.family if latest else None,
                  "status_at": latest.status_at if latest else None,
                  "last_observed": latest.last_observed if latest else None,
                  "last_observed_at": latest.last_observed_at if latest else None}
        if fmt == OutputFormat.json:
            sys.stdout.write(printable_json(orjson.dumps({"item": record, "status": status, "waves": per_wave,
                                                          "events": events}, option=orjson.OPT_INDENT_2).decode()) + "\n")
            return
        rows = [{"at": e["at"], "event": e["event"], "detail": DETAILS[e["event"]](e)} for e in events]
        if fmt == OutputFormat.csv:
            emit(rows, ["at", "event", "detail"], fmt, style=CsvStyle(bom, raw_cells))
            return
        out = Console(highlight=False, width=max(120, Console().width))
        out.print(Text.assemble((f"#{record['id']} ", "bold"), (printable(record["name"] or "(no name)"), "bold"),
                                printable(f"  {record['platform']} {record['kind']}  {record['url'] or record['key']}")))
        out.print(Text(printable(_parts(
            f"key {record['key']}", record["parent"] and f"in #{record['parent']} {record['parent_name'] or record['parent_url'] or ''}",
            record["first_seen"] and f"first seen {record['first_seen']}", f"added {record['added_at']}"))))
        out.print(Text(printable(_parts(
            f"status {status['status'] or 'none'}" + (f" ({status['reason']})" if status["reason"] else "")
            + (f", {status['family']}" if status["family"] else ""),
            status["status_at"] and f"at {status['status_at']}",
            status["last_observed"] and f"last observed {status['last_observed']} at {status['last_observed_at']}"))))
        for row in per_wave:
            out.print(Text(printable(_parts(
                f"  wave {row['wave']}: {row['status']}" + (f" ({row['reason']})" if row["reason"] else "")
                + f", {row['family']}", f"at {row['observed_at']}", row["method"],
                row["blind"] and f"blind: {row['blind']}"))))
        if per_wave:
            out.print(Text(f"  ({STATUS_RULE.split('. ')[0]}.)", style="dim"))
        emit(rows, ["at", "event", "detail"], fmt, widths={"detail": 90})
