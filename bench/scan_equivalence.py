"""Check that two toolkit code trees store the same rows for the same exports.

    python bench/scan_equivalence.py OLD_TREE NEW_TREE EXPORT...
    python bench/scan_equivalence.py /tmp/main-code . cases/example/exports /tmp/crowdtangle-20000.csv

Each tree (a checkout of the repository, e.g. `git archive main | tar -x -C /tmp/main-code`) scans
the exports into its own fresh case with `python -m toolkit scan` (lexicon tagging as a new case
does; no evidence copy). Then every stored row that does not carry the clock (sources without
imported_at, items without added_at, captures, aliases, hits, indicators, scores without
scored_at, and the schema) is compared, ids included. Prints what differs and exits 1, or says the
cases are the same. `--reader-bytes` sets TOOLKIT_READER_PROCESS_BYTES for the new tree's scan.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

QUERIES = {
    "source": "SELECT id, sha256, size, format, importer, path, collected_at, records_read, records_mapped,"
              " records_failed, items_new, items_seen, captures, failures, notes, evidence FROM source ORDER BY id",
    "item": "SELECT id, platform, kind, key, url, name, parent_id, first_seen, last_seen, merged_into"
            " FROM item ORDER BY id",
    "capture": "SELECT * FROM capture ORDER BY id",
    "item_alias": "SELECT platform, kind, key, item_id, source_id FROM item_alias ORDER BY 1, 2, 3",
    "hit": "SELECT * FROM hit ORDER BY id",
    "indicator": "SELECT * FROM indicator ORDER BY id",
    "score": "SELECT id, item_id, capture_id, lexicons, score, category, explanation FROM score ORDER BY id",
    "schema": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
}


def scan(tree: Path, case: Path, exports: list[str], reader_bytes: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    if reader_bytes is not None:
        env["TOOLKIT_READER_PROCESS_BYTES"] = reader_bytes
    run = [sys.executable, "-m", "toolkit"]
    subprocess.run([*run, "init", str(case)], env=env, check=True, stdout=subprocess.DEVNULL)
    config = case / "case.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("keep_evidence = true", "keep_evidence = false"),
                      encoding="utf-8")
    # A fixed collection time: files that do not say when they were saved would take the clock.
    command = [*run, "scan", str(case), *exports, "--quiet", "--collected-at", "2021-11-01T00:00:00Z"]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{tree}: scan failed ({done.returncode}):\n{done.stdout}")


def rows(case: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in QUERIES.items()}
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("exports", nargs="+")
    parser.add_argument("--reader-bytes", help="TOOLKIT_READER_PROCESS_BYTES for the new tree (e.g. 0: always)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scan-equivalence-"))
    try:
        cases = {}
        for label, tree in (("old", args.old), ("new", args.new)):
            cases[label] = work / label
            scan(tree.resolve(), cases[label], args.exports, args.reader_bytes if label == "new" else None)
        old, new = rows(cases["old"]), rows(cases["new"])
        differ = False
        for table in QUERIES:
            a, b = old[table], new[table]
            if a == b:
                print(f"{table:<11} same ({len(a):,} rows)")
                continue
            differ = True
            first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            print(f"{table:<11} DIFFERS: {len(a):,} rows old, {len(b):,} new; first difference at row {first}:")
            print(f"  old: {a[first] if first < len(a) else None}")
            print(f"  new: {b[first] if first < len(b) else None}")
        raise SystemExit(1 if differ else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
