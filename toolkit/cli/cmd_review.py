"""`toolkit review CASE`: confirm candidates by hand, on screen or through a spreadsheet.

    toolkit review CASE                          the keyboard screen over unreviewed candidates
                                                 (scoring at least [review] min_score, or --min-score)
    toolkit review CASE --export FILE.csv        the candidates as a sheet to fill in
    toolkit review CASE --import FILE.csv        verdicts back from a filled-in sheet
    toolkit review CASE --conflicts              where reviewers disagree, and Cohen's kappa
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from toolkit.case import open_case
from toolkit.cli import filters
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
    write_csv,
)
from toolkit.cli.keys import open_keys
from toolkit.cli.review_screen import run_screen
from toolkit.cohort.agreement import agreements, conflicts
from toolkit.cohort.session import ReviewSession
from toolkit.cohort.sheet import SHEET_COLUMNS, export_rows, import_sheet
from toolkit.dates import utcnow
from toolkit.errors import UsageError
from toolkit.store.item_lookup import item_count
from toolkit.store.reviews import (
    CandidateFilter,
    candidate_ids,
    leading_candidates,
    left_out,
    passing_count,
    reviewer_verdicts,
)

FAST_START = 20_000  # items; below this the whole candidate list is read before the first screen

ReviewerOpt = Annotated[Optional[str], typer.Option("--reviewer", help="Who is reviewing (default: your OS user name).")]  # noqa: UP045


def who(reviewer: str | None) -> str:
    """The reviewer's name: the one given, else the OS user."""
    if reviewer is not None:
        if not reviewer.strip():
            raise UsageError("--reviewer: the name is empty", "Give a name, e.g. --reviewer ana")
        return reviewer.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:
        raise UsageError("cannot tell who is reviewing (no OS user name)", "Give --reviewer NAME") from exc


def register(app: typer.Typer) -> None:
    @app.command("review")
    @handle_errors
    def review(
        case: CaseArg,
        min_score: Annotated[Optional[float], typer.Option("--min-score", help="Only candidates scoring at least this (0-100). Default: [review] min_score in case.toml (20); 0 takes every item.", show_default=False)] = None,  # noqa: UP045
        category: Annotated[Optional[str], typer.Option(help=filters.CATEGORY_HELP, show_default=False)] = None,  # noqa: UP045
        platform: Annotated[Optional[str], typer.Option(help=filters.PLATFORM_HELP, show_default=False)] = None,  # noqa: UP045
        kind: Annotated[Optional[str], typer.Option(help=filters.KIND_HELP, show_default=False)] = None,  # noqa: UP045
        unreviewed: Annotated[bool, typer.Option("--unreviewed/--all", help="Only candidates you have not answered yet, or all.")] = True,
        reviewer: ReviewerOpt = None,
        export: Annotated[Optional[Path], typer.Option("--export", help="Write the candidates to this CSV sheet.", dir_okay=False)] = None,  # noqa: UP045
        import_: Annotated[Optional[Path], typer.Option("--import", help="Apply the verdicts in this CSV sheet.", dir_okay=False)] = None,  # noqa: UP045
        show_conflicts: Annotated[bool, typer.Option("--conflicts", help="List disagreements between reviewers, with Cohen's kappa.")] = False,
        fmt: FormatOpt = OutputFormat.table,
        bom: BomOpt = False,
        raw_cells: RawCellsOpt = False,
    ) -> None:
        """Confirm or reject candidates, highest score first: on screen, or through a spreadsheet."""
        modes = [name for name, on in (("--export", export), ("--import", import_), ("--conflicts", show_conflicts)) if on]
        if len(modes) > 1:
            raise UsageError(f"{' and '.join(modes)} cannot be used together", "Run them one after the other")
        category = filters.CATEGORIES.parse(category, "--category")
        kind = filters.KINDS.parse(kind, "--kind")
        with open_case(case) as opened:
            platform = filters.platform(platform, "--platform", opened.db)
            if show_conflicts:
                _conflicts(opened.db, fmt, CsvStyle(bom, raw_cells))
                return
            name = who(reviewer)
            if import_ is not None:
                _import(opened.db, import_, name)
                return
            threshold = Threshold(min_score, opened.config["review"]["min_score"])
            where = CandidateFilter(min_score=threshold.value, category=category, platform=platform,
                                    kind=kind, unreviewed_by=name if unreviewed else None)
            if export is not None:
                rows = export_rows(opened.db, where)
                # utf-8-sig: spreadsheet programs read accents right only with the byte-order mark.
                with open(export, "w", encoding="utf-8-sig", newline="") as out:
                    write_csv(rows, SHEET_COLUMNS, out=out)
                err.print(f"Wrote {len(rows):,} candidates to {escape(str(export))}")
                threshold.say(left_out(opened.db, where, shown=len(rows)))
                err.print(f"Fill in verdict ({', '.join(['violating', 'not_violating', 'unsure'])}), category and note, then: "
                          f"toolkit review {escape(str(case))} --import {escape(str(export))} --reviewer {escape(name)}")
                return
            # Counted before the session: the verdicts given in it change what "unreviewed" takes.
            passing = passing_count(opened.db, where)
            left = left_out(opened.db, where) if passing is None else None
            shown = _screen(opened.db, where, name, unreviewed)
            threshold.say(left if left is not None else passing - shown)


