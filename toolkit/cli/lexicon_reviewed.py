"""`toolkit lexicon reviewed CASE --out FILE`: a case's verdicts as a labelled file for `lexicon eval`
and `lexicon train`.

Registered under the `lexicon` sub-app by cmd_lexicon. The rows come from
toolkit.store.reviews.reviewed_texts (one verdict rule for the whole toolkit).
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from toolkit.atomic_write import write_whole
from toolkit.case import open_case
from toolkit.cli.common import CaseArg, err, escape
from toolkit.errors import UsageError
from toolkit.lexicon.evaluate import LABELS, UNRELATED
from toolkit.neutralise import write_csv
from toolkit.store.reviews import reviewed_texts

COLUMNS = ["text", "label", "language", "source", "item_id"]


def labelled_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Counter]:
    """Rows as `lexicon eval` reads them, and what was left out and why.

    violating -> the verdict's category (else the score's); not_violating -> `none`. Left out:
    `unsure` verdicts, violating items with no category, items with no text at all, and a text
    given again with the same label (the copy adds nothing; the first item keeps it).
    """
    out: list[dict[str, Any]] = []
    left: Counter = Counter()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row["verdict"] == "violating":
            label = row["category"] if row["category"] in LABELS else None
            if label is None:
                left["violating without a category"] += 1
                continue
        elif row["verdict"] == "not_violating":
            label = UNRELATED
        else:
            left[f"{row['verdict']} verdict"] += 1
            continue
        text = "\n".join(part for part in (row["name"], row["text"]) if part and part.strip())
        if not text:
            left["no name or text"] += 1
            continue
        if (text, label) in seen:
            left["same text and label as an earlier item"] += 1
            continue
        seen.add((text, label))
        out.append({"text": text, "label": label, "language": row["language"] or "", "source": row["source"] or "",
                    "item_id": row["item_id"]})
    return out, left


def reviewed_command(
    case: CaseArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="The labelled file to write: .jsonl (texts exactly as "
                                      "captured) or .csv (cells a spreadsheet would run as a formula neutralised).",
                                      show_default=False, dir_okay=False)],
) -> None:
    """Write the case's reviewed items as a labelled file (text, label, language, source), for
    `toolkit lexicon eval` and `toolkit lexicon train`.

    A violating item is labelled with its verdict's category (else its score's), a not-violating one
    `none`; unsure verdicts are left out. The text is the item's name and its latest captured text.
    The items reviewed are those the lexicons and the model put up for review, so recall measured on
    this file overstates what they find: use it for precision, and as training data beside texts
    nobody selected. It holds what the pages said: keep it with the case.
    """
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise UsageError(f"{out}: give a file ending in .jsonl or .csv", "e.g. --out reviewed.jsonl")
    with open_case(case) as opened:  # one query: one picture of the case
        rows, left = labelled_rows(reviewed_texts(opened.db))
    if suffix == ".jsonl":
        data = b"".join(orjson.dumps(row) + b"\n" for row in rows)
    else:
        buffer = io.StringIO()
        write_csv(buffer, COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
        data = buffer.getvalue().encode("utf-8")
    write_whole(out, data)
    labels = Counter(row["label"] for row in rows)
    err.print(f"wrote {escape(str(out))}: {len(rows):,} texts ("
              + ", ".join(f"{label} {n:,}" for label, n in sorted(labels.items())) + ")"
              + ("; left out: " + ", ".join(f"{why} {n:,}" for why, n in sorted(left.items())) if left else ""))
    if not rows:
        err.print("No reviewed item has a label yet: review some candidates first (toolkit review CASE)")

