"""CSV and JSON appendices: one row per cohort item, and every statistic as a table.

CSV cells from the platform go through the formula-safe writer (a cell a spreadsheet would run is
prefixed with a quote) after bidi overrides are made visible; `raw_cells` leaves the quote out, for
scripts. The files start with a UTF-8 byte-order mark (without it Excel reads UTF-8 as the local code
page and mangles every accent) unless `bom` is off. Floats have fixed precision (4 places); rows are
sorted; so the same case gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import orjson

from toolkit.neutralise import csv_cell, csv_field, csv_line, neutral
from toolkit.report.build import CONTACT_TYPES, ROW_FIELDS, Report
from toolkit.report.number_format import fixed
from toolkit.report.stats import Counts, Share

# The item appendix's own columns, before its status and reason per wave, contacts and cluster.
ITEM_FIELDS = list(ROW_FIELDS)


def _cell(value: Any, raw: bool = False) -> str:
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if fixed(value) is None else f"{value:.4f}"
    if isinstance(value, int):
        return str(value)
    return neutral(str(value)) if raw else csv_cell(str(value))


def write_csv(columns: list[str], rows: list[list[Any]], *, bom: bool = False, raw_cells: bool = False) -> str:
    """A CSV document (header included) as text, quoted like the toolkit's one CSV line writer
    (`neutralise.csv_line`): formula-safe unless `raw_cells`, with a byte-order mark when `bom`."""
    return write_columns(columns, list(zip(*rows, strict=True)) if rows else [() for _ in columns], bom=bom,
                         raw_cells=raw_cells)


def write_columns(header: list[str], columns: list[Any], *, bom: bool = False, raw_cells: bool = False) -> str:
    """`write_csv` for a table given column by column (each a sequence of one length)."""
    return "".join(column_pieces(header, columns, bom=bom, raw_cells=raw_cells))


def column_pieces(header: list[str], columns: list[Any], *, bom: bool = False, raw_cells: bool = False,
                  chunk: int = 2000) -> Iterator[str]:
    """`write_columns`' text in pieces: the header line, then `chunk` rows at a time (a caller
    that writes each piece never holds the whole table's text: items.csv is ~30 MB at 100,000 items)."""
    # A column holds few distinct strings (statuses, platforms, dates, contact lists): each is made
    # safe and quoted once. Only a column of strings (and None) is mapped through a dictionary:
    # 1, 1.0 and True are equal as keys.
    done = []
    for column in columns:
        types = set(map(type, column))
        if types == {int}:
            done.append(map(str, column))
        elif types <= {str, type(None)}:
            done.append(map(_fields(list(dict.fromkeys(column)), raw_cells).__getitem__, column))
        else:
            done.append([csv_field(_cell(value, raw_cells)) for value in column])
    yield ("\ufeff" if bom else "") + csv_line(_cell(c) for c in header)
    rows = zip(*done, strict=True)
    while batch := list(islice(rows, chunk)):
        # Each row joined in C (`map` of the separator's join), every row ending its line.
        yield "\n".join(map(",".join, batch)) + "\n"


def _fields(values: list[str | None], raw: bool) -> dict[str | None, str]:
    """Each distinct value of a column as its CSV field: `csv_field(csv_cell(value))` (`neutral`
    instead of `csv_cell` when `raw`), None as an empty field. When no value holds a character to
    show, fold or quote (one test over all of them at once), a value is its own field unless its
    first character could start a formula: only those go through `csv_cell`."""
    strings = [value for value in values if value is not None] if None in values else values
    joined = "".join(strings)
    if joined.isprintable() and csv_field(joined) == joined:  # nothing to show, fold or quote
        if raw:
            fields = dict(zip(strings, strings, strict=True))
        else:
            fields = {value: value if value[:1].isascii() and value[:1].isalnum() else csv_field(csv_cell(value))
                      for value in strings}
    else:
        text = neutral if raw else csv_cell
        fields = {value: csv_field(text(value)) for value in strings}
    fields[None] = ""
    return fields


