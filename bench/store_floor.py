"""The SQLite-only ceiling for a scan: pre-built rows inserted into the real schema, nothing else.

    python bench/store_floor.py                       # 1,000,000 posts, every variant
    python bench/store_floor.py --posts 200000 --variants plain,nofk
    python bench/store_floor.py --scan                # and the scan of the same number of posts beside it

Each post is what a CrowdTangle pages export stores for it (as `bench/scan_bench.py` generates
it): an item row (`facebook/post/<id>`, canonical URL, parent page) and a capture row (a ~110-char
message, the post URL, counts, a ~330-byte `fields` JSON), plus the page's item and a page capture
every 25 posts of a page. Rows are built batch by batch outside the timed part and inserted with executemany in
batches of 5,000 in one WAL transaction, on a fresh case database made by `toolkit init`, with the
pragmas the scan uses. Whatever a scan does, it cannot store faster than this on this machine.

Variants (each in a fresh child process, peak RSS read with os.wait4):
- `plain`: the schema as it is, foreign keys on (what `toolkit scan` runs against);
- `nofk`: foreign-key enforcement off for the transaction;
- `deferred`: the secondary indexes (item_parent, item_url, capture_item, capture_source) dropped
  inside the transaction and created again before the commit;
- `nofk+deferred`: both;
- `noindex`: no secondary index at all and never rebuilt (a lower bound, not a usable store).
Figures: rows per second over wall time and per CPU-second of the child.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
PAGES = 5000
SECONDARY = {
    "item_parent": "CREATE INDEX item_parent ON item(parent_id)",
    "item_url": "CREATE INDEX item_url ON item(url)",
    "capture_item": "CREATE INDEX capture_item ON capture(item_id)",
    "capture_source": "CREATE INDEX capture_source ON capture(source_id)",
}
VARIANTS = ("plain", "nofk", "deferred", "nofk+deferred", "noindex")
ADDED = "2026-11-28T14:00:00Z"
MESSAGE = ("informes papeles a WhatsApp sin sin lugares lugares informes papeles Houston viaje +52 55 5555 {n:04d} "
           "$5,500")


def fields_json(n: int) -> str:
    interactions = (n * 7919) % 50_000
    return orjson.dumps({
        "total_interactions": interactions, "comments": interactions // 5, "shares": interactions // 10, "love": 3,
        "wow": 0, "haha": 1, "sad": 0, "angry": 0, "care": 2, "post_views": 0, "total_views": 0,
        "total_views_crossposts": 0, "total_interactions_weighted": interactions, "type": "Photo",
        "link": "https://wa.me/525555550101", "overperforming_score": (n % 1000) / 100,
    }).decode()


def batches(posts: int):
    """(item rows, capture rows) per batch of BATCH posts, ids assigned as the writer assigns them."""
    item_id = capture_id = 0
    page_item: dict[int, int] = {}
    for start in range(0, posts, BATCH):
        items, captures = [], []
        for n in range(start, min(posts, start + BATCH)):
            page = n % PAGES
            page_id = 100000000000000 + page
            created = f"2021-03-{1 + (n // 40_000) % 28:02d}T{(n % 1440) // 60:02d}:{n % 60:02d}:00Z"
            if page not in page_item:
                item_id += 1
                page_item[page] = item_id
                items.append((item_id, "facebook", "page", str(page_id), f"https://www.facebook.com/{page_id}",
                              f"Cruce Seguro {page}", None, created, created, ADDED))
            if n % (PAGES * 25) < PAGES:  # the page's audience changed: a page capture
                capture_id += 1
                captures.append((capture_id, page_item[page], 1, created, "available", None, None, None,
                                 f"Cruce Seguro {page}", "Viajes seguros a USA\nInformes por WhatsApp",
                                 f"https://www.facebook.com/{page_id}", 1000 + page * 7 + n // (PAGES * 25), None,
                                 900 + page * 7, "2019-03-01T15:15:00Z", "MX",
                                 '{"handle":"cruceseguro' + str(page) + '","category":"TRAVEL_COMPANY"}', None))
            post = str(900000000000000 + n)
            url = f"https://www.facebook.com/{page_id}/posts/{post}"
            item_id += 1
            capture_id += 1
            items.append((item_id, "facebook", "post", post, url, None, page_item[page], ADDED, ADDED, ADDED))
            captures.append((capture_id, item_id, 1, ADDED, "available", None, None, None, None,
                             MESSAGE.format(n=n % 10_000), url, None, None, (n * 7919) % 25_000, created, None,
                             fields_json(n), None))
        yield items, captures


ITEM_SQL = ("INSERT INTO item (id, platform, kind, key, url, name, parent_id, first_seen, last_seen, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
CAPTURE_SQL = ("INSERT INTO capture (id, item_id, source_id, observed_at, status, status_marker, status_place, detector,"
               " name, text, url, followers, members, likes, created_at, country, fields, raw)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def child(posts: int, variant: str, case_dir: Path, cache_mb: int) -> dict:
    """Insert `posts` posts' rows into a fresh case under `case_dir` the way `variant` says."""
    sys.path.insert(0, str(ROOT))
    from toolkit.case import init_case

    init_case(case_dir).close()
    from toolkit.store.db import connect

    conn = connect(case_dir / "case.db")
    conn.execute(f"PRAGMA cache_size = {-cache_mb * 1024}")
    nofk, deferred = "nofk" in variant, "deferred" in variant or variant == "noindex"
    wall = cpu = 0.0  # only the database's work is timed, not building the rows
    start, cpu_start = time.perf_counter(), time.process_time()
    if nofk:
        conn.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO source (id, sha256, size, format, importer, path, imported_at, records_read,"
                 " records_mapped, records_failed, items_new, items_seen, captures)"
                 " VALUES (1, 'x', 0, 'crowdtangle-csv', 'crowdtangle-csv@1', 'x.csv', ?, 0, 0, 0, 0, 0, 0)", (ADDED,))
    if deferred:
        for name in SECONDARY:
            conn.execute(f"DROP INDEX {name}")
    items = captures = 0
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    for item_rows, capture_rows in batches(posts):
        start, cpu_start = time.perf_counter(), time.process_time()
        conn.executemany(ITEM_SQL, item_rows)
        conn.executemany(CAPTURE_SQL, capture_rows)
        wall, cpu = wall + time.perf_counter() - start, cpu + time.process_time() - cpu_start
        items += len(item_rows)
        captures += len(capture_rows)
    start, cpu_start = time.perf_counter(), time.process_time()
    if deferred and variant != "noindex":
        for sql in SECONDARY.values():
            conn.execute(sql)
    index = time.perf_counter() - start
    conn.execute("COMMIT")
    if nofk:
        conn.execute("PRAGMA foreign_keys = ON")
    wall, cpu = wall + time.perf_counter() - start, cpu + time.process_time() - cpu_start
    size = (case_dir / "case.db").stat().st_size
    conn.close()
    return {"wall": wall, "cpu": cpu, "index": index,
            "items": items, "captures": captures, "mb": size / 1e6}


