"""`toolkit key new FILE`: an Ed25519 key pair for signing custody receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.common import err, escape, handle_errors


def register(app: typer.Typer) -> None:
    key_app = typer.Typer(help="Keys that sign custody receipts (export --sign, verify --key).",
                          no_args_is_help=True)

    @key_app.command("new")
    @handle_errors
    def new(
        path: Annotated[Path, typer.Argument(help="Where to write the private key; the public key goes to FILE.pub.", show_default=False)],
    ) -> None:
        """Make a new key pair. Keep FILE private (and outside every case); hand out FILE.pub."""
        from toolkit import receipt as receipts

        public, fingerprint = receipts.new_key(path)
        err.print(f"Private key: {escape(str(path))} (readable by you only; never put it in a case or a bundle)")
        err.print(f"Public key:  {escape(str(public))} (fingerprint {fingerprint}; give it to whoever checks your receipts)")

    app.add_typer(key_app, name="key")
