"""Recording notices (reports made to the platform): from named items, a CSV file, or the cohort.

A notice is append-only. The same notice (item, moment, channel, reference) given again is skipped
as already recorded, so re-running a flag command or re-importing a notices file adds nothing.

A date that cannot be right is refused unless forced: one more than a day ahead of now (a typo,
2031 for 2021), or one on a day before the item's first capture (a notice is made about an item
already found). A notice recorded by mistake is voided, never edited: `void` appends a row saying
why, and every count of notices leaves voided ones out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cohort.csv_rows import choices, first, read_table, token
from toolkit.cohort.refs import resolve_item
from toolkit.dates import in_the_future, parse_iso, to_utc_iso
from toolkit.errors import InputError, ToolkitError, UsageError
from toolkit.models import Channel
from toolkit.store import transaction
from toolkit.store.db import Connection
from toolkit.store.notices import add_notice, add_void, confirmed_not_noticed, find_notice, notice_by_id
from toolkit.store.status import first_seen

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
    notice_ids: list[int] = field(default_factory=list)  # the notices recorded now, in order
    already: int = 0
    voided: list[int] = field(default_factory=list)  # ids of voided notices given again (not recorded)
    problems: list[InputError] = field(default_factory=list)


def resolve_items(conn: Connection, tokens: list[str]) -> list[int]:
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


def cohort_confirmed(conn: Connection) -> list[int]:
    """Every item whose latest verdict is violating and that was not noticed yet."""
    return confirmed_not_noticed(conn)


def date_problem(conn: Connection, item_id: int, noticed_at: str, now: str) -> str | None:
    """Why a notice on `noticed_at` about the item cannot be right, or None.

    Refused: a moment more than a day after `now`, and a day (UTC) before the day of the item's
    first capture. Captures dated only by their import (the file did not say when it was saved)
    do not count: their date is when the researcher scanned, not when the item was found.
    """
    if in_the_future(noticed_at, now):
        return f"{noticed_at[:10]} is in the future (today is {now[:10]})"
    first = first_seen(conn, item_id)
    if first is not None and noticed_at[:10] < first[:10]:
        return f"{noticed_at[:10]} is before item {item_id} was first captured ({first[:10]})"
    return None


FORCE_HINT = "Check the date (--at, or the file's noticed_at); if it is right, give --force"


def check_dates(conn: Connection, requests: list[NoticeRequest], now: str) -> list[str]:
    """`date_problem` of each request that has one."""
    return [problem for r in requests if (problem := date_problem(conn, r.item_id, r.noticed_at, now))]


def from_file(conn: Connection, path: Path, channel: str | None, noticed_at: str | None,
              reference: str | None, noticed_by: str | None, note: str | None, *, now: str | None = None,
              force: bool = False) -> tuple[list[NoticeRequest], list[InputError]]:
    """Notices from a CSV file: item (id or URL), and per row or from the options: date, channel.

    Columns: `item` / `item_id` / `id` / `url`, `noticed_at` (or `at`, `date`), `channel`,
    `reference`, `noticed_by` (or `by`), `note`. The options fill cells a file leaves empty.
    With `now` and not `force`, a row whose date cannot be right (see `date_problem`) is a problem.
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
        if now is not None and not force:
            problem = date_problem(conn, item_id, when, now)
            if problem:
                problems.append(InputError(name, f"{problem}; fix the date, or give --force if it is right", line=line))
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


def record(conn: Connection, requests: list[NoticeRequest], recorded_at: str) -> FlagResult:
    """Append the notices in one transaction, skipping any already recorded."""
    result = FlagResult()
    with transaction(conn):
        for request in requests:
            known = find_notice(conn, request.item_id, request.noticed_at, request.channel, request.reference)
            if known is not None:
                if known["voided_at"]:
                    result.voided.append(known["id"])
                else:
                    result.already += 1
                continue
            notice_id = add_notice(conn, request.item_id, request.noticed_at, request.channel, request.reference,
                                   request.noticed_by, request.note, recorded_at)
            result.recorded.append(request.item_id)
            result.notice_ids.append(notice_id)
    return result


def void(conn: Connection, notice_id: int, why: str, voided_by: str | None, voided_at: str) -> dict:
    """Void one notice (append a notice_void row); returns the notice as it was.

    ToolkitError when there is no such notice, or it was voided already (a void is final: record
    the right notice anew). UsageError when `why` is empty: a void must say why.
    """
    if not why.strip():
        raise UsageError("--why: say why the notice is voided", 'e.g. --why "wrong date: it was handed over on 2021-04-19"')
    with transaction(conn):
        notice = notice_by_id(conn, notice_id)
        if notice is None:
            raise ToolkitError(f"no notice #{notice_id} in this case",
                               "Notice numbers are shown by toolkit show CASE ITEM and by toolkit flag when recording")
        if notice["voided_at"]:
            raise ToolkitError(f"notice #{notice_id} was already voided on {notice['voided_at'][:10]} ({notice['why']})",
                               "A void is final: record the right notice with toolkit flag")
        add_void(conn, notice_id, why.strip(), voided_by, voided_at)
    return notice


def check_choice(items: list[str], from_path: Path | None, cohort: str | None, voiding: int | None = None) -> None:
    """Exactly one way of naming the items to flag (or one notice to void); UsageError otherwise."""
    if voiding is not None:
        if items or from_path is not None or cohort is not None:
            raise UsageError("--void voids one notice: it takes no ITEM, --from or --cohort",
                             "e.g. toolkit flag CASE --void 7 --why \"wrong date\"")
        return
    given = sum([bool(items), from_path is not None, cohort is not None])
    if given != 1:
        raise UsageError("name the items to flag in one way: ITEM..., --from FILE.csv or --cohort confirmed",
                         "e.g. toolkit flag CASE 12 14 --channel in_app --at 2021-04-16")
