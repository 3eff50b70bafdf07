"""`toolkit lexicon eval LABELLED`: how a lexicon set scores texts whose right answer is known.

Registered under the `lexicon` sub-app by cmd_lexicon. The figures are computed in
toolkit.lexicon.evaluate; this module chooses the lexicons and the threshold, and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from toolkit.case import CONFIG_SPEC, open_case
from toolkit.cli.common import FormatOpt, ModelOpt, OutputFormat, err, escape, printable, printable_json, write_csv
from toolkit.errors import UsageError
from toolkit.lexicon import Tagger, load_lexicon, resolve
from toolkit.lexicon.evaluate import Evaluation, evaluate, read_labelled
from toolkit.lexicon.loader import check_set
from toolkit.lexicon.model import chosen_model

# A text counts as flagged from the score `toolkit review` walks from: the case's [review] min_score,
# else its default (one threshold for what gets looked at, whichever command asks).
DEFAULT_THRESHOLD = float(CONFIG_SPEC["review"]["min_score"][1])
CSV_COLUMNS = ["line", "label", "language", "outcome", "score", "category", "summary", "terms", "rules", "source", "text"]


def eval_command(
    labelled: Annotated[Path, typer.Argument(help="Labelled texts: CSV with a header (text, label, and optional "
                                             "language, source) or JSON Lines.", show_default=False, exists=True,
                                             dir_okay=False)],
    case: Annotated[Optional[Path], typer.Option("--case", help="Use this case's lexicons and its [review] min_score.")] = None,  # noqa: UP045
    lexicon: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--lexicon", "-l", help="A lexicon file to try: it replaces the loaded lexicon of the same name, or is added "
                                "(repeatable).")] = None,
    threshold: Annotated[Optional[float], typer.Option(  # noqa: UP045
        min=0, max=100, help=f"Score from which a text counts as flagged (default: the case's [review] min_score, else {DEFAULT_THRESHOLD:g}).")] = None,
    engine: Annotated[Optional[str], typer.Option(help="Matching engine (all give the same hits).")] = None,  # noqa: UP045
    model: ModelOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Recall, precision and ROC AUC of the lexicons on labelled texts, with every miss and false alarm.

    The way to tune a lexicon: edit a copy, run this on your labelled texts with --lexicon COPY,
    compare with the run without it, and adopt the copy only when it finds more without flagging more.
    """
    items = read_labelled(labelled)
    lexicons, case_threshold, case_model = _lexicons(case, lexicon or [])
    chosen = threshold if threshold is not None else case_threshold
    offer_model = chosen_model(model, case_model, case)
    if offer_model is not None:
        err.print(f"scoring with the offer model {escape(offer_model.ident)}#{offer_model.digest} besides the lexicons")
    result = evaluate(Tagger(lexicons, engine=engine, model=offer_model), items, chosen)
    if fmt == OutputFormat.json:
        sys.stdout.write(printable_json(orjson.dumps(_json(result), option=orjson.OPT_INDENT_2).decode()) + "\n")
    elif fmt == OutputFormat.csv:
        write_csv(_rows(result), CSV_COLUMNS)
    else:
        _tables(result, labelled)


def _lexicons(case: Path | None, files: list[str]):
    """The lexicon set (the case's or the shipped ones, with `files` swapped in), the case's threshold
    and its offer model setting."""
    threshold, model = DEFAULT_THRESHOLD, "none"
    if case is not None:
        with open_case(case) as opened:
            base = resolve(opened.config["scan"]["lexicons"], base=opened.root)
            threshold = float(opened.config["review"]["min_score"])
            model = opened.config["scan"]["model"]
    else:
        base = resolve(["default"])
    tried = [load_lexicon(Path(spec)) for spec in files]
    names = [lex.name for lex in tried]
    if len(set(names)) != len(names):
        raise UsageError("two --lexicon files have the same name", "Give each file its own [lexicon] name")
    replaced = {lex.name for lex in tried}
    for lex in tried:
        err.print(f"trying {escape(str(lex.path))} ({escape(lex.ident)}), "
                  + ("in place of the loaded one" if lex.name in {b.name for b in base} else "added"))
    return check_set([lex for lex in base if lex.name not in replaced] + tried), threshold, model


