"""`toolkit report CASE`: removal rates, time to removal, audience and seller networks, as files."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit.case import Case, open_case
from toolkit.cli.common import CaseArg, QuietOpt, err, escape, handle_errors, printable
from toolkit.dates import parse_iso, parse_when, utc_stamp, utcnow
from toolkit.errors import UsageError
from toolkit.store.report_queries import latest_event


def as_of_value(text: str | None, latest: str | None) -> str:
    """--as-of as ISO UTC: a bare date means the end of that day; no value means the case's latest event."""
    if text is None:
        return latest or utcnow()
    value = parse_when(text, "--as-of")
    if len(text.strip()) == 10 and parse_iso(text) is not None:
        value = value[:10] + "T23:59:59Z"
    return value


def _folder(root: Path) -> Path:
    stamp = utc_stamp()
    folder = root / "reports" / stamp
    n = 2
    while folder.exists():
        folder = root / "reports" / f"{stamp}-{n}"
        n += 1
    return folder


class _CaseEvidence:
    """The case's evidence files, as the report reads them (checked content, path in the case)."""

    def __init__(self, case: Case):
        self.case = case

    def read(self, sha256: str) -> bytes:
        return self.case.read_evidence(sha256)

    def path(self, sha256: str) -> str:
        return self.case.evidence_path(sha256).relative_to(self.case.root).as_posix()


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handle_errors
    def report(
        case: CaseArg,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Report the case as it stood at this date (ISO; a bare date means the end of that day). Default: the latest check, notice, wave start, capture or verdict in the case.")] = None,  # noqa: UP045
        formats: Annotated[Optional[str], typer.Option("--format", "-f", help="Comma-separated: md,html,csv,json (default: [report] formats in case.toml, i.e. all).")] = None,  # noqa: UP045
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder to write into (default: CASE/reports/<timestamp>/).")] = None,  # noqa: UP045
        redact: Annotated[Optional[bool], typer.Option("--redact/--no-redact", help="Mask phone numbers, WhatsApp/Telegram contacts, emails and personal profile names (default: [report] redact in case.toml).")] = None,  # noqa: UP045
        screenshots: Annotated[bool, typer.Option("--screenshots", help="Embed the last screenshot of each cohort item (from browser checks) in the HTML report. Never with --redact.")] = False,
        bom: Annotated[bool, typer.Option("--bom/--no-bom", help="Start the CSV files with a UTF-8 byte-order mark, so Excel reads accents right (--no-bom for scripts that choke on it).")] = True,
        raw_cells: Annotated[bool, typer.Option("--raw-cells", help="Write CSV cells as they are, without the ' that stops a spreadsheet running =, +, -, @ cells as formulas (phones stay +52...; for scripts, never for opening in a spreadsheet; see docs/csv.md).")] = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Write the removal report (Markdown, HTML, CSV, JSON) and print its headline."""
        # Imported here: pandas and scipy take seconds to load, and every other command
        # (a folder scan above all) starts without them.
        from toolkit.report.output import parse_formats, write_report

        with open_case(case) as opened:
            chosen = parse_formats(formats if formats is not None else opened.config["report"]["formats"])
            when = as_of_value(as_of, latest_event(opened.db))
            masked = opened.config["report"]["redact"] if redact is None else redact
            if screenshots and masked:
                raise UsageError("--screenshots cannot go with a redacted report: screenshots show pages as they were "
                                 "seen, names and contact numbers included",
                                 "Leave out --screenshots, or make the report unredacted (--no-redact) and keep it "
                                 "within the team")
            folder = output if output is not None else _folder(opened.root)
            # A spinner naming the stage (the report takes tens of seconds on 100,000 items).
            with err.status("", spinner="dots") if not quiet and sys.stderr.isatty() else nullcontext() as status:
                written = write_report(opened.db, opened.config, when, folder, chosen, redact=masked, root=opened.root,
                                       screenshots=_CaseEvidence(opened) if screenshots else None,
                                       case_name=opened.name, bom=bom, raw_cells=raw_cells,
                                       progress=(lambda stage: status.update(escape(stage))) if status else None)
        for sentence in written.report.headline:
            typer.echo(printable(sentence))
        sys.stdout.flush()  # the headline before the note on stderr, also when both go to one pipe
        if not quiet:
            err.print(f"Report as of {escape(when)} written to {escape(str(written.folder))}/: "
                      f"{escape(', '.join(written.files))}")
