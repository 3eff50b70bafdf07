"""The review spreadsheet: candidates out as rows, verdicts back in, each row applied once.

Export columns: item_id, url, platform, kind, name, excerpt, score, suggested, categories, and empty
verdict, category, note columns for the reviewer. Import reads any CSV with an item column (`item`,
`item_id` or `id`: an id or a URL; else `url`) and a `verdict` column, optional `category`, `note`
and `reviewed_at`. Every applied row records its origin as `<file sha256>:<line>`, so importing
the same file again applies nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.cohort.csv_rows import choices, first, read_table, token
from toolkit.cohort.refs import resolve_item
from toolkit.dates import in_the_future, parse_iso, to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Category, Verdict
from toolkit.store import transaction
from toolkit.store.db import Connection
from toolkit.store.reviews import CandidateFilter, add_review, applied_origins, latest_by_reviewer, sheet_rows

SHEET_COLUMNS = ["item_id", "url", "platform", "kind", "name", "excerpt", "score", "suggested", "categories",
                 "verdict", "category", "note"]
ITEM_COLUMNS = ("item", "item_id", "id")
EXCERPT = 300



VERDICTS = choices([v.value for v in Verdict])
CATEGORIES = choices([c.value for c in Category])


def export_rows(conn: Connection, where: CandidateFilter) -> list[dict[str, Any]]:
    """The candidates as sheet rows in review order, with a one-line text excerpt and empty answers."""
    rows = []
    for row in sheet_rows(conn, where):
        text = " ".join((row.pop("text") or "").split())
        row["excerpt"] = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
        row["score"] = None if row["score"] is None else f"{row['score']:.2f}"
        row.update(verdict="", category="", note="")
        rows.append(row)
    return rows


@dataclass
class ImportResult:
    """What importing one sheet did. `problems` are InputErrors naming the file and line."""

    sha256: str
    applied: int = 0
    already: int = 0  # this row (or the same answer) was applied before
    blank: int = 0  # no verdict yet
    problems: list[InputError] = field(default_factory=list)


def import_sheet(conn: Connection, path: Path, reviewer: str, now: str) -> ImportResult:
    """Apply the verdicts in a sheet as `reviewer`, in one transaction; report bad rows by line.

    Valid rows are applied even when others are bad. A row is skipped as already applied when its
    origin (file sha256 and line) was imported by this reviewer before, or when the reviewer's
    latest answer on the item is the same verdict, category and note. A `reviewed_at` more than a
    day after `now` is a problem (the latest verdict is the latest by this date).
    """
    table = read_table(path)
    name = str(path)
    if not table.has(*ITEM_COLUMNS, "url"):
        raise InputError(name, "no item column (item, item_id, id or url)",
                         "Keep the item_id or url column of the exported sheet", line=1)
    if not table.has("verdict"):
        raise InputError(name, "no verdict column", "Add a verdict column: violating, not_violating or unsure", line=1)
    result = ImportResult(sha256=table.sha256)
    accepted: list[tuple[int, int, str, str | None, str | None, str]] = []
    lines_of: dict[int, int] = {}
    for line, row in table.rows:
        item_token = first(row, *ITEM_COLUMNS) or row.get("url", "")
        verdict_word = row.get("verdict", "")
        if not verdict_word:
            result.blank += 1
            continue
        if not item_token:
            result.problems.append(InputError(name, "no item id or URL", line=line))
            continue
        item_id = resolve_item(conn, item_token)
        if item_id is None:
            result.problems.append(InputError(name, f"unknown item '{item_token}'", line=line))
            continue
        verdict = token(verdict_word)
        if verdict not in {v.value for v in Verdict}:
            result.problems.append(InputError(name, f"unknown verdict '{verdict_word}'; use {VERDICTS}", line=line))
            continue
        category_word = row.get("category", "")
        category = token(category_word) if category_word else None
        if category is not None and category not in {c.value for c in Category}:
            result.problems.append(InputError(name, f"unknown category '{category_word}'; use {CATEGORIES}", line=line))
            continue
        reviewed_at = now
        if row.get("reviewed_at"):
            moment = parse_iso(row["reviewed_at"])
            if moment is None:
                result.problems.append(InputError(name, f"not a date in reviewed_at: '{row['reviewed_at']}'; use "
                                                        "2021-04-16 or 2021-04-16T10:00-05:00", line=line))
                continue
            reviewed_at = to_utc_iso(moment)
            # The latest verdict is the latest by this date: a verdict dated next year would outrank
            # every verdict given until then.
            if in_the_future(reviewed_at, now):
                result.problems.append(InputError(
                    name, f"reviewed_at {reviewed_at[:10]} is in the future (today is {now[:10]}); fix the date",
                    line=line))
                continue
        if item_id in lines_of:
            result.problems.append(InputError(
                name, f"duplicate row for item {item_id} (first on line {lines_of[item_id]}); skipped", line=line))
            continue
        lines_of[item_id] = line
        accepted.append((line, item_id, verdict, category, row.get("note") or None, reviewed_at))

    with transaction(conn):
        done = applied_origins(conn, reviewer, table.sha256)
        latest = latest_by_reviewer(conn, reviewer, [a[1] for a in accepted])
        for line, item_id, verdict, category, note, reviewed_at in accepted:
            origin = f"{table.sha256}:{line}"
            if origin in done or latest.get(item_id) == (verdict, category, note):
                result.already += 1
                continue
            add_review(conn, item_id, verdict, category, reviewer, reviewed_at, note, origin)
            result.applied += 1
    return result
