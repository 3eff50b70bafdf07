"""Time the status rule over a whole case: every item's latest status (`store/status.py`
`latest_statuses`, what `toolkit items`, `waves` and the report read), in this process.

    python bench/status_bench.py CASE_FOLDER

Prints the items, wall and CPU seconds of the call, the process's peak memory (VmHWM) and a
digest of the whole result, so that two trees can be compared on one case (run it with
`PYTHONPATH=OTHER_TREE` for the other, from a folder outside both trees, alternating). A case to
time: `python bench/report_bench.py --items 20000 --keep DIR` keeps its generated case in DIR.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

import toolkit
from toolkit.case import open_case
from toolkit.store.status import latest_statuses


def main() -> None:
    with open_case(sys.argv[1]) as opened:
        t0, c0 = time.perf_counter(), time.process_time()
        found = latest_statuses(opened.db)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = sorted((item, list(status.__dict__.values())) for item, status in found.items())
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:12]
    with open("/proc/self/status") as status_file:
        peak = next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM")) / 1024
    print(f"{toolkit.__file__}: {len(found):,} items, {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MiB, "
          f"result {digest}")


if __name__ == "__main__":
    main()