def _item_columns(report: Report) -> list[list[Any]]:
    """The item appendix column by column (100,000 items), as the report built them."""
    built, n = report.items.columns, len(report.items)
    columns = [built[name] for name in ITEM_FIELDS]
    for w in report.wave_names:
        columns += [built.get(f"status:{w}", ["not_checked"] * n), built.get(f"reason:{w}", [""] * n)]
    return columns + [built[t] for t in CONTACT_TYPES]


def _share(share: Share) -> dict[str, Any]:
    return {"k": share.k, "n": share.n, "p": fixed(share.p), "low": fixed(share.low), "high": fixed(share.high)}


def _counts(c: Counts) -> dict[str, Any]:
    return {"items": c.items, "live": c.live, "gone": c.gone, "ended": c.ended, "unknown": c.unknown,
            "not_checked": c.not_checked, "statuses": c.statuses, "still_live": _share(c.still_live),
            "gone_share": _share(c.removed)}


COUNT_COLUMNS = ["items", "live", "gone", "ended", "unknown", "not_checked", "statuses", "still_live", "still_live_low",
                 "still_live_high", "gone_share", "gone_low", "gone_high"]


def _count_row(c: Counts) -> list[Any]:
    return [c.items, c.live, c.gone, c.ended, c.unknown, c.not_checked,
            ";".join(f"{s}={k}" for s, k in c.statuses.items()),
            c.still_live.p, c.still_live.low, c.still_live.high, c.removed.p, c.removed.low, c.removed.high]


def _cluster_of(report: Report) -> dict[int, str]:
    return {m.item_id: f"C{c.number}" for c in report.clusters for m in c.items}


def csv_files(report: Report, *, bom: bool = True, raw_cells: bool = False) -> dict[str, str]:
    """File name -> CSV text for every appendix table (meant for spreadsheets: a byte-order mark
    unless `bom` is off, formula protection unless `raw_cells`)."""
    return {name: text if isinstance(text, str) else "".join(text)
            for name, text in csv_documents(report, bom=bom, raw_cells=raw_cells)}


def csv_documents(report: Report, *, bom: bool = True, raw_cells: bool = False) -> Iterator[tuple[str, str | Iterator[str]]]:
    """`csv_files` one file at a time, the item appendix (the largest) as pieces of a few
    thousand rows (`column_pieces`): it is never held whole."""
    waves = report.wave_names

    def table(columns: list[str], rows: list[list[Any]]) -> str:
        return write_csv(columns, rows, bom=bom, raw_cells=raw_cells)

    clusters = _cluster_of(report)
    columns = _item_columns(report)
    columns.append([clusters.get(item_id, "") for item_id in columns[0]])
    yield "items.csv", column_pieces([*ITEM_FIELDS, *[c for w in waves for c in (f"status:{w}", f"reason:{w}")],
                                      *CONTACT_TYPES, "cluster"], columns, bom=bom, raw_cells=raw_cells)
    del columns, clusters
    yield "waves.csv", table(["wave", "started_at", "methods", "first_check", "last_check", *COUNT_COLUMNS],
                             [[w.name, w.started_at, ";".join(w.methods), w.first_check, w.last_check,
                               *_count_row(w.counts)] for w in report.waves])
    yield "splits.csv", table(["wave", "dimension", "group", *COUNT_COLUMNS],
                              [[g.wave, g.dimension, g.group, *_count_row(g.counts)] for g in report.groups])
    yield "survival.csv", table(["origin", "days", "still_live"],
                                [[origin, t, s] for origin, result in report.survival.items() for t, s in result.curve])
    yield "audience.csv", table(["wave", "started_at", "items_with_count", "audience", "live_items_with_count",
                                 "live_audience", "live_items_grown", "live_growth", "median_growth_pct"],
                                [[a.wave, a.started_at, a.with_figure, a.total, a.live_with_figure, a.live_total,
                                  a.grown, a.growth, a.median_growth_pct] for a in report.audience.waves])
    yield "clusters.csv", table(["cluster", "item_id", "name", "status", "family", "partial_takedown",
                                 "shared_contacts"],
                                [[f"C{c.number}", m.item_id, report.names.get(m.item_id, ""), m.status, m.family,
                                  c.partial, ";".join(report.contacts[n] for n in c.contacts)]
                                 for c in report.clusters for m in c.items])


