"""Benchmark `toolkit report` on a generated case: N items x W waves (default 100,000 x 5).

Rows are generated directly with SQL (fictional items, verdicts, notices, checks, audience,
contacts), then `toolkit report` runs in a fresh process; its wall time and peak memory (max RSS)
are printed.

    PYTHONPATH=. python bench/report_bench.py [--items 100000] [--waves 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from toolkit.case import init_case

STATUSES_LIVE = ("available",) * 90 + ("login_required",) * 6 + ("error",) * 3 + ("rate_limited",)
START = datetime(2021, 3, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(root: Path, items: int, waves: int, seed: int = 1) -> None:
    """A case with `items` violating items, each checked in each of `waves` weekly waves."""
    rng = random.Random(seed)
    case = init_case(root)
    db = case.db
    db.execute("BEGIN")
    db.execute("INSERT INTO source(sha256, size, format, importer, path, imported_at, collected_at, records_read,"
               " records_mapped, records_failed, items_new, items_seen, captures) VALUES (?,?,?,?,?,?,?,?,?,0,?,0,?)",
               ("0" * 64, items * 500, "zeeschuimer", "zeeschuimer@1", "exports/bench.ndjson", iso(START), iso(START),
                items, items, items, items))
    kinds = ("page", "page", "page", "group", "post", "listing", "video", "channel")
    item_rows, capture_rows, review_rows, notice_rows, hit_rows, indicator_rows = [], [], [], [], [], []
    first_seen = {}
    for i in range(1, items + 1):
        kind = rng.choice(kinds)
        seen = START + timedelta(minutes=rng.randrange(0, 40 * 24 * 60))
        first_seen[i] = seen
        item_rows.append((i, "tiktok" if kind == "video" else "facebook", kind, f"bench.{i}",
                          f"https://www.facebook.com/bench.{i}", f"Cruce seguro {i}", iso(seen), iso(seen), iso(seen)))
        audience = rng.randrange(10, 50_000)
        capture_rows.append((i, i, 1, iso(seen), "available", f"Cruce seguro {i}",
                             audience if kind != "group" else None, audience if kind == "group" else None))
        review_rows.append((i, "violating", rng.choice(("smuggling_offer", "drug_sale", "smuggling_information")),
                            "bench", iso(seen + timedelta(days=1))))
        if i % 2:
            channel = "platform_request" if i % 4 == 1 else "in_app"
            notice_rows.append((i, iso(START + timedelta(days=42)), channel, iso(START + timedelta(days=42))))
        hit_rows.append((i, i, "smuggling-es@1", "cruzar", "smuggling_offer", "es" if i % 10 else "en"))
        if i % 3 == 0:  # shared numbers: clusters of about three items
            indicator_rows.append((i, i, "phone", f"+5255{rng.randrange(0, items // 3):08d}", "indicators@1"))
    db.executemany("INSERT INTO item(id, platform, kind, key, url, name, first_seen, last_seen, added_at)"
                   " VALUES (?,?,?,?,?,?,?,?,?)", item_rows)
    db.executemany("INSERT INTO capture(id, item_id, source_id, observed_at, status, name, followers, members)"
                   " VALUES (?,?,?,?,?,?,?,?)", capture_rows)
    db.executemany("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at) VALUES (?,?,?,?,?)",
                   review_rows)
    db.executemany("INSERT INTO notice(item_id, noticed_at, channel, recorded_at) VALUES (?,?,?,?)", notice_rows)
    db.executemany("INSERT INTO hit(capture_id, item_id, lexicon, term, category, language) VALUES (?,?,?,?,?,?)",
                   hit_rows)
    db.executemany("INSERT INTO indicator(capture_id, item_id, type, value, extractor) VALUES (?,?,?,?,?)",
                   indicator_rows)
    gone_after = {i: rng.expovariate(1 / 30) for i in range(1, items + 1)}
    for w in range(waves):
        started = START + timedelta(days=49 + 7 * w)
        wave_id = db.execute("INSERT INTO wave(name, started_at, methods) VALUES (?,?,?)",
                             (f"w{w + 1}", iso(started), '["live"]')).lastrowid
        checks = []
        for i in range(1, items + 1):
            at = started + timedelta(seconds=rng.randrange(0, 6 * 3600))
            if (at - first_seen[i]).total_seconds() / 86400 > gone_after[i]:
                status = "unavailable" if i % 5 else "removed"
            else:
                status = rng.choice(STATUSES_LIVE)
            checks.append((i, wave_id, iso(at), "live", status, "facebook-page@1"))
        db.executemany('INSERT INTO "check"(item_id, wave_id, observed_at, method, status, detector)'
                       " VALUES (?,?,?,?,?,?)", checks)
    db.execute("COMMIT")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Generate the case here and keep it (default: a temporary folder).")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    root = base / f"bench-{args.items}x{args.waves}"
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    generate(root, args.items, args.waves)
    print(f"generated {args.items:,} items x {args.waves} waves ({args.items * args.waves:,} checks) "
          f"in {time.perf_counter() - t0:.1f} s; case.db {(root / 'case.db').stat().st_size / 1e6:.0f} MB")
    for formats in ("md,html,csv,json",):
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "toolkit", "report", str(root), "--as-of", "2021-12-31",
                                 "-o", str(root / "reports" / "bench"), "--format", formats],
                                capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if result.returncode:
            sys.exit(f"report failed:\n{result.stderr}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        print(f"toolkit report --format {formats}: {elapsed:.1f} s wall, peak memory {peak:.0f} MiB")
        print("headline:", result.stdout.strip().splitlines()[0])
        sizes = {p.name: p.stat().st_size for p in sorted((root / "reports" / "bench").iterdir())}
        print("files:", ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes.items()))
    if not args.keep:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
