"""Benchmark: what a `toolkit` command costs before it does any work, in two code trees.

Runs `toolkit scan --help` and a scan of two small saved pages into a fresh case, each in a child
process, alternating between the trees (A B, then B A, ...), and prints the medians of CPU seconds
(user + system, per run) and wall seconds; then each tree's module import time for `scan --help`
(`python -X importtime`, top-level modules summed) and which heavy libraries it loaded.

    python bench/startup_bench.py OLD_TREE NEW_TREE          # e.g. /tmp/main-code .
    python bench/startup_bench.py /tmp/main-code . --runs 20

A tree is a checkout of the repository (`git archive main | tar -x -C /tmp/main-code`).
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
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("page_cruce_seguro.html", "group_login_wall.html")
HEAVY = ("httpx", "pandas", "statsmodels", "scipy", "networkx", "numpy", "lxml")


def _env(tree: Path) -> dict[str, str]:
    # With `-m`, the working directory comes first on the path: each run starts in its tree.
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed toolkit starts from cached bytecode
    return env


def run(tree: Path, args: list[str]) -> tuple[float, float]:
    """CPU and wall seconds of `python -m toolkit ARGS` with `tree` first on the path."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "toolkit", *args], env=_env(tree), cwd=tree, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: toolkit {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def imports(tree: Path) -> tuple[float, list[str]]:
    """Milliseconds of module imports for `toolkit scan --help`, and the heavy libraries among them."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "toolkit", "scan", "--help"],
                          env=_env(tree), cwd=tree, capture_output=True, text=True)
    total = 0
    loaded = set()
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)$", line)
        if not match:
            continue
        if len(match.group(2)) == 1:  # a top-level import: its cumulative time counts once
            total += int(match.group(1))
        if match.group(3) in HEAVY:
            loaded.add(match.group(3))
    return total / 1000, sorted(loaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path, help="the code tree before")
    parser.add_argument("new", type=Path, help="the code tree after")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command in each tree (default 10)")
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(t, k): [] for t in trees for k in ("help", "scan")}
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        for name in PAGES:
            shutil.copy(ROOT / "tests" / "fixtures" / "singlefile" / name, folder)
        for tree in trees.values():
            run(tree, ["--help"])  # writes each tree's bytecode cache, untimed
        for index in range(args.runs):
            order = list(trees.items()) if index % 2 == 0 else list(reversed(trees.items()))
            for label, tree in order:
                results[(label, "help")].append(run(tree, ["scan", "--help"]))
                case = Path(tmp) / f"case-{label}-{index}"
                run(tree, ["init", str(case)])
                results[(label, "scan")].append(run(tree, ["scan", "--quiet", str(case), str(folder)]))
    for (label, what), runs in results.items():
        command = "toolkit scan --help" if what == "help" else "scan of 2 small pages"
        print(f"{label} {command:22}: median {statistics.median(c for c, _ in runs):.3f} s CPU, "
              f"{statistics.median(w for _, w in runs):.3f} s wall ({len(runs)} runs)")
    for label, tree in trees.items():
        milliseconds, heavy = imports(tree)
        print(f"{label} imports for `scan --help`: {milliseconds:.0f} ms; heavy libraries: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