def _dump(value: Any) -> str:
    return _dump_bytes(value).decode()


def _dump_rows(rows: Sequence[dict[str, Any]], chunk: int = 2000) -> Iterator[bytes]:
    """`_dump_bytes(list(rows))` in pieces of `chunk` rows: each piece is dumped as a list, whose
    brackets are then left out."""
    if not len(rows):
        yield _dump_bytes([])
        return
    yield b"["
    for start in range(0, len(rows), chunk):
        part = _dump_bytes(rows[start:start + chunk])  # b"[\n  {...},\n  {...}\n]\n"
        yield part[1:-3] + (b"," if start + chunk < len(rows) else b"\n]\n")


def _dump_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def report_data(report: Report) -> dict[str, Any]:
    """Every statistic of the report as plain JSON-ready data."""
    return {
        "case": report.case_name,
        "as_of": report.as_of,
        "redacted": report.redacted,
        "cohort": report.cohort,
        "headline": [neutral(s) for s in report.headline],
        "waves": [{"wave": w.name, "started_at": w.started_at, "methods": w.methods, "first_check": w.first_check,
                   "last_check": w.last_check, **_counts(w.counts)} for w in report.waves],
        "splits": [{"wave": g.wave, "dimension": g.dimension, "group": g.group, **_counts(g.counts)}
                   for g in report.groups],
        "noticed_test": [{"wave": t.wave, "odds_ratio": fixed(t.odds_ratio), "p_value": fixed(t.p_value, 6),
                          "noticed": _counts(t.noticed), "not_noticed": _counts(t.not_noticed)}
                         for t in report.fisher],
        "time_to_removal": {origin: {
            "items": r.items, "removals": r.removals, "censored": r.censored, "excluded": r.excluded,
            "reappeared": r.reappeared, "resolution_hours": r.resolution_hours,
            "median_days": None if r.median is None else
            {"value": fixed(r.median.value), "low": fixed(r.median.low), "high": fixed(r.median.high)},
            "gone_within_days": {str(d): {"value": fixed(e.value), "low": fixed(e.low), "high": fixed(e.high),
                                          "possible": fixed(e.possible)} for d, e in sorted(r.within.items())},
            "curve": [[fixed(t), fixed(s)] for t, s in r.curve],
        } for origin, r in report.survival.items()},
        "audience": {"items_with_count": report.audience.items_with_figure, "reached": report.audience.reached,
                     "first_total": report.audience.first_total,
                     "waves": [{"wave": a.wave, "started_at": a.started_at, "items_with_count": a.with_figure,
                                "audience": a.total, "live_items_with_count": a.live_with_figure,
                                "live_audience": a.live_total, "live_items_grown": a.grown, "live_growth": a.growth,
                                "median_growth_pct": fixed(a.median_growth_pct)} for a in report.audience.waves]},
        "clusters": [{"cluster": f"C{c.number}", "partial_takedown": c.partial, "live": c.live, "gone": c.gone,
                      "other": c.other, "contacts": [report.contacts[n] for n in c.contacts],
                      "items": [{"id": m.item_id, "name": report.names.get(m.item_id, ""), "status": m.status}
                                for m in c.items]} for c in report.clusters],
    }


def _safe(value: Any) -> Any:
    """Strings in JSON with bidi overrides and control characters made visible."""
    if isinstance(value, str):
        return neutral(value)
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def json_files(report: Report) -> dict[str, str]:
    """File name -> JSON text: the statistics, the item appendix and the stamp."""
    return {name: (data if isinstance(data, bytes) else b"".join(data)).decode()
            for name, data in json_documents(report)}


def json_documents(report: Report) -> Iterator[tuple[str, bytes | Iterator[bytes]]]:
    """`json_files` one file at a time, as UTF-8 bytes (the item appendix, the largest file of a
    report, as pieces of a few thousand rows: it is never held whole)."""
    # Appendix rows are made safe when built (build._appendix); the statistics are walked here.
    yield "report.json", _dump_bytes(_safe(report_data(report)))
    yield "items.json", _dump_rows(report.items)
    yield "stamp.json", _dump_bytes(_safe(report.stamp))
