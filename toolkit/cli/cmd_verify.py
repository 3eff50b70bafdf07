"""`toolkit verify CASE` and `toolkit verify --bundle FILE.zip`: is the case intact? Never writes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit import __version__
from toolkit import receipt as receipts
from toolkit.case import load_config
from toolkit.cli.common import check_target, err, escape, handle_errors, is_receipt
from toolkit.custody import VerifyResult, verify_case
from toolkit.dates import utcnow
from toolkit.errors import UsageError

ReceiptOpt = Annotated[Optional[Path], typer.Option("--receipt", help="A receipt (from verify or export) whose head the log must still hold.", show_default=False)]  # noqa: UP045
KeyOpt = Annotated[Optional[Path], typer.Option("--key", help="The public key (KEY.pub) the receipt must be signed with.", show_default=False)]  # noqa: UP045
SaveOpt = Annotated[Optional[Path], typer.Option("--save-receipt", help="Write the head to this receipt file when the case is intact.", show_default=False)]  # noqa: UP045
SignOpt = Annotated[Optional[Path], typer.Option("--sign", help="Sign the saved receipt with this private key (toolkit key new).", show_default=False)]  # noqa: UP045


def register(app: typer.Typer) -> None:
    @app.command("verify")
    @handle_errors
    def verify(
        case: Annotated[Optional[Path], typer.Argument(help="The case folder.", show_default=False)] = None,  # noqa: UP045
        bundle: Annotated[Optional[Path], typer.Option("--bundle", help="Check an evidence bundle made by `toolkit export`.")] = None,  # noqa: UP045
        receipt: ReceiptOpt = None,
        key: KeyOpt = None,
        save_receipt: SaveOpt = None,
        sign: SignOpt = None,
    ) -> None:
        """Recompute the custody log, every row it covers and every evidence hash; report the first break."""
        if (case is None) == (bundle is None):
            raise UsageError("give either a case folder or --bundle FILE.zip", "e.g. toolkit verify cases/NAME")
        if sign is not None and save_receipt is None:
            raise UsageError("--sign signs the receipt --save-receipt writes", "Add --save-receipt FILE")
        if save_receipt is not None:  # before anything is read: only an earlier receipt is replaced
            check_target(save_receipt, "--save-receipt", "receipt", is_receipt)
        if bundle is not None:
            from toolkit.bundle import verify_bundle

            result = verify_bundle(bundle, key=key, receipt=receipt)
            label, name = str(bundle), bundle.stem
        else:
            if key is not None and receipt is None:
                raise UsageError("--key checks the signature of a --receipt", "Add --receipt FILE")
            result = verify_case(case, receipt=receipt, key=key)
            label = str(case)
            try:
                name = load_config(case)["case"]["name"] or case.name
            except Exception:
                name = case.name
        show(label, result)
        if not result.intact:
            raise typer.Exit(1)
        if save_receipt is not None:
            made = receipts.make(name, result.events, result.head, utcnow(), __version__, sign)
            receipts.write(save_receipt, made)
            err.print(f"Receipt written to {escape(str(save_receipt))}"
                      + (" (signed)" if sign is not None else " (unsigned: keep it apart from the case)"))


def show(label: str, result: VerifyResult) -> None:
    for note in result.notes:
        err.print(f"note: {escape(note)}")
    if result.intact:
        typer.echo(f"{label}: intact. {result.events} events, {result.evidence_checked} evidence files checked; "
                   f"head {result.head}")
        if result.data_head != result.head:
            typer.echo(f"data head (what reports stamp; report events aside): {result.data_head}")
        if result.since_receipt is not None:
            signed = f", signed by key {result.signer}" if result.signer else ""
            typer.echo(f"receipt{signed}: its head is in the log; {result.since_receipt} events were added since")
        return
    err.print(f"[bold red]{escape(label)}: NOT intact.[/] First break: {escape(result.problems[0])}")
    err.print(f"  Fix: {escape(result.fixes[0])}")
    for problem in result.problems[1:]:
        err.print(f"  also: {escape(problem)}")
    err.print(f"{result.events} events checked; head {result.head}")
