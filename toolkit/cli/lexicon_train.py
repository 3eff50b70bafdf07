"""`toolkit lexicon train LABELLED...`: fit an offer model (toolkit/lexicon/model.py) to labelled texts.

Registered under the `lexicon` sub-app by cmd_lexicon. The fitting is in toolkit.lexicon.training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli.common import err, escape
from toolkit.errors import UsageError
from toolkit.lexicon.evaluate import OFFERS, read_labelled
from toolkit.lexicon.training import DEFAULT_C, DEFAULT_FALSE_ALARMS, DEFAULT_MIN_DF, train


def train_command(
    labelled: Annotated[list[Path], typer.Argument(help="Labelled texts (CSV or JSON Lines, as `lexicon eval` reads), "
                                                   "one file or more.", show_default=False, exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The model file to write (.npz).", show_default=False)],
    name: Annotated[str, typer.Option(help="The model's name, recorded with every score it gives.")] = "offers",
    version: Annotated[str, typer.Option(help="The model's version.")] = "1",
    c: Annotated[float, typer.Option("--c", min=1e-4, help="Inverse regularisation strength.")] = DEFAULT_C,
    min_df: Annotated[int, typer.Option(min=1, help="N-grams in fewer training texts than this get no weight.")] = DEFAULT_MIN_DF,
    false_alarms: Annotated[float, typer.Option(
        min=0.0, max=0.5, help="Share of the other texts (unrelated, news, warnings) allowed above the review threshold, "
                               "measured by cross-validation: sets the model's decision boundary.")] = DEFAULT_FALSE_ALARMS,
) -> None:
    """Train an offer model on labelled texts: offers (the four offer labels) against the rest.

    Use it in a case with `[scan] model = "PATH"` in case.toml, and measure it first with
    `toolkit lexicon eval HELD_OUT.csv --model PATH` on texts it was not trained on.
    """
    if out.suffix != ".npz":
        raise UsageError(f"{out}: a model file ends in .npz", "Give --out a name like my-model.npz")
    items = [item for path in labelled for item in read_labelled(path)]
    model = train(items, name=name, version=version, c=c, min_df=min_df, false_alarms=false_alarms)
    model.info.trained["files"] = [{"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
                                   for path in labelled]
    model.save(out)
    offers = sum(item.label in OFFERS for item in items)
    err.print(f"wrote {escape(str(out))}: {escape(model.ident)}, trained on {len(items)} texts ({offers} offers, "
              f"{len(items) - offers} others), {int((model.weights != 0).sum()):,} weighted n-grams; in cross-validation "
              f"it flags {model.info.trained['unseen_recall']:.0%} of the offers at {false_alarms:.0%} of the others")
