"""`toolkit lexicon list|show|test|check|eval|stats|train|reviewed`: see, try, validate and measure lexicons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from toolkit.case import open_case
from toolkit.cli.common import FormatOpt, ModelOpt, OutputFormat, emit, err, escape, handle_errors, printable, safe_text
from toolkit.cli.lexicon_eval import eval_command
from toolkit.cli.lexicon_reviewed import reviewed_command
from toolkit.cli.lexicon_stats import stats_command
from toolkit.cli.lexicon_train import train_command
from toolkit.errors import UsageError
from toolkit.lexicon import Tagger, load_lexicon, resolve, shipped_names
from toolkit.lexicon.explain import explain_line
from toolkit.lexicon.loader import Lexicon, check_set, shipped_paths
from toolkit.lexicon.matcher import Matcher, available_engines
from toolkit.lexicon.model import OfferModel, chosen_model

CaseOpt = Annotated[Optional[Path], typer.Option("--case", help="Use the lexicons this case's case.toml names.")]  # noqa: UP045
LexiconOpt = Annotated[Optional[list[str]], typer.Option("--lexicon", "-l", help="A shipped lexicon name, 'default', or a path to a .toml file (repeatable).")]  # noqa: UP045

# One colour per category for highlighting; context and places are dim.
COLOURS = {
    "smuggling_offer": "bold red", "smuggling_solicitation": "bold yellow", "smuggling_information": "bold cyan",
    "drug_sale": "bold magenta", "recruitment": "bold blue", "extortion": "bold bright_red", "other": "bold",
}


def _chosen(case: Path | None, lexicons: list[str] | None) -> list[Lexicon]:
    if case is not None and lexicons:
        raise UsageError("--case and --lexicon both given", "Use one: the case's lexicons, or the ones you name")
    if case is not None:
        with open_case(case) as opened:
            return resolve(opened.config["scan"]["lexicons"], base=opened.root)
    return resolve(lexicons or ["default"], base=Path.cwd())


def _model(case: Path | None, model: str | None) -> OfferModel | None:
    """The offer model `--model` names, else the case's [scan] model, else none."""
    if model is not None or case is None:
        return chosen_model(model)
    with open_case(case) as opened:
        return chosen_model(None, opened.config["scan"]["model"], opened.root)


