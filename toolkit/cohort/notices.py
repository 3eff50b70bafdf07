"""Recording notices (reports made to the platform): from named items, a CSV file, or the cohort.

A notice is append-only. The same notice (item, moment, channel, reference) given again is skipped
as already recorded, so re-running a flag command or re-importing a notices file adds nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cohort.refs import resolve_item
from toolkit.cohort.table import choices, first, read_table, token
from toolkit.dates import parse_iso, to_utc_iso
from toolkit.errors import InputError, ToolkitError, UsageError
from toolkit.models import Channel
from toolkit.store import transaction
from toolkit.store.notices import add_notice, confirmed_not_noticed, notice_exists

CHANNELS = choices([c.value for c in Channel])
ITEM_COLUMNS = ("item", "item_id", "id", "url")
DATE_COLUMNS = ("noticed_at", "at", "date")
BY_COLUMNS = ("noticed_by", "by")


@dataclass(frozen=True)
class NoticeRequest:
    """One notice to record: which item, when (ISO UTC), through which channel, with what reference."""

    item_id: int
    noticed_at: str
    channel: str
    reference: str | None = None
    noticed_by: str | None = None
    note: str | None = None


@dataclass
class FlagResult:
    """What a flag command did; `problems` are InputErrors naming the file and line."""

    recorded: list[int] = field(default_factory=list)  # item ids noticed now
    already: int = 0
    problems: list[InputError] = field(default_factory=list)


def resolve_items(conn: sqlite3.Connection, tokens: list[str]) -> list[int]:
    """Item ids for ids/URLs given as arguments; ToolkitError naming the first unknown one."""
    ids = []
    for given in tokens:
        item_id = resolve_item(conn, given)
        if item_id is None:
            raise ToolkitError(f"unknown item '{given}': no item with this id or URL in the case",
                               "List the case's items with: toolkit items CASE")
        if item_id not in ids:
            ids.append(item_id)
    return ids


def cohort_confirmed(conn: sqlite3.Connection) -> list[int]:
    """Every item whose latest verdict is violating and that was not noticed yet."""
    return confirmed_not_noticed(conn)


def from_file(conn: sqlite3.Connection, path: Path, channel: str | None, noticed_at: str | None,
              reference: str | None, noticed_by: str | None, note: str | None) -> tuple[list[NoticeRequest], list[InputError]]:
    """Notices from a CSV file: item (id or URL), and per row or from the options: date, channel.

    Columns: `item` / `item_id` / `id` / `url`, `noticed_at` (or `at`, `date`), `channel`,
    `reference`, `noticed_by` (or `by`), `note`. The options fill cells a file leaves empty.
    """
    table = read_table(path)
    name = str(path)
    if not table.has(*ITEM_COLUMNS):
        raise InputError(name, "no item column (item, item_id, id or url)", "Add a column naming each item by id or URL", line=1)
    requests: list[NoticeRequest] = []
    problems: list[InputError] = []
    lines_of: dict[tuple[int, str, str], int] = {}
    for line, row in table.rows:
        item_token = first(row, *ITEM_COLUMNS)
        if not item_token:
            problems.append(InputError(name, "no item id or URL", line=line))
            continue
        item_id = resolve_item(conn, item_token)
        if item_id is None:
            problems.append(InputError(name, f"unknown item '{item_token}'", line=line))
            continue
        channel_word = row.get("channel") or channel
        if not channel_word:
            problems.append(InputError(name, f"no channel; add a channel column or give --channel ({CHANNELS})", line=line))
            continue
        if token(channel_word) not in {c.value for c in Channel}:
            problems.append(InputError(name, f"unknown channel '{channel_word}'; use {CHANNELS}", line=line))
            continue
        date_word = first(row, *DATE_COLUMNS)
        when = noticed_at
        if date_word:
            moment = parse_iso(date_word)
            if moment is None:
                problems.append(InputError(name, f"not a date: '{date_word}'; use 2021-04-16 or 2021-04-16T10:00-05:00", line=line))
                continue
            when = to_utc_iso(moment)
        if when is None:
            problems.append(InputError(name, "no date; add a noticed_at column or give --at", line=line))
            continue
        key = (item_id, when, token(channel_word))
        if key in lines_of:
            problems.append(InputError(name, f"duplicate row for item {item_id} (first on line {lines_of[key]}); skipped", line=line))
            continue
        lines_of[key] = line
        requests.append(NoticeRequest(
            item_id=item_id, noticed_at=when, channel=token(channel_word),
            reference=row.get("reference") or reference, noticed_by=first(row, *BY_COLUMNS) or noticed_by,
            note=row.get("note") or note,
        ))
    return requests, problems


def record(conn: sqlite3.Connection, requests: list[NoticeRequest], recorded_at: str) -> FlagResult:
    """Append the notices in one transaction, skipping any already recorded."""
    result = FlagResult()
    with transaction(conn):
        for request in requests:
            if notice_exists(conn, request.item_id, request.noticed_at, request.channel, request.reference):
                result.already += 1
                continue
            add_notice(conn, request.item_id, request.noticed_at, request.channel, request.reference,
                       request.noticed_by, request.note, recorded_at)
            result.recorded.append(request.item_id)
    return result


def check_choice(items: list[str], from_path: Path | None, cohort: str | None) -> None:
    """Exactly one way of naming the items to flag; UsageError otherwise."""
    given = sum([bool(items), from_path is not None, cohort is not None])
    if given != 1:
        raise UsageError("name the items to flag in one way: ITEM..., --from FILE.csv or --cohort confirmed",
                         "e.g. toolkit flag CASE 12 14 --channel in_app --at 2021-04-16")
