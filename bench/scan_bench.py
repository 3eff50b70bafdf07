"""Scan throughput and peak memory on generated exports of 1,000,000 posts and more.

    python bench/scan_bench.py                          # 1M posts: both modes below
    python bench/scan_bench.py --sizes 1000000,2000000  # memory must stay flat from 1M to 2M
    python bench/scan_bench.py --sizes 200000 --modes store --profile

Two modes, each labelled in the output:
- `store`: read + map + store only (no lexicon tagging, no evidence copy): issue 2's measure;
- `default`: what `toolkit scan` does with a new case's config: tagging with the case's lexicons
  and the gzip evidence copy.

For each size it writes a CrowdTangle-style pages CSV (41 columns, BOM, quoted newlines, locale
numbers, 5,000 pages whose audience grows every 25 posts) and a Zeeschuimer-style TikTok NDJSON
into a temporary folder, then scans each into a fresh case in a child process, so that the child's
peak resident memory can be read with os.wait4. The NDJSON is scanned only when an importer named
`zeeschuimer` is registered. Figures: posts/s over the whole `scan_paths` call (hash, read, map,
store, and tagging and the evidence copy when on), posts per CPU-second of the child (which the
machine's other load does not change), and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTED = "Total Interactions (weighted  \u2014  Likes 1x Shares 1x Comments 1x Love 1x Wow 1x Haha 1x Sad 1x Angry 1x Care 1x )"
HEADER = [
    "Page Name", "User Name", "Facebook Id", "Page Category", "Page Admin Top Country", "Page Description",
    "Page Created", "Likes at Posting", "Followers at Posting", "Post Created", "Post Created Date",
    "Post Created Time", "Type", "Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad",
    "Angry", "Care", "Video Share Status", "Is Video Owner?", "Post Views", "Total Views",
    "Total Views For All Crossposts", "Video Length", "URL", "Message", "Link", "Final Link", "Image Text",
    "Link Text", "Description", "Sponsor Id", "Sponsor Name", "Sponsor Category", WEIGHTED, "Overperforming Score",
]
PAGES = 5_000
WORDS = ["cruce", "seguro", "a", "USA", "salida", "semanal", "desde", "Tijuana", "precio", "especial", "pago", "al", "llegar", "informes", "por", "WhatsApp", "sin", "papeles", "viaje", "garantizado", "Houston", "Dallas", "Los", "Angeles", "lugares", "disponibles"]


def dotted(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def write_crowdtangle(path: Path, posts: int) -> None:
    """A dashboard-style pages export of `posts` rows from PAGES fictional pages."""
    rnd = random.Random(2021)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(posts):
            page = n % PAGES
            page_id = 100000000000000 + page
            followers = 1_000 + page * 7 + n // (PAGES * 25)
            day, minute = 1 + (n // 40_000) % 28, n % 1440
            interactions = rnd.randint(0, 50_000)
            message = " ".join(rnd.choices(WORDS, k=12)) + f" +52 55 5555 {n % 10_000:04d} ${rnd.randint(2, 9)},500"
            writer.writerow([
                f"Cruce Seguro {page}", f"cruceseguro{page}", page_id, "TRAVEL_COMPANY", "MX",
                "Viajes seguros a USA\nInformes por WhatsApp", "2019-03-01 10:15:00", dotted(followers - 100),
                dotted(followers), f"2021-03-{day:02d} {minute // 60:02d}:{minute % 60:02d}:00 EST", f"2021-03-{day:02d}",
                f"{minute // 60:02d}:{minute % 60:02d}:00", "Photo", dotted(interactions), interactions // 2,
                interactions // 5, interactions // 10, 3, 0, 1, 0, 0, 2, "", "-", 0, 0, 0, "N/A",
                f"https://www.facebook.com/{page_id}/posts/{900000000000000 + n}", message,
                "https://wa.me/525555550101", "", "", "", "", "", "", "", dotted(interactions),
                f"{rnd.randint(0, 9)},{rnd.randint(0, 99):02d}",
            ])


def write_zeeschuimer(path: Path, lines: int) -> None:
    """Zeeschuimer NDJSON of TikTok items, as the browser extension exports them."""
    rnd = random.Random(2021)
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(lines):
            video = str(7000000000000000000 + n)
            author = f"cruces_usa_{n % PAGES}"
            data = {
                "id": video, "desc": " ".join(rnd.choices(WORDS, k=10)) + " #cruceseguro",
                "createTime": 1614600000 + n * 7,
                "author": {"id": str(6800000000000000000 + n % PAGES), "uniqueId": author, "nickname": author.title()},
                "authorStats": {"followerCount": 1000 + n % 977, "heartCount": 5000, "videoCount": 40},
                "stats": {"diggCount": rnd.randint(0, 9999), "commentCount": 12, "shareCount": 3, "playCount": 20400},
                "music": {"id": "6900000000000000001", "title": "sonido original", "authorName": author},
                "video": {"duration": 15, "cover": f"https://p16.example/{video}.jpeg"},
                "challenges": [{"title": "cruceseguro"}], "textExtra": [{"hashtagName": "cruceseguro"}],
            }
            record = {
                "id": n + 1, "nav_index": f"1:1:{n}", "item_id": video, "timestamp_collected": 1616000000000 + n,
                "source_platform": "tiktok.com", "source_platform_url": "https://www.tiktok.com/search?q=cruce",
                "source_url": "https://www.tiktok.com/api/search/item/full/", "user_agent": "Mozilla/5.0", "data": data,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def child(args: argparse.Namespace) -> None:
    """Scan one file into a fresh case and print what happened as JSON (run in a child process)."""
    sys.path.insert(0, str(ROOT))
    from toolkit.case import init_case, open_case
    from toolkit.scan.pipeline import scan_paths

    case_dir = Path(args.case)
    init_case(case_dir).close()
    config = case_dir / "case.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("keep_evidence = true", f"keep_evidence = {str(args.keep_evidence).lower()}"),
                      encoding="utf-8")
    with open_case(case_dir) as case:
        tagger = None
        if args.tag:
            from toolkit.scan.pipeline import case_tagger

            tagger = case_tagger(case)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            start = cpu = time.perf_counter()
            profiler.enable()
            results = scan_paths(case, [args.file], tagger=tagger)
            profiler.disable()
            elapsed = time.perf_counter() - start
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        else:
            start, cpu = time.perf_counter(), time.process_time()
            results = scan_paths(case, [args.file], tagger=tagger)
            elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu if not args.profile else elapsed
    # A large file is read in a reader process (toolkit/scan/reader.py): its CPU time and peak memory
    # count too. Both are known once it has ended (the scan waits for it).
    reader = resource.getrusage(resource.RUSAGE_CHILDREN)
    (result,) = results
    print(json.dumps({"outcome": result.outcome, "error": result.error, "read": result.read, "failed": result.failed,
                      "items": result.items_new, "captures": result.captures, "seconds": elapsed, "cpu": cpu,
                      "reader_cpu": reader.ru_utime + reader.ru_stime, "reader_mb": reader.ru_maxrss / 1024,
                      "scan_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_child(file: Path, workdir: Path, keep_evidence: bool, tag: bool, profile: bool) -> tuple[dict, float]:
    """(the child's result, its peak RSS in MB plus its reader process's, if it had one)."""
    case = workdir / f"case-{file.stem}-{int(keep_evidence)}{int(tag)}"
    shutil.rmtree(case, ignore_errors=True)
    command = [sys.executable, __file__, "--child", "--file", str(file), "--case", str(case)]
    command += ["--keep-evidence"] if keep_evidence else []
    command += ["--tag"] if tag else []
    command += ["--profile"] if profile else []
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {out}")
    shutil.rmtree(case, ignore_errors=True)
    result = json.loads(out.strip().splitlines()[-1])
    # The scan's peak plus its reader's: a bound on what both held at once. (usage.ru_maxrss, of the
    # child as waited for, is the larger of the two, not their sum.)
    return result, max(usage.ru_maxrss / 1024, result["scan_mb"]) + result["reader_mb"]


def zeeschuimer_registered() -> bool:
    sys.path.insert(0, str(ROOT))
    from toolkit.sources import registry

    return any(imp.name == "zeeschuimer" for imp in registry.importers())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated post counts (default 1000000)")
    parser.add_argument("--modes", default="store,default",
                        help="comma-separated: store (read+map+store, issue 2's measure), default (with lexicon "
                             "tagging and the evidence copy, as `toolkit scan` runs); default both")
    parser.add_argument("--workdir", help="where to write the exports (default: a temporary folder, removed after)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each scan to stderr")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--keep-evidence", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    known = {"store": (False, False), "default": (True, True)}  # (keep evidence, tag)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(m not in known for m in modes):
        parser.error(f"--modes: choose from {', '.join(known)}")
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="scan-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with_ndjson = zeeschuimer_registered()
    if not with_ndjson:
        print("zeeschuimer importer not registered: NDJSON generated but its scan is skipped", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; posts/s over wall time, and over the "
          "CPU time of the scan process and its reader process (what the machine's other load changes less); "
          "peak MB: the scan's peak plus its reader's", flush=True)
    print("modes: store = read + map + store (issue 2's measure); default = + lexicon tagging + evidence copy",
          flush=True)
    print(f"{'format':<15} {'posts':>9} {'mode':>8} {'wall s':>7} {'posts/s':>8} {'cpu s':>7} {'posts/cpu-s':>11} "
          f"{'peak MB':>8} {'items':>9} {'captures':>9}", flush=True)
    try:
        for size in sizes:
            files = [("crowdtangle-csv", workdir / f"crowdtangle-{size}.csv", write_crowdtangle),
                     ("zeeschuimer", workdir / f"zeeschuimer-{size}.ndjson", write_zeeschuimer)]
            for name, path, write in files:
                if not path.exists():
                    write(path, size)
                if name == "zeeschuimer" and not with_ndjson:
                    continue
                for mode in modes:
                    keep, tag = known[mode]
                    result, peak = run_child(path, workdir, keep, tag, args.profile)
                    if result["outcome"] != "imported":
                        raise SystemExit(f"{path}: {result['outcome']}: {result['error']}")
                    posts, wall, cpu = result["read"], result["seconds"], result["cpu"] + result["reader_cpu"]
                    print(f"{name:<15} {posts:>9,} {mode:>8} {wall:>7.1f} {posts / wall:>8,.0f} "
                          f"{cpu:>7.1f} {posts / cpu:>11,.0f} {peak:>8.0f} {result['items']:>9,} {result['captures']:>9,}",
                          flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
