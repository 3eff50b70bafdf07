"""What the custody log costs: a large scan with its seal, a second overlapping export, one verdict on
a large case, and `verify`.

    python bench/custody_bench.py                 # 200,000 posts
    python bench/custody_bench.py --posts 1000000
    PYTHONPATH=/path/to/other/checkout python bench/custody_bench.py   # the same on another version

Each step runs in a fresh child process (so the figures include what the command really pays, and
the child's CPU time is read with os.wait4): `scan` of a CrowdTangle-style export of N posts
(tagging and the evidence copy on, as a new case does), then `scan` of a second export of N/4
posts whose pages all exist (their items are updated: the derived-row leaves they touch are
re-digested), then `review` of one item on the large case (the fixed cost of a small write),
then `verify`. Figures: wall seconds and CPU seconds per step.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_bench import write_crowdtangle


def step(name: str, args: list[str]) -> None:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read()
    proc.stderr.close()
    if status != 0:
        raise SystemExit(f"{name} failed:\n{stderr}")
    print(f"{name:<34} {wall:8.2f} s wall {usage.ru_utime + usage.ru_stime:8.2f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    args = parser.parse_args()
    import toolkit

    print(f"toolkit from {Path(toolkit.__file__).parent}, {args.posts:,} posts")
    with tempfile.TemporaryDirectory(prefix="custody-bench-") as tmp:
        work = Path(tmp)
        big, more = work / "posts.csv", work / "more.csv"
        write_crowdtangle(big, args.posts)
        write_crowdtangle(more, args.posts // 4)
        # The second export: other posts (new rows) of the same pages (existing items, updated).
        more.write_text(more.read_text(encoding="utf-8-sig").replace("/posts/9", "/posts/8"), encoding="utf-8-sig")
        case = work / "case"
        step("init", ["init", str(case)])
        step(f"scan {args.posts:,} posts", ["scan", str(case), str(big), "--quiet"])
        step(f"scan {args.posts // 4:,} more (pages exist)", ["scan", str(case), str(more), "--quiet"])
        sheet = work / "sheet.csv"
        sheet.write_text("item_id,verdict,reviewed_at\n1,violating,2021-04-12T12:00:00Z\n")
        step("review one item", ["review", str(case), "--import", str(sheet), "--reviewer", "ana"])
        step("verify", ["verify", str(case)])


if __name__ == "__main__":
    main()