def run(posts: int, variant: str, workdir: Path, cache_mb: int) -> tuple[dict, float]:
    case = workdir / f"floor-{variant}"
    shutil.rmtree(case, ignore_errors=True)
    command = [sys.executable, __file__, "--child", variant, "--posts", str(posts), "--workdir", str(workdir),
               "--cache-mb", str(cache_mb)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    shutil.rmtree(case, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"floor child failed: {out}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def scan_figure(posts: int, workdir: Path) -> tuple[dict, float]:
    """The scan of a CrowdTangle CSV of `posts` posts (store mode), through bench/scan_bench.py."""
    sys.path.insert(0, str(ROOT / "bench"))
    import scan_bench

    path = workdir / f"crowdtangle-{posts}.csv"
    if not path.exists():
        scan_bench.write_crowdtangle(path, posts)
    return scan_bench.run_child(path, workdir, keep_evidence=False, tag=False, profile=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated from {', '.join(VARIANTS)}")
    parser.add_argument("--scan", action="store_true", help="also scan a generated CSV of as many posts (store mode)")
    parser.add_argument("--workdir", help="where the case databases go (default: a temporary folder)")
    parser.add_argument("--cache-mb", type=int, default=64, help="SQLite page cache in MB (the scan's: 64)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="store-floor-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.child:
        print(json.dumps(child(args.posts, args.child, workdir / f"floor-{args.child}", args.cache_mb)))
        return
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if any(v not in VARIANTS for v in variants):
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.posts:,} posts of pre-built rows, "
          "one WAL transaction; posts/s over wall time and per CPU-second", flush=True)
    print(f"{'variant':<15} {'wall s':>7} {'posts/s':>9} {'cpu s':>7} {'posts/cpu-s':>11} {'index s':>8} "
          f"{'peak MB':>8} {'db MB':>7} {'items':>9} {'captures':>9}", flush=True)
    try:
        for variant in variants:
            result, peak = run(args.posts, variant, workdir, args.cache_mb)
            print(f"{variant:<15} {result['wall']:>7.1f} {args.posts / result['wall']:>9,.0f} {result['cpu']:>7.1f} "
                  f"{args.posts / result['cpu']:>11,.0f} {result['index']:>8.1f} {peak:>8.0f} {result['mb']:>7.0f} "
                  f"{result['items']:>9,} {result['captures']:>9,}", flush=True)
        if args.scan:
            result, peak = scan_figure(args.posts, workdir)
            print(f"{'scan (store)':<15} {result['seconds']:>7.1f} {result['read'] / result['seconds']:>9,.0f} "
                  f"{result['cpu']:>7.1f} {result['read'] / result['cpu']:>11,.0f} {'':>8} {peak:>8.0f} {'':>7} "
                  f"{result['items']:>9,} {result['captures']:>9,}", flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
