"""Hostile input: each class in tests/hostile.py scanned by a real `toolkit scan` process.

Prints one row per class: the outcome (imported, or the clear per-file error the researcher sees),
the peak resident memory of the scanning process and the wall-clock time. These are the measured
memory and time bounds quoted for issue 8; tests/test_hostile.py enforces the ceilings
(MEMORY_BOUND_MB, TIME_BOUND_S) on every run of the suite.

    PYTHONPATH=. python bench/hostile_bench.py [--only CLASS ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402


def run(*args: object) -> tuple[subprocess.CompletedProcess, float, float]:
    """(result, peak RSS in MB, seconds) of one toolkit command in a fresh Python."""
    return hostile.run_measured(*args, timeout=None)


def outcome(result: subprocess.CompletedProcess, path: Path) -> str:
    """What the researcher is told about the file, on one line."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("MAXRSS_KB")]
    if "Traceback" in result.stderr:
        return "CRASH: " + (lines[-1] if lines else "traceback")
    about = [line for line in lines if path.name in line]
    if result.returncode == 0:
        text = about[0] if about else (lines[-1] if lines else "")
        return "imported: " + re.sub(r"\s+", " ", text)[:150]
    error = next((line for line in lines if line.startswith("Error") or "failed" in line), lines[-1] if lines else "")
    return f"clear error (exit {result.returncode}): " + re.sub(r"\s+", " ", error)[:150]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="Only these classes.")
    parser.add_argument("--keep", type=Path, help="Write the corpus and cases here and keep them.")
    args = parser.parse_args()
    names = args.only or sorted(hostile.GENERATORS)
    unknown = set(names) - set(hostile.GENERATORS)
    if unknown:
        parser.error(f"unknown classes: {', '.join(sorted(unknown))}; known: {', '.join(sorted(hostile.GENERATORS))}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    print(f"{'class':<24} {'peak RSS MB':>11} {'seconds':>8}  outcome")
    for name in names:
        path = hostile.GENERATORS[name](corpus)
        size = path.stat().st_size
        case = work / f"case-{name}"
        run("init", case)
        result, peak, seconds = run("scan", case, path)
        verify, _, _ = run("verify", case)
        note = outcome(result, path)
        if verify.returncode != 0:
            note += " [VERIFY FAILED]"
        print(f"{name:<24} {peak:>11.0f} {seconds:>8.1f}  {note}  ({size / 1e6:,.1f} MB file)", flush=True)
        if not args.keep:
            path.unlink()
            shutil.rmtree(case)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest peak RSS of any process: {children:.0f} MB")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
