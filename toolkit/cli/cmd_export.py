"""`toolkit export CASE --bundle FILE.zip`: a self-describing, verifiable evidence bundle."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from toolkit import receipt as receipts
from toolkit.case import open_case
from toolkit.cli.common import CaseArg, check_target, err, escape, handle_errors, is_receipt
from toolkit.errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command("export")
    @handle_errors
    def export(
        case: CaseArg,
        bundle: Annotated[Path, typer.Option("--bundle", help="Where to write the zip.", show_default=False)],
        sign: Annotated[Optional[Path], typer.Option("--sign", help="Sign the bundle's receipt with this private key (toolkit key new).", show_default=False)] = None,  # noqa: UP045
        save_receipt: Annotated[Optional[Path], typer.Option("--save-receipt", help="Also write the receipt here, to keep apart from the bundle.", show_default=False)] = None,  # noqa: UP045
    ) -> None:
        """Write the case (database snapshot, evidence, files in force, manifest, receipt, README) to one zip."""
        from toolkit.bundle import export_bundle

        # Checked before anything is written: a bundle or receipt replaces only an earlier one.
        check_target(bundle, "--bundle", "bundle", _is_bundle)
        if save_receipt is not None:
            check_target(save_receipt, "--save-receipt", "receipt", is_receipt)
            if save_receipt.resolve() == bundle.resolve():
                raise UsageError("--save-receipt names the same file as --bundle",
                                 "Keep the receipt in a file of its own (e.g. receipt.json)")
        with open_case(case) as opened:
            receipt, files = export_bundle(opened, bundle, sign=sign)
        if save_receipt is not None:
            receipts.write(save_receipt, receipt)
        err.print(f"Wrote {escape(str(bundle))}: {files} files, {receipt['events']} events, head {receipt['head']}")
        if sign is not None:
            err.print("The receipt inside is signed; anyone with your public key can check it with:")
            err.print(f"  toolkit verify --bundle {escape(str(bundle))} --key YOUR_KEY.pub")
        else:
            err.print(f"Anyone can check it with: toolkit verify --bundle {escape(str(bundle))}")
        if save_receipt is not None:
            err.print(f"Receipt written to {escape(str(save_receipt))}")


def _is_bundle(path: Path) -> bool:
    """Whether `path` is a zip holding a bundle's database, manifest and receipt (its directory read only)."""
    from toolkit.bundle import DB_ENTRY, MANIFEST, RECEIPT

    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
    return {DB_ENTRY, MANIFEST, RECEIPT} <= names