class Threshold:
    """The review's score threshold: --min-score when given, else [review] min_score."""

    def __init__(self, given: float | None, configured: float):
        self.given = given
        self.value = given if given is not None else float(configured)

    def say(self, left: int) -> None:
        """On stderr: how many items the threshold left out, and how to include them."""
        if not left:
            return
        source = "--min-score" if self.given is not None else "[review] min_score in case.toml"
        err.print(escape(f"Left out {left:,} item(s) scoring below {self.value:g} ({source}): "
                         f"--min-score 0 includes them" + (", a lower --min-score some of them." if self.value > 1 else ".")))


def _screen(db, where: CandidateFilter, reviewer: str, unreviewed: bool) -> int:
    """Run the review screen; returns how many candidates the session walked over (given, or not)."""
    session = start_session(db, where, reviewer)
    if session is None:
        err.print("No candidates to review" + (f" that {escape(reviewer)} has not answered yet (--all to see them again)" if unreviewed else ""))
        return 0
    screen = Console(stderr=True, highlight=False)
    with open_keys() as keys:
        finished = run_screen(session, keys, screen)
    answered = sum(session.given.values())
    tally = ", ".join(f"{n} {v}" for v, n in sorted(session.given.items()))
    if finished:
        err.print(f"Done: {answered} verdicts given" + (f" ({tally})" if tally else "") + f"; end of the {len(session.ids):,} candidates")
    else:
        err.print(f"Stopped at candidate {session.position + 1} of {len(session.ids):,}: {answered} verdicts given"
                  + (f" ({tally})" if tally else "") + ", all saved. Run the same command to continue.")
    session.load_rest()
    return len(session.ids)


def start_session(db, where: CandidateFilter, reviewer: str, fast_start: int = FAST_START) -> ReviewSession | None:
    """A session over the candidates, or None when there are none.

    Cases with more than `fast_start` items start from the head of the list, so the first screen
    does not wait for every item's latest score to be read and sorted.
    """
    if item_count(db) > fast_start:
        head = leading_candidates(db, where)
        if head:
            return ReviewSession(db, head, reviewer, utcnow, rest=lambda: candidate_ids(db, where))
    ids = candidate_ids(db, where)
    return ReviewSession(db, ids, reviewer, utcnow) if ids else None


def _import(db, path: Path, reviewer: str) -> None:
    result = import_sheet(db, path, reviewer, utcnow())
    for problem in result.problems:
        err.print(f"[red]Error:[/] {escape(problem.message)}")
    err.print(f"{escape(str(path))}: {result.applied} verdicts applied as {escape(reviewer)}, {result.already} already applied"
              + (f", {result.blank} rows without a verdict" if result.blank else "")
              + (f", [red]{len(result.problems)} rows with problems[/]" if result.problems else ""))
    if result.problems:
        err.print("Fix those rows and import the file again: rows already applied are skipped.")
        raise typer.Exit(1)


def _conflicts(db, fmt: OutputFormat, style: CsvStyle = CsvStyle()) -> None:
    verdicts = reviewer_verdicts(db)
    rows = conflicts(verdicts)
    if rows or fmt != OutputFormat.table:
        emit(rows, ["item_id", "url", "name", "verdicts"], fmt, widths={"url": 50, "name": 30}, style=style)
    reviewers = sorted({v["reviewer"] for v in verdicts})
    if len(reviewers) < 2:
        err.print(f"Only {len(reviewers)} reviewer(s) in this case: nothing to compare")
        return
    if not rows:
        err.print("No disagreements between reviewers")
    for pair in agreements(verdicts):
        line = (f"{escape(pair.first)} and {escape(pair.second)}: {pair.items} items in common, "
                f"{pair.agreed} agreed ({pair.share:.0%})")
        if pair.kappa is None:
            line += ", Cohen's kappa undefined (one verdict throughout)"
        else:
            line += f", Cohen's kappa {pair.kappa:.2f}"
            if pair.low is not None and pair.high is not None:
                line += f" (95% CI {pair.low:.2f} to {pair.high:.2f})"
        err.print(line)
