"""What item aliases cost: `toolkit items` on a case where pages are merged through aliases.

    python bench/alias_bench.py                  # 1,000,000 CrowdTangle posts of 5,000 pages
    python bench/alias_bench.py --posts 200000

Scans a generated CrowdTangle pages CSV (every page has a `User Name`, recorded as an alias), times
the items listing (no merged item: the plain query), then scans a URL list naming every page by its
vanity name (each becomes an item merged into its page), and times the listing again (the folded
query) and the scan of the URL list. Prints wall seconds for each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scan_bench import PAGES, write_crowdtangle  # noqa: E402

from toolkit.case import init_case, open_case  # noqa: E402
from toolkit.scan.pipeline import scan_paths  # noqa: E402
from toolkit.store.item_list import list_items  # noqa: E402


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        export = root / "pages.csv"
        write_crowdtangle(export, args.posts)
        urls = root / "urls.txt"
        urls.write_text("".join(f"https://www.facebook.com/cruceseguro{n}\n" for n in range(PAGES)), encoding="utf-8")
        init_case(root / "case")
        with open_case(root / "case") as case:
            timed(f"scan {args.posts:,} CrowdTangle posts", lambda: scan_paths(case, [str(export)]))
            rows = timed("items listing, no merged item", lambda: list_items(case.db))
            print(f"{'':<44} {len(rows):,} items")
            timed(f"scan a URL list of {PAGES:,} vanity names", lambda: scan_paths(case, [str(urls)]))
            merged = case.db.execute("SELECT count(*) FROM item WHERE merged_into IS NOT NULL").fetchone()[0]
            rows = timed("items listing, folded", lambda: list_items(case.db))
            print(f"{'':<44} {len(rows):,} items ({merged:,} merged)")


if __name__ == "__main__":
    main()