def _rows(result: Evaluation) -> list[dict]:
    return [{"line": r.item.line, "label": r.item.label, "language": r.item.language, "outcome": r.outcome,
             "score": f"{r.score:.1f}", "category": r.category, "summary": r.summary, "terms": "; ".join(r.terms),
             "rules": "; ".join(r.rules), "source": r.item.source, "text": r.item.text} for r in result.results]


def _json(result: Evaluation) -> dict:
    wrong = [row for row in _rows(result) if row["outcome"] in ("miss", "false_alarm")]
    return {"threshold": result.threshold, "lexicons": result.lexicons, **result.figures,
            "wrong": {"misses": [row for row in wrong if row["outcome"] == "miss"],
                      "false_alarms": [row for row in wrong if row["outcome"] == "false_alarm"]}}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _tables(result: Evaluation, path: Path) -> None:
    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal:
        out = Console(highlight=False, width=200)
    f = result.figures
    offers = f["offers"]
    out.print(Text(printable(f"{path}: {f['texts']} texts, threshold {result.threshold:g}"), style="bold"))
    summary = _table("summary", ["figure", "value"])
    for name, value in [
        ("offers flagged (recall)", f"{offers['flagged']}/{offers['n']} = {_pct(offers['recall'])}"),
        ("precision vs unrelated", _pct(f["precision"]["vs_unrelated"])),
        ("precision vs news/warnings", _pct(f["precision"]["vs_news_warnings"])),
        ("precision overall", _pct(f["precision"]["overall"])),
        ("ROC AUC offers vs news/warnings", _pct(f["roc_auc"]["offers_vs_news_warnings"])),
        ("ROC AUC offers vs unrelated", _pct(f["roc_auc"]["offers_vs_unrelated"])),
        ("false alarms: unrelated", f"{f['false_alarms']['unrelated']}/{f['false_alarms']['of_unrelated']}"),
        ("false alarms: news/warnings", f"{f['false_alarms']['news_warnings']}/{f['false_alarms']['of_news_warnings']}"),
    ]:
        summary.add_row(Text(name), Text(printable(value)))
    out.print(summary)
    table = _table("by category (recall: flagged with this category; recall_any: flagged at all)",
                   ["category", "n", "recall", "recall_any", "flagged as it", "precision"])
    for row in f["categories"]:
        table.add_row(*[Text(printable(v)) for v in (row["category"], row["n"], _pct(row["recall"]), _pct(row["recall_any"]),
                                               row["predicted"], _pct(row["precision"]))])
    out.print(table)
    table = _table("offers by language", ["language", "n", "flagged", "recall"])
    for row in f["languages"]:
        table.add_row(*[Text(printable(v)) for v in (row["language"], row["n"], row["flagged"], _pct(row["recall"]))])
    out.print(table)
    table = _table("at other thresholds (flagged: texts a reviewer would read)",
                   ["threshold", "flagged", "offers flagged", "recall", "false alarms: unrelated",
                    "false alarms: news/warnings", "precision overall"])
    for row in f["thresholds"]:
        table.add_row(*[Text(v, style="bold" if row["threshold"] == result.threshold else "") for v in (
            f"{row['threshold']:g}", str(row["flagged"]), str(row["offers_flagged"]), _pct(row["recall"]),
            str(row["false_alarms_unrelated"]), str(row["false_alarms_news_warnings"]), _pct(row["precision_overall"]))])
    out.print(table)
    table = _table("score distribution", ["label", "n", "min", "p25", "median", "p75", "max", "mean"])
    for row in f["distribution"]:
        table.add_row(Text(printable(row["label"])), Text(str(row["n"])),
                      *[Text(f"{row[k]:.1f}") for k in ("min", "p25", "median", "p75", "max", "mean")])
    out.print(table)
    for outcome, title in (("miss", "misses (offers not flagged)"), ("false_alarm", "false alarms")):
        table = _table(title, ["line", "label", "lang", "score", "category", "why", "text"])
        for r in result.results:
            if r.outcome == outcome:
                why = r.summary + (f" [rules: {', '.join(r.rules)}]" if r.rules else "")
                table.add_row(*[Text(printable(v)) for v in (r.item.line, r.item.label, r.item.language, f"{r.score:.1f}",
                                                       r.category or "-", why or "-", r.item.text[:160])])
        out.print(table)


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table
