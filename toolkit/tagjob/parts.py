"""One part on a worker: read it, tag it in batches, write its Parquet file and its candidates.

`run_part` is what the driver submits to Dask, once per part. It builds the tagger from the job's
lexicons once per worker thread (a compiled Hyperscan database cannot be pickled, and its scratch
space is not shared between threads), writes `tags/part-NNNNN.parquet` and
`candidates/part-NNNNN.ndjson` under the job's staging folder through temporary names, and
returns what it did. A part whose input cannot be read returns its error: the other parts go on.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit.errors import InputError
from toolkit.lexicon import Lexicon, Tagger
from toolkit.lexicon.indicators import EXTRACTOR
from toolkit.tagjob.columns import ColumnMap
from toolkit.tagjob.inputs import Failures, Part, read_part
from toolkit.tagjob.tables import SCHEMA, TermColumns, candidates, records, tags_table

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
    batch_rows: int = 4096  # posts tagged at once
    group_rows: int = 131_072  # posts per Parquet row group
    toolkit: str = ""


@dataclass
class PartResult:
    index: int
    source: str
    rows: int = 0
    categorised: int = 0  # posts with a category
    candidates: int = 0
    failures: dict[str, list[Any]] = field(default_factory=dict)
    matcher: str | None = None
    file: str | None = None  # relative to the output folder
    sha256: str | None = None
    error: str | None = None
    hint: str | None = None
    cpu: float = 0.0  # CPU seconds the part took on its worker thread


_local = threading.local()


def worker_tagger(lexicons: list[Lexicon], engine: str | None) -> tuple[Tagger, TermColumns]:
    """This thread's tagger for these lexicons (built on first use, then kept)."""
    key = (tuple(f"{lex.ident}#{lex.digest}" for lex in lexicons), engine)
    cached = getattr(_local, "tagger", None)
    if cached is None or cached[0] != key:
        tagger = Tagger(lexicons, engine=engine)
        cached = _local.tagger = (key, tagger, TermColumns(tagger))
    return cached[1], cached[2]


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
    tagger, terms = worker_tagger(job.lexicons, job.engine)
    result = PartResult(part.index, part.source, matcher=tagger.matcher.engine.name)
    name = f"part-{part.index:05d}"
    root = Path(job.staging)
    tags_path, cands_path = root / "tags" / f"{name}.parquet", root / "candidates" / f"{name}.ndjson"
    tags_tmp, cands_tmp = tags_path.with_suffix(".parquet.tmp"), cands_path.with_suffix(".ndjson.tmp")
    failures = Failures()
    writer = pq.ParquetWriter(tags_tmp, SCHEMA.with_metadata(part_metadata(job, tagger, part)), compression="zstd")
    try:
        with open(cands_tmp, "wb") as cands:
            pending: list[pa.Table] = []
            held = 0
            for chunk in read_part(part, job.columns, failures, job.batch_rows):
                batch = tagger.tag_batch(records(chunk.table))
                tags = tags_table(batch, terms, chunk.source, chunk.first, chunk.table["id"])
                lines = candidates(tags, chunk.table, job.threshold)
                if lines:
                    cands.writelines(lines)
                    result.candidates += len(lines)
                result.rows += tags.num_rows
                result.categorised += tags.num_rows - tags["category"].null_count
                pending.append(tags)
                held += tags.num_rows
                if held >= job.group_rows:
                    writer.write_table(pa.concat_tables(pending), row_group_size=held)
                    pending, held = [], 0
            if pending:
                writer.write_table(pa.concat_tables(pending), row_group_size=held)
        writer.close()
    except InputError as exc:
        writer.close()
        tags_tmp.unlink(missing_ok=True)
        cands_tmp.unlink(missing_ok=True)
        result.error, result.hint, result.failures = exc.message, exc.hint, failures.causes
        result.cpu = time.thread_time() - started
        return result
    except BaseException:
        writer.close()
        tags_tmp.unlink(missing_ok=True)
        cands_tmp.unlink(missing_ok=True)
        raise
    os.replace(tags_tmp, tags_path)
    os.replace(cands_tmp, cands_path)
    result.file = f"tags/{name}.parquet"
    result.sha256 = sha256_of(tags_path)
    result.failures = failures.causes
    result.cpu = time.thread_time() - started
    return result


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
