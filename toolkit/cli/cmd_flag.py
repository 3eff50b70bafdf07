"""`toolkit flag CASE`: record notices, i.e. what was reported to the platform, when and how.

    toolkit flag CASE ITEM... --channel in_app --at 2021-04-16 [--reference REF] [--note TEXT]
    toolkit flag CASE --from notices.csv [--channel ...] [--at ...]
    toolkit flag CASE --cohort confirmed --channel platform_request --at 2021-04-16
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.case import open_case, utcnow
from toolkit.cli.common import CaseArg, err, escape, handle_errors
from toolkit.cohort.notices import NoticeRequest, check_choice, cohort_confirmed, from_file, record, resolve_items
from toolkit.dates import parse_when
from toolkit.errors import UsageError
from toolkit.models import Channel


class Cohort(StrEnum):
    confirmed = "confirmed"


def register(app: typer.Typer) -> None:
    @app.command("flag")
    @handle_errors
    def flag(
        case: CaseArg,
        items: Annotated[Optional[list[str]], typer.Argument(help="Items by id (12) or URL.", show_default=False)] = None,  # noqa: UP045
        channel: Annotated[Optional[Channel], typer.Option(help="How the platform was told.")] = None,  # noqa: UP045
        at: Annotated[Optional[str], typer.Option("--at", help="When (2021-04-16, 2021-04-16T10:00-05:00); stored in UTC.")] = None,  # noqa: UP045
        reference: Annotated[Optional[str], typer.Option(help="The platform's ticket or report number, a letter's reference...")] = None,  # noqa: UP045
        note: Annotated[Optional[str], typer.Option(help="A note kept with each notice.")] = None,  # noqa: UP045
        by: Annotated[Optional[str], typer.Option("--by", help="Who reported it (default: your OS user name).")] = None,  # noqa: UP045
        from_path: Annotated[Optional[Path], typer.Option("--from", help="A CSV of notices: item (id or URL), noticed_at, channel, reference, note.", dir_okay=False)] = None,  # noqa: UP045
        cohort: Annotated[Optional[Cohort], typer.Option("--cohort", help="confirmed: every item confirmed violating and not noticed yet.")] = None,  # noqa: UP045
    ) -> None:
        """Record that items were reported to the platform (append-only; the same notice twice is skipped)."""
        check_choice(items or [], from_path, cohort)
        when = parse_when(at, "--at") if at else None
        who = by or _user()
        with open_case(case) as opened:
            problems = []
            if from_path is not None:
                requests, problems = from_file(opened.db, from_path, channel.value if channel else None, when, reference, who, note)
                for problem in problems:
                    err.print(f"[red]Error:[/] {escape(problem.message)}")
            else:
                if channel is None or when is None:
                    missing = " and ".join(name for name, value in (("--channel", channel), ("--at", when)) if value is None)
                    raise UsageError(f"{missing} required: say how and when the platform was told",
                                     "e.g. --channel platform_request --at 2021-04-16")
                ids = resolve_items(opened.db, items) if items else cohort_confirmed(opened.db)
                if not ids:
                    err.print("No confirmed item is waiting for a notice (confirm with toolkit review; see toolkit items --verdict violating)")
                    return
                requests = [NoticeRequest(i, when, channel.value, reference, who, note) for i in ids]
            result = record(opened.db, requests, utcnow())
        what = escape(str(from_path)) + ": " if from_path is not None else ""
        err.print(f"{what}{len(result.recorded)} notices recorded, {result.already} already recorded"
                  + (f", [red]{len(problems)} rows with problems[/]" if problems else ""))
        if problems:
            err.print("Fix those rows and run the command again: notices already recorded are skipped.")
            raise typer.Exit(1)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
