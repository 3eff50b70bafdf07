"""`toolkit waves CASE`: the recheck waves so far, with each wave's confirmed states."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import orjson
import typer

from toolkit.case import open_case
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
from toolkit.recheck.confirm import STATES, Rule, confirmed_states
from toolkit.recheck.waves import span_notes
from toolkit.store.canaries import blind_checks
from toolkit.store.checks import waves
from toolkit.store.db import read_snapshot


def register(app: typer.Typer) -> None:
    @app.command("waves")
    @handle_errors
    def list_waves(
        case: CaseArg,
        items: Annotated[bool, typer.Option("--items", help="One row per item and wave (status, its reason, confirmed state) instead of counts.")] = False,
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
    ) -> None:
        """List recheck waves with their methods, checks and confirmed states (the [confirm] rule)."""
        style = CsvStyle(bom, raw_cells)
        with open_case(case) as opened:
            rule = Rule.from_config(opened.config)
            with read_snapshot(opened.db):  # states, counts and blind stretches from one picture of the case
                states = confirmed_states(opened.db, rule)
                wave_rows = waves(opened.db)
                blind = blind_checks(opened.db)
            spans = span_notes(wave_rows, opened.config["waves"]["max_span_days"])
        if items:
            rows = [{"item": s.item_id, "wave": s.wave, "status": s.status, "reason": s.reason,
                     "observed_at": s.observed_at, "state": s.state, "blind": s.blind} for s in states]
            emit(rows, status_columns(["item", "wave", "status", "observed_at", "state", "blind"]), fmt, style=style)
            return
        per_wave: dict[int, Counter[str]] = {}
        for state in states:
            per_wave.setdefault(state.wave_id, Counter())[state.state] += 1
        rows = []
        for wave in wave_rows:
            counts = per_wave.get(wave["id"], Counter())
            rows.append({"wave": wave["name"], "started_at": wave["started_at"],
                         "methods": ",".join(orjson.loads(wave["methods"] or "[]")), "checks": wave["checks"],
                         "first_observed": wave["first_observed"], "last_observed": wave["last_observed"],
                         **{state: counts.get(state, 0) for state in STATES}})
        if fmt == OutputFormat.table:
            for row in rows:
                first, last = (row["first_observed"] or "")[:10], (row["last_observed"] or "")[:10]
                row["observed"] = first if first == last else f"{first} to {last}"
            emit(rows, ["wave", "observed", "methods", "checks", *STATES], fmt, title="Waves")
            err.print(escape(f"Confirmed gone: {rule.describe()} ([confirm] in case.toml)"))
            for line in spans:
                err.print(f"[yellow]{escape(line)}[/]")
            for row in blind:
                err.print(f"[yellow]{escape(blind_line(row))}[/]")
        else:
            emit(rows, ["wave", "started_at", "methods", "checks", "first_observed", "last_observed", *STATES], fmt,
                 style=style)


def blind_line(row: dict) -> str:
    """One line for the blind checks of a wave: how many, why, and how they count."""
    return (f"Wave {row['wave']}: {row['checks']} check(s) blind, counted as unknown: {row['blind']}")
