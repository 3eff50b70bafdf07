"""The driver of `toolkit tag`: plan the parts, run them on a Dask cluster, write the manifest.

Dask's distributed scheduler runs the parts: a `LocalCluster` on this machine by default (one
single-threaded worker process per core), or the cluster whose scheduler address is given
(`tcp://host:8786`), whose workers must run the same toolkit and see the input and output paths
at the same place (a shared filesystem). docs/distributed.md says why Dask and not Spark.

The output folder is written under a hidden staging name beside it (`.NAME.partial`) and renamed
into place when every part has run: an interrupted run leaves no folder that looks finished (the
next run clears its staging folder). A part whose input cannot be read is reported and left out;
the manifest then says `"complete": false` and lists it.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toolkit import __version__
from toolkit.dates import utcnow
from toolkit.errors import ToolkitError, UsageError
from toolkit.lexicon import Lexicon
from toolkit.lexicon.indicators import EXTRACTOR
from toolkit.lexicon.model import OfferModel
from toolkit.sources.tag_candidates import FORMAT as CANDIDATES_FORMAT
from toolkit.sources.tag_candidates import VERSION as CANDIDATES_VERSION
from toolkit.tagjob.columns import ColumnMap
from toolkit.tagjob.inputs import Part, file_facts, total_rows
from toolkit.tagjob.parts import Job, PartResult, run_part, sha256_of
from toolkit.tagjob.tables import SCHEMAS

MANIFEST = "_toolkit_tag.json"
MANIFEST_FORMAT = "toolkit-tag"
PARTIAL_MARK = "_toolkit_tag_partial"
Progress = Callable[[int, int | None, int, int], None]  # rows done, rows in all (None: unknown), parts done, parts


@dataclass
class Cluster:
    """Where the parts run: None scheduler means a local cluster of `workers` processes (threads
    when `processes` is False, as the tests run it)."""

    scheduler: str | None = None
    workers: int | None = None
    processes: bool = True


@dataclass
class Outcome:
    out: Path
    manifest: dict[str, Any]
    results: list[PartResult] = field(default_factory=list)

    @property
    def failed(self) -> list[PartResult]:
        return [r for r in self.results if r.error]


def _worker_toolkit() -> str:
    import toolkit

    return toolkit.__version__


def _staging(out: Path) -> Path:
    """The staging folder beside `out`; one left by an interrupted run is cleared."""
    if out.exists():
        raise UsageError(f"{out} already exists", "Give a new folder for the output: toolkit tag never overwrites one")
    staging = out.parent / f".{out.name}.partial"
    if staging.exists():
        if not (staging / PARTIAL_MARK).exists():
            raise UsageError(f"{staging} exists and was not made by toolkit tag", "Move it away, or choose another output")
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for folder in (*SCHEMAS, "candidates"):
        (staging / folder).mkdir()
    (staging / PARTIAL_MARK).write_text("toolkit tag is writing this folder; it is renamed when the run ends\n")
    return staging


@contextmanager
def _connected(cluster: Cluster) -> Iterator[Any]:
    """A Dask client: of the scheduler named, else of a local cluster that ends with the block."""
    import dask
    from distributed import Client, LocalCluster

    if cluster.scheduler:
        try:
            client = Client(cluster.scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ToolkitError(f"cannot reach the Dask scheduler at {cluster.scheduler} ({exc})",
                               "Check the address (tcp://host:8786) and that `dask scheduler` runs there") from exc
        with client:
            yield client
        return
    # A local run shows no dashboard: Dask's sampling profiler (every thread's stack every 10 ms),
    # its 20 ms event-loop tick and its frequent monitors only take CPU from the tagger (about 7%
    # of a core while idle, measured).
    quiet = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
             "distributed.admin.system-monitor.interval": "2s", "distributed.worker.memory.monitor-interval": "1s",
             "distributed.scheduler.work-stealing-interval": "1s"}
    # The scheduler serves its HTTP routes even without a dashboard, on port 8787 unless told: a
    # free port on the loopback instead, so runs side by side (parallel tests, two researchers'
    # jobs on one machine) neither collide nor warn that 8787 is taken.
    with dask.config.set(quiet), LocalCluster(
            n_workers=cluster.workers or os.cpu_count() or 1, threads_per_worker=1, processes=cluster.processes,
            dashboard_address=None, scheduler_port=0, silence_logs=logging.ERROR,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}) as local, Client(local) as client:
        yield client


def _engine(client: Any, cluster: Cluster) -> dict[str, Any]:
    import dask
    import distributed
    import pyarrow

    info = client.scheduler_info()
    return {"name": "dask.distributed", "dask": dask.__version__, "distributed": distributed.__version__,
            "pyarrow": pyarrow.__version__, "python": platform.python_version(),
            "scheduler": cluster.scheduler or ("local processes" if cluster.processes else "local threads"),
            "workers": len(info.get("workers", {}))}


def run_tag(files: list[Path], parts: list[Part], out: Path, *, lexicons: list[Lexicon], columns: ColumnMap,
            preset: str | None, threshold: float, cluster: Cluster, engine: str | None = None,
            collected_at: str | None = None, batch_rows: int = 16_384, progress: Progress | None = None,
            model: OfferModel | None = None) -> Outcome:
    """Tag every part on the cluster and write `out` (see the module docstring and docs/distributed.md);
    `model`: an offer model scoring besides the lexicons."""
    staging = _staging(out)
    run_id = str(uuid.uuid4())
    job = Job(run_id, str(staging.resolve()), lexicons, columns, threshold, engine=engine, batch_rows=batch_rows,
              toolkit=__version__, model=model)
    total = total_rows(parts)
    results: list[PartResult] = []
    try:
        with _connected(cluster) as client:
            versions = set(client.run(_worker_toolkit).values())
            if versions - {__version__}:
                raise ToolkitError(f"the workers run toolkit {', '.join(sorted(versions))}, this machine {__version__}",
                                   "Install the same toolkit version on every worker, so one run's tags are made one way")
            engine_info = _engine(client, cluster)
            from distributed import as_completed

            shared = client.scatter(job, broadcast=True, hash=False)
            futures = client.map(run_part, parts, job=shared, pure=False)
            done_rows = 0
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                done_rows += result.rows
                if progress is not None:
                    progress(done_rows, total, len(results), len(parts))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        results.sort(key=lambda r: r.index)
        candidates = _merge_candidates(staging, results, job, preset, files, collected_at)
        manifest = _manifest(job, results, files, preset, engine_info, candidates, collected_at)
        (staging / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
        (staging / PARTIAL_MARK).unlink()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Outcome(out, manifest, results)


def _header(job: Job, results: list[PartResult], preset: str | None, files: list[Path],
            collected_at: str | None) -> dict[str, Any]:
    """The first line of candidates.ndjson (read by toolkit/sources/tag_candidates.py)."""
    return {"format": CANDIDATES_FORMAT, "version": CANDIDATES_VERSION, "run": job.run, "toolkit": job.toolkit,
            "lexicons": job.signature(),
            "matchers": sorted({r.matcher for r in results if r.matcher}), "indicators": EXTRACTOR,
            "min_score": job.threshold, "id_prefix": job.columns.id_prefix, "preset": preset,
            "columns": job.columns.describe(), "input": [str(p) for p in files], "collected_at": collected_at}


def _merge_candidates(staging: Path, results: list[PartResult], job: Job, preset: str | None, files: list[Path],
                      collected_at: str | None) -> dict[str, Any]:
    """candidates.ndjson: the header, then each part's candidates in part order (input order)."""
    path = staging / "candidates.ndjson"
    count = 0
    with open(path, "wb") as out:
        out.write(orjson.dumps(_header(job, results, preset, files, collected_at)) + b"\n")
        for result in results:
            part = staging / "candidates" / f"part-{result.index:05d}.ndjson"
            if result.error or not part.exists():
                continue
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
            count += result.candidates
    shutil.rmtree(staging / "candidates")
    return {"file": "candidates.ndjson", "count": count, "sha256": sha256_of(path)}


