"""Progress bars and closing summaries on stderr, shared by the commands that read files or check items.

    file_bars(show)            a bar per file being read (scan, recheck from exports); yields the
                               callback scan_paths takes, or None when no bar is shown
    file_progress(show)        the Progress those bars live in (also the re-tag bar)
    counting_bar(label, show)  one bar over items with a running count per outcome (live,
                               Wayback and browser rechecks, captures) or of posts (tag)
    counts_text(counts)        "available 3 unavailable 1": the counts a bar shows
    summarise(results)         one closing block per file a scan read
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from toolkit.cli.common import err, escape
from toolkit.sources.base import OTHER_CAUSES


def file_progress(show: bool) -> Progress:
    """Bars by bytes read, removed when done."""
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=err, disable=not show, transient=True)


@contextmanager
def file_bars(show: bool) -> Iterator[Callable[[Any], None] | None]:
    """A bar per file, added when the file's first progress update comes (toolkit.scan.Progress);
    yields the callback for scan_paths, or None when no bar is shown."""
    with file_progress(show) as bar:
        task_ids: dict[str, Any] = {}

        def on_progress(update) -> None:
            if update.path not in task_ids:
                task_ids[update.path] = bar.add_task(escape(Path(update.path).name), total=update.total)
            bar.update(task_ids[update.path], completed=update.done or 0)

        yield on_progress if show else None


def counting_bar(label: str, show: bool, *, elapsed: bool = True, extra: tuple[ProgressColumn, ...] = (),
                 transient: bool = False) -> Progress:
    """A bar over items (or parts) with a `counts` field (see counts_text), and `extra` columns
    after it; `transient` removes it when done."""
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), *([TimeElapsedColumn()] if elapsed else []),
               TextColumn("{task.fields[counts]}"), *extra]
    return Progress(*columns, console=err, disable=not show, transient=transient)


def counts_text(counts: Mapping[str, int]) -> str:
    """Counts by outcome, in name order: "available 3 unavailable 1"."""
    return " ".join(f"{status} {counts[status]}" for status in sorted(counts))


def describe_conflict(conflict: dict) -> str:
    """One line: which item claimed which key, what the case knows it as, and why they stay apart."""
    return (f"{conflict['platform']} {conflict['kind']} {conflict['item_key']} (item {conflict['item_id']}) claims "
            f"{conflict['key']}, which the case knows as {conflict['other_key']} (item {conflict['other_id']}): "
            f"kept apart, {conflict['reason']}")


def summarise(results: list) -> None:
    """One closing block per file on stderr: records, items new/seen, failures by cause
    (`results`: toolkit.scan.FileResult)."""
    unknown = [r.path for r in results if r.outcome == "unknown"]
    for r in results:
        if r.outcome == "imported":
            err.print(
                f"{escape(r.path)}: {r.format}, {r.read:,} records read, {r.mapped:,} mapped, "
                f"{r.items_new:,} new items, {r.items_seen:,} seen before, {r.captures:,} captures"
                + (f", [yellow]{r.failed:,} failed[/]" if r.failed else "")
            )
            for cause, (count, first) in sorted(r.failures.items(), key=lambda kv: (kv[0] == OTHER_CAUSES, kv[0])):
                if cause == OTHER_CAUSES:  # past the limit on distinct causes: counted together
                    err.print(f"  [yellow]and {escape(first)}[/] ({count:,} record(s))")
                else:
                    err.print(f"  [yellow]{count:,} x {escape(cause)}[/]: {escape(first)}")
            for note in r.notes:
                err.print(f"  note: {escape(note)}")
            if r.import_dated:
                err.print(f"  [yellow]note: the file gives no save time: {r.import_dated:,} capture(s) dated at import time"
                          " (left out of time to removal); pass --observed-at DATETIME to say when it was saved[/]")
            if r.merged:
                err.print(f"  note: {r.merged:,} item(s) linked to an item known under another key "
                          "(a numeric id and a vanity name that agree): shown as one")
            for conflict in r.conflicts[:20]:
                err.print(f"  [yellow]identity conflict[/]: {escape(describe_conflict(conflict))}")
            if len(r.conflicts) > 20:
                err.print(f"  [yellow]{len(r.conflicts) - 20:,} more identity conflicts[/] (toolkit show CASE ITEM lists them)")
        elif r.outcome == "already":
            err.print(f"{escape(r.path)}: {'already being' if r.source_id is None else 'already'} imported,"
                      f" nothing added ({escape('; '.join(r.notes))})")
        elif r.outcome == "failed":
            err.print(f"[red]Error:[/] {escape(r.error or 'failed')}")
            if r.hint:
                err.print(f"  {escape(r.hint)}")
    if unknown:
        err.print(f"{len(unknown)} file(s) in no known format, skipped: " + ", ".join(escape(p) for p in unknown[:20])
                  + (" ..." if len(unknown) > 20 else ""))
    imported = [r for r in results if r.outcome == "imported"]
    if len(results) > 1:
        err.print(
            f"Scanned {len(results)} files: {len(imported)} imported, "
            f"{sum(r.outcome == 'already' for r in results)} already imported, "
            f"{sum(r.outcome == 'failed' for r in results)} failed, {len(unknown)} unknown; "
            f"{sum(r.items_new for r in imported):,} new items, {sum(r.captures for r in imported):,} captures"
        )