def register(app: typer.Typer) -> None:
    lexicon_app = typer.Typer(help="See, try and validate keyword lexicons.", no_args_is_help=True,
                              rich_markup_mode=None)
    app.add_typer(lexicon_app, name="lexicon")
    # Precision from verdicts reads the case's reviews: it lives with the review commands.
    lexicon_app.command("stats")(handle_errors(stats_command))
    lexicon_app.command("eval")(handle_errors(eval_command))
    lexicon_app.command("train")(handle_errors(train_command))
    lexicon_app.command("reviewed")(handle_errors(reviewed_command))

    @lexicon_app.command("list")
    @handle_errors
    def list_(case: CaseOpt = None, lexicon: LexiconOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
        """List lexicons: the shipped ones, or those a case uses (--case)."""
        rows = [{"name": lex.name, "version": lex.version, "role": lex.role, "category": lex.category,
                 "languages": ",".join(lex.languages), "terms": len(lex.terms), "description": lex.description,
                 "path": str(lex.path)} for lex in _chosen(case, lexicon)]
        emit(rows, ["name", "version", "role", "category", "languages", "terms", "description", "path"], fmt,
             widths={"description": 50, "path": 40})

    @lexicon_app.command("show")
    @handle_errors
    def show(
        name: Annotated[str, typer.Argument(help="A shipped lexicon name or a path to a .toml file.", show_default=False)],
        fmt: FormatOpt = OutputFormat.table,
    ) -> None:
        """Show a lexicon's terms with their weight, rules, meaning and ambiguity."""
        lex = resolve([name], base=Path.cwd()) if name in shipped_names() else [load_lexicon(name)]
        rows = [{"term": t.term, "variants": ", ".join(t.variants), "regex": t.regex, "lang": t.lang,
                 "category": t.category, "weight": t.weight, "tags": ", ".join(t.tags),
                 "requires": ", ".join(t.requires) + (f" (within {t.within})" if t.within else ""),
                 "excludes": ", ".join(t.excludes), "value": t.value, "meaning": t.meaning, "ambiguity": t.ambiguity}
                for t in lex[0].terms]
        columns = ["term", "variants", "lang", "category", "weight", "tags", "requires", "excludes", "meaning", "ambiguity"]
        if fmt != OutputFormat.table:
            columns = ["term", "variants", "regex", "lang", "category", "weight", "tags", "requires", "excludes", "value",
                       "meaning", "ambiguity"]
        emit(rows, columns, fmt, title=f"{lex[0].ident} ({lex[0].path})",
             widths={"variants": 30, "meaning": 40, "ambiguity": 40})

    @lexicon_app.command("test")
    @handle_errors
    def test(
        text: Annotated[str, typer.Argument(help="The text to tag; '-' reads it from stdin.", show_default=False)],
        case: CaseOpt = None,
        lexicon: LexiconOpt = None,
        engine: Annotated[Optional[str], typer.Option(help=f"Matching engine: {', '.join(available_engines())}.")] = None,  # noqa: UP045
        model: ModelOpt = None,
    ) -> None:
        """Tag a piece of text and print its hits (highlighted), indicators and score."""
        if text == "-":
            text = sys.stdin.read()
        tagger = Tagger(_chosen(case, lexicon), engine=engine, model=_model(case, model))
        analysis = tagger.analyse(text)
        out = Console(highlight=False, soft_wrap=True)
        fields = analysis.fields[0] if analysis.fields else None
        spans: list[tuple[int, int, str]] = []
        hit_rows, ind_rows = [], []
        if fields is not None:
            for tid, start, end in fields.hits:
                term = tagger.matcher.terms[tid]
                spans.append((start, end, COLOURS.get(term.category or "", "underline")))
                hit_rows.append([term.lexicon, term.term, term.category or f"({tagger.by_name[term.lexicon].role})",
                                 ", ".join(term.tags), f"{start}-{end}", text[start:end], f"{term.weight:g}"])
            for ind in fields.indicators:
                if ind.type != "place":
                    spans.append((ind.start, ind.end, "reverse"))
                ind_rows.append([ind.type, ind.value, f"{ind.start}-{ind.end}", ind.matched])
        out.print(safe_text(text, spans))
        out.print(_table("hits", ["lexicon", "term", "category", "tags", "span", "matched", "weight"], hit_rows))
        out.print(_table("indicators", ["type", "value", "span", "matched"], ind_rows))
        score = analysis.score
        out.print(Text(f"score {score.score:.1f} (raw {score.raw:g}), category {score.category or '-'}", style="bold"))
        # The same readable sum `show` and the review screen print for a stored score.
        out.print(Text("  " + explain_line(score.explanation, score.category)))
        if tagger.model is not None:  # the model's reading, whether or not its points made the score
            part = score.explanation.get("model") or tagger.model.explain(text)
            grams = ", ".join(f"'{gram}' {weight:+.3f}" for gram, weight in part["ngrams"])
            made = "the score" if "model" in score.explanation else "below the lexicon score"
            out.print(Text(f"  model {part['model']}: {part['points']:g} points, {made} (logit {part['logit']:g}); "
                           f"n-grams {grams}"))

    @lexicon_app.command("check")
    @handle_errors
    def check(files: Annotated[list[Path], typer.Argument(help="Lexicon .toml files to validate.", show_default=False)]) -> None:
        """Validate lexicon files (with the shipped lexicons they may refer to) and compile them."""
        mine = [load_lexicon(path) for path in files]
        names = {lex.name for lex in mine}
        shipped = [load_lexicon(p) for p in shipped_paths() if p.stem not in names]
        lexicons = check_set(shipped + mine)
        Matcher(lexicons, "ahocorasick")
        for lex in mine:
            forms = len(Matcher([lex], "ahocorasick").forms)
            err.print(f"ok: {escape(str(lex.path))}: {escape(lex.ident)}, {lex.role}"
                      + (f" ({lex.category})" if lex.category else "") + f", {len(lex.terms)} terms, "
                      + (f"{len(lex.rules)} rules, " if lex.rules else "") + f"{forms} word forms")


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, header_style="bold", title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[Text(printable(cell)) for cell in row])
    return table