def _manifest(job: Job, results: list[PartResult], files: list[Path], preset: str | None, engine: dict[str, Any],
              candidates: dict[str, Any], collected_at: str | None) -> dict[str, Any]:
    failures: dict[str, list[Any]] = {}
    for result in results:
        for cause, (count, detail, where) in result.failures.items():
            entry = failures.setdefault(cause, [0, detail, where])
            entry[0] += count
    failed = [r for r in results if r.error]
    return {
        "format": MANIFEST_FORMAT, "version": 1, "run": job.run,
        "created_at": utcnow(),
        "complete": not failed,
        "toolkit": job.toolkit,
        "lexicons": [{"name": lex.name, "version": lex.version, "digest": lex.digest, "role": lex.role,
                      "terms": len(lex.terms)} for lex in job.lexicons],
        "lexicon_signature": job.signature(),
        "model": None if job.model is None else {"name": job.model.info.name, "version": job.model.info.version,
                                                 "digest": job.model.digest, "trained": job.model.info.trained},
        "matchers": sorted({r.matcher for r in results if r.matcher}),
        "indicators": EXTRACTOR,
        "engine": engine,
        "input": {"files": file_facts(files), "preset": preset, "columns": job.columns.describe(),
                  "collected_at": collected_at},
        "min_score": job.threshold,
        "counts": {"posts": sum(r.rows for r in results), "categorised": sum(r.categorised for r in results),
                   "candidates": candidates["count"], "parts": len(results), "failed_parts": len(failed),
                   "failed_records": sum(entry[0] for entry in failures.values())},
        "failures": {cause: {"count": count, "first": detail, "where": where}
                     for cause, (count, detail, where) in sorted(failures.items())},
        "failed_parts": [{"source": r.source, "error": r.error, "hint": r.hint} for r in failed],
        "tables": {table: schema.names for table, schema in SCHEMAS.items()},
        "parts": [{k: v for k, v in asdict(r).items() if k in ("index", "source", "rows", "categorised", "candidates",
                                                                "matcher", "files", "cpu")}
                  for r in results if not r.error],
        "candidates": candidates,
    }
