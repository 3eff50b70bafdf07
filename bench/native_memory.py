"""Does the native scanner (toolkit/lexicon/_hsscan.c) leak? Resident memory over many scans and objects.

Runs N scans (default 100,000) of a folded batch with the matcher's real keys, then builds and drops
M Literals objects (default 500; each compiles the keys and allocates two scratch spaces), and
also scans that fail (a non-contiguous buffer, a wrong type). Prints the resident set size (VmRSS) at
intervals: after the first rounds warm the allocator it should stay flat.

Usage: python bench/native_memory.py [--scans N] [--objects M]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.lexicon import Matcher, _hsscan, resolve
from toolkit.lexicon.matcher import literal_keys
from toolkit.lexicon.normalise import fold_bulk


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (this script needs Linux)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=100_000)
    parser.add_argument("--objects", type=int, default=500)
    args = parser.parse_args()

    matcher = Matcher(resolve(["default"]), "native")
    keys = [key.encode("ascii") for key in literal_keys(matcher.forms)[0]]
    words = [*sorted({t.term for t in matcher.terms if t.regex is None}), "hola", "de", "la", "casa", "venta"]
    rng = random.Random(1)
    posts = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) for _ in range(200)]
    folded = fold_bulk(" " + " \x00 ".join(posts) + " ")[0]
    literals = _hsscan.Literals(keys)
    found = len(literals.scan(folded)) // 16
    print(f"{len(keys):,} keys; each scan: {len(folded):,} bytes, {found:,} matches")
    print(f"start: {rss_mb():.1f} MB")
    step = max(1, args.scans // 5)
    for done in range(1, args.scans + 1):
        literals.scan(folded)
        if done % step == 0:
            print(f"after {done:>9,} scans: {rss_mb():.1f} MB")
    for done in range(1, args.objects + 1):
        other = _hsscan.Literals(keys)
        other.scan(folded)
        for bad in (memoryview(folded)[::2], "text"):
            with contextlib.suppress(BufferError, TypeError):
                other.scan(bad)
        del other
        if done % max(1, args.objects // 4) == 0:
            print(f"after {done:>9,} objects: {rss_mb():.1f} MB")


if __name__ == "__main__":
    main()
