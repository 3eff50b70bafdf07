"""Does bulk scoring (toolkit/lexicon/batch_scores.py) pay off end to end? Whole commands, on and off.

The tagger scores most records of a batch together with array operations (`BatchScorer`); the
rule engine (`Scorer.score_plain`, memoised per record shape, and `Scorer.score` where positions
decide) gives the same numbers one record at a time, and already scores every batch of fewer than
`tagger.BULK_MIN` records. The switch: a `sitecustomize` put on PYTHONPATH of every process the
command starts (Dask's workers included) imports the tagger and, with TOOLKIT_BENCH_SCORING=rule,
raises BULK_MIN above any batch size; with =bulk it changes nothing (both arms pay the same
import). Nothing in toolkit itself knows about the switch.

Jobs, each a whole command in a subprocess, the two arms alternating (bulk, rule, then rule,
bulk in the next round, so neither always goes first):

  scan-csv     `toolkit scan` of a CrowdTangle pages CSV (bench/scan_bench.py's generator: 41
               columns, every post a smuggling offer with a phone and a price) into a fresh case
               (`toolkit init` first, not timed): read, map, tag, store, evidence copy
  scan-ndjson  the same with a Zeeschuimer TikTok NDJSON
  tag          `toolkit tag DATASET --out DIR` in local mode (Dask, one worker per core) over a
               Parquet dataset of tag_bench.py's generated posts (bench/tag_dataset_bench.py's
               generator, its 2,000-term lexicon): tagging is the whole job, no SQLite
  tag-bench    `python bench/tag_bench.py`: its "end to end" (fold + match + score) and "full"
               (with indicators) rates, read from its output

Per job and arm: wall seconds and CPU seconds of the whole process tree (RUSAGE_CHILDREN, every
process waited for), as min / median / max over the rounds, and the ratio of the medians; for
tag-bench the posts/s per core it prints. The load average is printed with every run: the
machine may be shared, so compare CPU seconds, and only within one session.

Usage: python bench/scoring_ab.py [--posts N] [--tag-posts N] [--bench-posts N] [--rounds R]
                                  [--jobs scan-csv,scan-ndjson,tag,tag-bench] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

SITECUSTOMIZE = '''
import os
if os.environ.get("TOOLKIT_BENCH_SCORING") in ("bulk", "rule"):
    from toolkit.lexicon import tagger
    if os.environ["TOOLKIT_BENCH_SCORING"] == "rule":
        tagger.BULK_MIN = float("inf")  # every batch scored record by record, by the rule engine
'''
ARMS = ("bulk", "rule")


def run(command: list[str], arm: str, switch: Path) -> tuple[float, float, str]:
    """(wall s, CPU s of the process tree, stdout+stderr) of one command with the given arm."""
    env = dict(os.environ, TOOLKIT_BENCH_SCORING=arm, PYTHONPATH=f"{switch}{os.pathsep}{ROOT}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout + done.stderr


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    return f"{min(values):,.{digits}f} / {statistics.median(values):,.{digits}f} / {max(values):,.{digits}f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=500_000, help="posts in each scanned export")
    parser.add_argument("--tag-posts", type=int, default=1_000_000, help="posts in the Parquet dataset for toolkit tag")
    parser.add_argument("--bench-posts", type=int, default=1_000_000, help="posts for bench/tag_bench.py")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", default="scan-csv,scan-ndjson,tag,tag-bench")
    parser.add_argument("--work", type=Path, default=Path("/tmp/toolkit-scoring-ab"))
    args = parser.parse_args()
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    switch = args.work / "switch"
    switch.mkdir(exist_ok=True)
    (switch / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    python = sys.executable

    commands: dict[str, tuple[list[str], Path | None]] = {}  # job -> (command, case folder to make fresh)
    if "scan-csv" in jobs or "scan-ndjson" in jobs:
        from scan_bench import write_crowdtangle, write_zeeschuimer

        for job, name, write in (("scan-csv", f"crowdtangle-{args.posts}.csv", write_crowdtangle),
                                 ("scan-ndjson", f"zeeschuimer-{args.posts}.ndjson", write_zeeschuimer)):
            if job in jobs:
                path = args.work / name
                if not path.exists():
                    write(path, args.posts)
                case = args.work / f"case-{job}"
                commands[job] = ([python, "-m", "toolkit", "scan", str(case), str(path), "--quiet"], case)
    if "tag" in jobs:
        from tag_dataset_bench import generate

        dataset = args.work / "dataset"
        dataset.mkdir(exist_ok=True)
        generate(dataset, args.tag_posts, 2021)
        out = args.work / "tagged"
        commands["tag"] = ([python, "-m", "toolkit", "tag", str(dataset / "data"), "--out", str(out), "-l", "default",
                            "-l", str(dataset / "bench_generated.toml"), "--text-col", "text", "--id-col", "id",
                            "--url-col", "url", "--quiet"], out)
    if "tag-bench" in jobs:
        commands["tag-bench"] = ([python, str(HERE / "tag_bench.py"), "--posts", str(args.bench_posts),
                                  "--naive-posts", "2000"], None)

    print(f"{os.cpu_count()} cores; rounds of both arms alternating; bulk = batch_scores on (as shipped), "
          f"rule = every record by the rule engine", flush=True)
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    rates: dict[tuple[str, str, str], list[float]] = {}
    for round_ in range(1, args.rounds + 1):
        for job, (command, fresh) in commands.items():
            for arm in ARMS if round_ % 2 else ARMS[::-1]:
                if fresh is not None:
                    shutil.rmtree(fresh, ignore_errors=True)
                    if job.startswith("scan"):
                        subprocess.run([python, "-m", "toolkit", "init", str(fresh)], check=True, capture_output=True,
                                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
                load = os.getloadavg()[0]
                w, c, output = run(command, arm, switch)
                wall.setdefault((job, arm), []).append(w)
                cpu.setdefault((job, arm), []).append(c)
                extra = ""
                if job == "tag-bench":
                    for label, key in (("toolkit end to end", "end to end"), ("toolkit full", "full")):
                        found = re.search(re.escape(label) + r".*?([\d,]+) posts/s/core", output)
                        if found is None:
                            raise SystemExit(f"tag_bench.py printed no {label!r} line:\n{output}")
                        rates.setdefault((job, arm, key), []).append(float(found.group(1).replace(",", "")))
                        extra += f"  {key} {found.group(1)} posts/s/core"
                print(f"round {round_} {job:<12} {arm:<5} {w:8.1f} s wall {c:8.1f} CPU-s  load {load:4.1f} -> "
                      f"{os.getloadavg()[0]:4.1f}{extra}", flush=True)
    print("\nmin / median / max per job and arm; ratio = rule / bulk of the medians (above 1: bulk is faster)")
    for job in commands:
        b, r = cpu[job, "bulk"], cpu[job, "rule"]
        print(f"{job:<12} CPU-s  bulk {spread(b)}   rule {spread(r)}   ratio {statistics.median(r) / statistics.median(b):.3f}")
        b, r = wall[job, "bulk"], wall[job, "rule"]
        print(f"{job:<12} wall s bulk {spread(b)}   rule {spread(r)}   ratio {statistics.median(r) / statistics.median(b):.3f}")
        for key in ("end to end", "full"):
            if (job, "bulk", key) in rates:
                b, r = rates[job, "bulk", key], rates[job, "rule", key]
                print(f"{job:<12} {key} posts/s/core  bulk {spread(b, digits=0)}   rule {spread(r, digits=0)}   "
                      f"ratio {statistics.median(b) / statistics.median(r):.3f}")


if __name__ == "__main__":
    main()
