"""One part on a worker: read it, tag it in batches, write its Parquet files and its candidates.

`run_part` is what the driver submits to Dask, once per part. It builds the tagger from the job's
lexicons once per worker thread (a compiled Hyperscan database cannot be pickled, and its scratch
space is not shared between threads), writes `tags/`, `hits/` and `indicators/part-NNNNN.parquet`
and `candidates/part-NNNNN.ndjson` under the job's staging folder through temporary names, and
returns what it did. A part whose input cannot be read returns its error: the other parts go on.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit.errors import InputError
from toolkit.lexicon import Lexicon, Tagger
from toolkit.lexicon.indicators import EXTRACTOR
from toolkit.lexicon.model import OfferModel
from toolkit.lexicon.tagger import collector_paused, idents
from toolkit.tagjob.columns import ColumnMap
from toolkit.tagjob.inputs import Failures, Part, read_part
from toolkit.tagjob.tables import SCHEMAS, WRITE, Picked, TermColumns, candidate_lines, pick, tag_tables, texts

METADATA_KEY = b"toolkit.tag"


@dataclass(frozen=True)
class Job:
    """What every part of one run shares (sent to each worker once)."""

    run: str  # the run's id, in the manifest, each Parquet file's metadata and the candidates header
    staging: str  # the output folder being written (shared storage when workers are remote)
    lexicons: list[Lexicon]
    columns: ColumnMap
    threshold: float
    engine: str | None = None  # the matcher engine; None: the fastest installed on each worker
    batch_rows: int = 16_384  # posts tagged at once (Arrow's per-call costs shrink per post with size)
    group_rows: int = 131_072  # posts per Parquet row group
    toolkit: str = ""
    model: OfferModel | None = None  # the offer model scoring besides the lexicons (lexicon/model.py)

    def signature(self) -> list[str]:
        """What scored the posts, as the workers' Taggers record it (`tagger.idents`)."""
        return idents(self.lexicons, self.model)


@dataclass
class PartResult:
    index: int
    source: str
    rows: int = 0
    categorised: int = 0  # posts with a category
    candidates: int = 0
    failures: dict[str, list[Any]] = field(default_factory=dict)
    matcher: str | None = None
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> {file (relative), sha256}
    error: str | None = None
    hint: str | None = None
    cpu: float = 0.0  # CPU seconds the part took on its worker thread


_local = threading.local()


def worker_tagger(lexicons: list[Lexicon], engine: str | None,
                  model: OfferModel | None = None) -> tuple[Tagger, TermColumns]:
    """This thread's tagger for these lexicons and model (built on first use, then kept)."""
    key = (tuple(f"{lex.ident}#{lex.digest}" for lex in lexicons), engine,
           None if model is None else f"{model.ident}#{model.digest}")
    cached = getattr(_local, "tagger", None)
    if cached is None or cached[0] != key:
        with collector_paused():
            tagger = Tagger(lexicons, engine=engine, model=model)
            cached = _local.tagger = (key, tagger, TermColumns(tagger))
            settle()
    return cached[1], cached[2]


def settle() -> None:
    """In a worker process, move every object alive now out of the collector's sight (gc.freeze).

    A part leaves hundreds of thousands of objects alive (the tagger's score memo above all),
    none in a reference cycle; collections after the part walked them again and again (0.15-0.2
    CPU-s per part, measured; a part's own cyclic garbage: 0 to 21 objects). They are still freed
    by reference counting. Not in a process running other work (`--local-mode threads`, the tests).
    """
    if multiprocessing.parent_process() is not None:
        gc.freeze()


def part_metadata(job: Job, tagger: Tagger, part: Part) -> dict[bytes, bytes]:
    """The Parquet key-value metadata of a part's file: what made its rows."""
    return {METADATA_KEY: orjson.dumps({
        "run": job.run, "toolkit": job.toolkit, "lexicons": tagger.idents, "matcher": tagger.matcher.engine.name,
        "indicators": EXTRACTOR, "regions": list(tagger.regions), "source": part.source,
        "columns": job.columns.describe(), "min_score": job.threshold,
    })}


def run_part(part: Part, job: Job) -> PartResult:
    """Tag one part (see the module docstring)."""
    started = time.thread_time()
    tagger, terms = worker_tagger(job.lexicons, job.engine, job.model)
    result = PartResult(part.index, part.source, matcher=tagger.matcher.engine.name)
    name = f"part-{part.index:05d}"
    root = Path(job.staging)
    finals = {table: root / table / f"{name}.parquet" for table in SCHEMAS}
    finals["candidates"] = root / "candidates" / f"{name}.ndjson"
    temps = {table: path.with_name(path.name + ".tmp") for table, path in finals.items()}
    metadata = part_metadata(job, tagger, part)
    writers = {table: pq.ParquetWriter(temps[table], schema.with_metadata(metadata), **WRITE[table])
               for table, schema in SCHEMAS.items()}
    failures = Failures()
    try:
        # The collector stays paused for the whole part, not only while a batch is tagged: what a
        # part allocates holds no cycles, and collections deferred to between batches walked
        # every object the tagger and the worker hold (about 1 µs per post, measured).
        with collector_paused(), open(temps["candidates"], "wb") as cands:
            pending: dict[str, list[pa.Table]] = {table: [] for table in SCHEMAS}
            picked: list[Picked] = []
            held = 0
            for chunk in read_part(part, job.columns, failures, job.batch_rows):
                batch = tagger.tag_columns(*texts(chunk.table))
                tagged = tag_tables(batch, terms, chunk.source, chunk.first, chunk.table["id"])
                if (found := pick(tagged, chunk.table, job.threshold)) is not None:
                    picked.append(found)
                tags = tagged.tags
                result.rows += tags.num_rows
                result.categorised += tags.num_rows - tags["category"].null_count
                for table in SCHEMAS:
                    pending[table].append(getattr(tagged, table))
                held += tags.num_rows
                if held >= job.group_rows:
                    result.candidates += _flush(writers, pending, cands, picked)
                    held = 0
            result.candidates += _flush(writers, pending, cands, picked)
            settle()
        for writer in writers.values():
            writer.close()
    except BaseException as exc:
        for writer in writers.values():
            writer.close()
        for path in temps.values():
            path.unlink(missing_ok=True)
        if not isinstance(exc, InputError):
            raise
        result.error, result.hint, result.failures = exc.message, exc.hint, failures.causes
        result.cpu = time.thread_time() - started
        return result
    for table, path in finals.items():
        os.replace(temps[table], path)
    result.files = {table: {"file": f"{table}/{name}.parquet", "sha256": sha256_of(finals[table])} for table in SCHEMAS}
    result.failures = failures.causes
    result.cpu = time.thread_time() - started
    return result


def _flush(writers: dict[str, pq.ParquetWriter], pending: dict[str, list[pa.Table]], cands: BinaryIO,
           picked: list[Picked]) -> int:
    """Write what the batches since the last flush made (one row group per table) and their
    candidates; returns how many candidates."""
    for table, held in pending.items():
        if held:
            combined = pa.concat_tables(held)
            writers[table].write_table(combined, row_group_size=max(1, combined.num_rows))
            held.clear()
    lines = candidate_lines(picked)
    cands.writelines(lines)
    picked.clear()
    return len(lines)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
