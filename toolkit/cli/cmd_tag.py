"""`toolkit tag DATASET... --out FOLDER`: tag a dataset too large for one machine, on Dask (docs/distributed.md)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import TimeRemainingColumn

from toolkit.case import open_case
from toolkit.cli.common import ModelOpt, QuietOpt, err, escape, handle_errors
from toolkit.cli.progress import counting_bar
from toolkit.dates import parse_when
from toolkit.errors import ToolkitError, UsageError
from toolkit.lexicon import Lexicon, resolve
from toolkit.lexicon.matcher import available_engines
from toolkit.lexicon.model import OfferModel, chosen_model

EXTRA_HINT = "Install it with: pip install 'toolkit[distributed]' (Dask's distributed scheduler and pyarrow)"


class LocalMode(StrEnum):
    processes = "processes"
    threads = "threads"


def require_extra() -> None:
    """ToolkitError saying how to install the `distributed` extra when dask, distributed or pyarrow is missing."""
    missing = []
    for name in ("dask", "distributed", "pyarrow"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ToolkitError(f"toolkit tag needs {', '.join(missing)}, which are not installed", EXTRA_HINT)


def _lexicons(case: Path | None, names: list[str] | None, model: str | None) -> tuple[list[Lexicon], OfferModel | None]:
    """The lexicons and offer model to tag with: the case's, or the ones named (default: the shipped
    lexicons, no model)."""
    if case is not None and names:
        raise UsageError("--case and --lexicon both given", "Use one: the case's lexicons, or the ones you name")
    if case is not None:
        with open_case(case) as opened:
            return (resolve(opened.config["scan"]["lexicons"], base=opened.root),
                    chosen_model(model, opened.config["scan"]["model"], opened.root))
    return resolve(names or ["default"], base=Path.cwd()), chosen_model(model)


def register(app: typer.Typer) -> None:
    @app.command("tag")
    @handle_errors
    def tag(
        dataset: Annotated[list[str], typer.Argument(help="Parquet, CSV, NDJSON or zip files, or folders of them.", show_default=False)],
        out: Annotated[Path, typer.Option("--out", "-o", help="The output folder (must not exist).", show_default=False)],
        case: Annotated[Optional[Path], typer.Option("--case", help="Tag with the lexicons this case's case.toml names.")] = None,  # noqa: UP045
        lexicon: Annotated[Optional[list[str]], typer.Option("--lexicon", "-l", help="A shipped lexicon name, 'default', or a .toml path (repeatable).")] = None,  # noqa: UP045
        model: ModelOpt = None,
        preset: Annotated[Optional[str], typer.Option("--preset", help="Columns of a known export: crowdtangle-csv, mcl, dsa-sor, zeeschuimer, or none (default: detected from the columns).")] = None,  # noqa: UP045
        text_col: Annotated[Optional[list[str]], typer.Option("--text-col", help="The column with the post's text (repeat for several, joined by a blank line). NDJSON: a dotted path.")] = None,  # noqa: UP045
        id_col: Annotated[Optional[str], typer.Option("--id-col", help="The column with the post's id.")] = None,  # noqa: UP045
        url_col: Annotated[Optional[str], typer.Option("--url-col", help="The column with the post's URL.")] = None,  # noqa: UP045
        name_col: Annotated[Optional[str], typer.Option("--name-col", help="A title or name column, tagged as a capture's name is.")] = None,  # noqa: UP045
        platform_col: Annotated[Optional[str], typer.Option("--platform-col", help="The column naming each post's platform.")] = None,  # noqa: UP045
        platform: Annotated[Optional[str], typer.Option("--platform", help="One platform for every post (default: from the URL).")] = None,  # noqa: UP045
        created_col: Annotated[Optional[str], typer.Option("--created-col", help="The column with the post's creation date.")] = None,  # noqa: UP045
        keep_col: Annotated[Optional[list[str]], typer.Option("--keep-col", help="A column carried into the candidates file (repeatable).")] = None,  # noqa: UP045
        min_score: Annotated[float, typer.Option("--min-score", help="Posts scoring at least this (0-100) are candidates.")] = 50.0,
        scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="A Dask scheduler's address (tcp://host:8786); default: a local cluster.")] = None,  # noqa: UP045
        workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Local cluster: worker processes (default: one per core).")] = None,  # noqa: UP045
        local_mode: Annotated[LocalMode, typer.Option("--local-mode", help="Local cluster: worker processes, or threads in this process (small runs).")] = LocalMode.processes,
        engine: Annotated[Optional[str], typer.Option("--engine", help="Matching engine (default: the fastest installed).")] = None,  # noqa: UP045
        collected_at: Annotated[Optional[str], typer.Option("--collected-at", help="When the dataset was collected (ISO date), recorded with the candidates.")] = None,  # noqa: UP045
        part_rows: Annotated[int, typer.Option("--part-rows", min=1, help="Parquet: rows per part (whole row groups).")] = 250_000,
        quiet: QuietOpt = False,
    ) -> None:
        """Tag a large dataset (Parquet, CSV, NDJSON) in parts on Dask: per-post tags and scores as Parquet, candidates for `scan`."""
        require_extra()
        if scheduler and workers:
            raise UsageError("--workers is for the local cluster", "A remote cluster has the workers it was started with")
        if engine is not None and engine not in available_engines():
            raise UsageError(f"--engine {engine}: not installed here",
                             f"Installed: {', '.join(available_engines())} (they all give the same hits)")
        when = parse_when(collected_at, "--collected-at") if collected_at else None
        lexicons, offer_model = _lexicons(case, lexicon, model)
        from toolkit.tagjob.columns import resolve as resolve_columns
        from toolkit.tagjob.inputs import columns_of, files, plan
        from toolkit.tagjob.run import Cluster, run_tag

        found = files(dataset)
        parts = plan(found, part_rows)
        if not parts:
            raise UsageError("nothing to tag: the inputs hold no Parquet, CSV or NDJSON data", "Check the paths")
        names, paths = columns_of(parts[0])
        columns, chosen = resolve_columns(names, preset=preset, text=text_col, id=id_col, name=name_col, url=url_col,
                                          platform_col=platform_col, platform=platform, created=created_col,
                                          keep=keep_col, paths=paths)
        if not quiet:
            err.print(f"Tagging {len(found):,} file(s) in {len(parts):,} part(s)"
                      + (f" (preset {escape(chosen)})" if chosen else "") + " with "
                      + escape(", ".join(lex.ident for lex in lexicons))
                      + (f" and the offer model {escape(offer_model.ident)}" if offer_model else ""))
        show_bar = not quiet and sys.stderr.isatty()
        with counting_bar("tagging", show_bar, elapsed=False, extra=(TimeRemainingColumn(),), transient=True) as bar:
            task = bar.add_task("tag", total=len(parts), counts="0 posts")

            def on_progress(rows: int, _total: int | None, done: int, _parts: int) -> None:
                bar.update(task, completed=done, counts=f"{rows:,} posts")

            outcome = run_tag(found, parts, out, lexicons=lexicons, columns=columns, preset=chosen, threshold=min_score,
                              cluster=Cluster(scheduler, workers, local_mode == LocalMode.processes), engine=engine,
                              collected_at=when, progress=on_progress if show_bar else None, model=offer_model)
        manifest = outcome.manifest
        counts = manifest["counts"]
        if not quiet:
            err.print(f"{counts['posts']:,} posts tagged, {counts['categorised']:,} in a category, "
                      f"{counts['candidates']:,} candidates scoring {min_score:g} or more "
                      f"({escape(', '.join(manifest['matchers']))}, {manifest['engine']['workers']} worker(s))")
            for cause, entry in manifest["failures"].items():
                err.print(f"  [yellow]{entry['count']:,} x {escape(cause)}[/]: {escape(entry['first'])} "
                          f"({escape(entry['where'])})")
            err.print(f"Wrote {escape(str(out))}: tags/ (Parquet), candidates.ndjson "
                      f"(toolkit scan CASE {escape(str(out / 'candidates.ndjson'))}), _toolkit_tag.json")
        for failed in outcome.failed:
            err.print(f"[red]Error:[/] {escape(failed.error or '')}")
            if failed.hint:
                err.print(f"  {escape(failed.hint)}")
        if outcome.failed:
            err.print(f"{len(outcome.failed)} part(s) could not be read: the output lacks them "
                      "(the manifest says \"complete\": false)")
            raise typer.Exit(1)
