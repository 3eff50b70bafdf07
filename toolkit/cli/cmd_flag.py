"""`toolkit flag CASE`: record notices, i.e. what was reported to the platform, when and how.

    toolkit flag CASE ITEM... --channel in_app --at 2021-04-16 [--reference REF] [--note TEXT]
    toolkit flag CASE --from notices.csv [--channel ...] [--at ...]
    toolkit flag CASE --cohort confirmed --channel platform_request --at 2021-04-16
    toolkit flag CASE --void NOTICE_ID --why TEXT

A date more than a day in the future, or before the item's first capture, is refused unless
`--force`. A notice recorded by mistake is voided (a row saying why), never edited or deleted.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.case import open_case
from toolkit.cli import filters
from toolkit.cli.common import CaseArg, err, escape, handle_errors
from toolkit.cohort.flagging import (
    FORCE_HINT,
    NoticeRequest,
    check_choice,
    check_dates,
    cohort_confirmed,
    from_file,
    record,
    resolve_items,
    void,
)
from toolkit.dates import parse_when, utcnow
from toolkit.errors import UsageError


class Cohort(StrEnum):
    confirmed = "confirmed"


def register(app: typer.Typer) -> None:
    @app.command("flag")
    @handle_errors
    def flag(
        case: CaseArg,
        items: Annotated[Optional[list[str]], typer.Argument(help="Items by id (12) or URL.", show_default=False)] = None,  # noqa: UP045
        channel: Annotated[Optional[str], typer.Option(help="How the platform was told: " + ", ".join(filters.CHANNELS.tokens) + "; any case.", show_default=False)] = None,  # noqa: UP045
        at: Annotated[Optional[str], typer.Option("--at", help="When (2021-04-16, 2021-04-16T10:00-05:00); stored in UTC.")] = None,  # noqa: UP045
        reference: Annotated[Optional[str], typer.Option(help="The platform's ticket or report number, a letter's reference...")] = None,  # noqa: UP045
        note: Annotated[Optional[str], typer.Option(help="A note kept with each notice.")] = None,  # noqa: UP045
        by: Annotated[Optional[str], typer.Option("--by", help="Who reported it (default: your OS user name).")] = None,  # noqa: UP045
        from_path: Annotated[Optional[Path], typer.Option("--from", help="A CSV of notices: item (id or URL), noticed_at, channel, reference, note.", dir_okay=False)] = None,  # noqa: UP045
        cohort: Annotated[Optional[Cohort], typer.Option("--cohort", help="confirmed: every item confirmed violating and not noticed yet.")] = None,  # noqa: UP045
        force: Annotated[bool, typer.Option("--force", help="Record dates that look wrong: more than a day in the future, or before the item's first capture.")] = False,
        void_id: Annotated[Optional[int], typer.Option("--void", help="Void this notice (its number, from toolkit show or flag): it stays on record, marked void, and no longer counts.", show_default=False)] = None,  # noqa: UP045
        why: Annotated[Optional[str], typer.Option("--why", help="With --void: why the notice is voided (kept with the void).", show_default=False)] = None,  # noqa: UP045
    ) -> None:
        """Record that items were reported to the platform (append-only; the same notice twice is skipped), or void one."""
        check_choice(items or [], from_path, cohort, void_id)
        who = by or _user()
        if void_id is not None:
            _void(case, void_id, why, who)
            return
        if why is not None:
            raise UsageError("--why goes with --void", "e.g. toolkit flag CASE --void 7 --why \"wrong date\"")
        when = parse_when(at, "--at") if at else None
        channel_token = filters.CHANNELS.parse(channel, "--channel")
        now = utcnow()
        with open_case(case) as opened:
            problems = []
            if from_path is not None:
                requests, problems = from_file(opened.db, from_path, channel_token, when, reference, who, note,
                                               now=now, force=force)
                for problem in problems:
                    err.print(f"[red]Error:[/] {escape(problem.message)}")
            else:
                if channel_token is None or when is None:
                    missing = " and ".join(name for name, value in (("--channel", channel_token), ("--at", when)) if value is None)
                    raise UsageError(f"{missing} required: say how and when the platform was told",
                                     "e.g. --channel platform_request --at 2021-04-16")
                ids = resolve_items(opened.db, items) if items else cohort_confirmed(opened.db)
                if not ids:
                    err.print("No confirmed item is waiting for a notice (confirm with toolkit review; see toolkit items --verdict violating)")
                    return
                requests = [NoticeRequest(i, when, channel_token, reference, who, note) for i in ids]
                wrong = [] if force else check_dates(opened.db, requests, now)
                if wrong:
                    shown = "; ".join(wrong[:5]) + (f"; and {len(wrong) - 5} more" if len(wrong) > 5 else "")
                    raise UsageError(f"--at: {shown}; nothing recorded", FORCE_HINT)
            result = record(opened.db, requests, now)
        what = escape(str(from_path)) + ": " if from_path is not None else ""
        numbers = _numbers(result.notice_ids)
        err.print(f"{what}{len(result.recorded)} notices recorded, {result.already} already recorded"
                  + (f", {len(result.voided)} skipped: the same notice was voided ({_numbers(result.voided)})" if result.voided else "")
                  + (f", [red]{len(problems)} rows with problems[/]" if problems else "")
                  + (f"; notice numbers {numbers}" if numbers else ""))
        if problems:
            err.print("Fix those rows and run the command again: notices already recorded are skipped.")
            raise typer.Exit(1)


def _void(case: Path, notice_id: int, why: str | None, who: str | None) -> None:
    if why is None:
        raise UsageError("--void needs --why: say why the notice is voided",
                         'e.g. --why "wrong date: handed over on 2021-04-19"')
    with open_case(case) as opened:
        notice = void(opened.db, notice_id, why, who, utcnow())
    err.print(escape(f"Notice #{notice_id} voided: item {notice['item_id']}, {notice['noticed_at'][:10]} "
                     f"{notice['channel']}" + (f" ref {notice['reference']}" if notice["reference"] else "")
                     + ". It stays on record, marked void, and no longer counts in items or the report."))
    err.print(escape(f"To record the right notice: toolkit flag {case} {notice['item_id']} --channel CHANNEL --at DATE"))


def _numbers(ids: list[int], shown: int = 10) -> str:
    """`#7, #8, #9` (the first few notice numbers)."""
    return ", ".join(f"#{i}" for i in ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
