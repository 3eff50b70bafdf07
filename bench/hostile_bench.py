"""Hostile input: each class in tests/hostile.py scanned by a real `toolkit scan` process.

Prints one row per class: the peak resident memory of the command (its own and its reader
process's), the wall-clock time, the time per MB of input, and the outcome (imported, or the clear
per-file error the researcher sees). The classes are the corpus of issue 8 (`GENERATORS`) and the
attacks of issue 16 (`ATTACKS`), plus `live-gzip-20kb` (a live recheck of a 20 KB gzip response
that inflates to 19 MB of `<p>a`, served by a local server), plus the floods (`FLOODS`): one post
of 6 MB repeating a term, an emoji, a glued handle, a contact line, or a mix, which the tagger must
not turn into millions of stored rows. For those the outcome also gives the rows the scan stored
(hits, indicators) and the size of the score's explanation. The limits the suite enforces are in
tests/test_hostile.py and tests/test_hostile_input.py; docs/hostile-input.md lists them.

To measure another checkout (main, before a change), point --root and --python at it; --cap-mb
limits each command's address space so that an unbounded command fails at the cap (and says so)
instead of taking the machine down:

    PYTHONPATH=. python bench/hostile_bench.py [--only CLASS ...] [--keep DIR]
    python bench/hostile_bench.py --root /work/main --python /work/venv/bin/python --cap-mb 4096
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402

SPECIAL = ("live-gzip-20kb",)
FLOOD_BYTES = 6_000_000  # one post's text: under the 8 MB a Zeeschuimer line may hold
# What each flood repeats in its one post (the units sellers write, repeated by someone who wants
# the tagger to fall over): a smuggling term, a DEA emoji code, a glued handle naming a place, a
# contact line (WhatsApp link, phone, price), and all of them with a place.
FLOOD_UNITS = {
    "flood-term-6mb": "coyote ",
    "flood-emoji-6mb": "\u2744\ufe0f ",
    "flood-handle-6mb": "@CruceSeguroUSA ",
    "flood-contacts-6mb": "wa.me/5215512345678 +52 55 1234 5678 $7500 USD ",
    "flood-mixed-6mb": "coyote lancha \u2744\ufe0f garantizado Reynosa wa.me/5215512345678 ",
}


def flood(name: str, folder: Path) -> Path:
    """A Zeeschuimer NDJSON file of one TikTok post whose description is FLOOD_UNITS[name] repeated
    to FLOOD_BYTES (the record's shape is that of tests/hostile.py's `ndjson_many_causes`)."""
    unit = FLOOD_UNITS[name]
    text = unit * (FLOOD_BYTES // len(unit.encode()))
    record = {"nav_index": "1:1:0", "timestamp_collected": 1618567200000, "source_platform": "tiktok.com",
              "source_platform_url": "https://www.tiktok.com/",
              "data": {"id": "6944300000000000001", "desc": text, "createTime": 1616371200,
                       "author": {"uniqueId": "cuenta_1", "nickname": "Cuenta", "id": "680001"},
                       "stats": {"playCount": 1}}}
    path = folder / f"{name}.ndjson"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


FLOODS = {name: (lambda folder, name=name: flood(name, folder)) for name in FLOOD_UNITS}


def stored(case: Path) -> str:
    """The rows a scan stored for its captures' tags: hits, indicators, the largest explanation."""
    with sqlite3.connect(f"file:{case / 'case.db'}?mode=ro", uri=True) as conn:
        hits = conn.execute("SELECT count(*) FROM hit").fetchone()[0]
        indicators = conn.execute("SELECT count(*) FROM indicator").fetchone()[0]
        explanation = conn.execute("SELECT max(length(explanation)) FROM score").fetchone()[0] or 0
    return f"{hits:,} hit rows, {indicators:,} indicator rows, explanation {explanation:,} B"


def outcome(result: subprocess.CompletedProcess, path: Path | None) -> str:
    """What the researcher is told about the file, on one line."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("MAXRSS_KB")]
    if "MemoryError" in result.stderr:
        return "OUT OF MEMORY at the cap"
    if "Traceback" in result.stderr:
        return "CRASH: " + (lines[-1] if lines else "traceback")[:150]
    about = [line for line in lines if path is not None and path.name in line]
    if result.returncode == 0:
        text = about[0] if about else (lines[-1] if lines else "")
        return "imported: " + re.sub(r"\s+", " ", text)[:150]
    error = next((line for line in lines if line.startswith("Error") or "failed" in line), lines[-1] if lines else "")
    return f"clear error (exit {result.returncode}): " + re.sub(r"\s+", " ", error)[:150]


def scan_class(name: str, corpus: Path, work: Path, args: argparse.Namespace) -> tuple[float, float, float, str]:
    """(input MB, peak MB, seconds, outcome) of scanning one class's file into a fresh case."""
    path = FLOODS[name](corpus) if name in FLOODS else hostile.CLASSES[name](corpus)
    size = path.stat().st_size
    case = work / f"case-{name}"
    run = dict(root=args.root, python=args.python, cap_mb=args.cap_mb, timeout=args.timeout)
    hostile.run_measured("init", case, **run)
    try:
        result, peak, seconds = hostile.run_measured("scan", case, path, **run)
        note = outcome(result, path)
        if name in FLOODS and result.returncode == 0:
            note = f"{stored(case)}; {note}"
    except subprocess.TimeoutExpired:
        peak, seconds, note = float("nan"), args.timeout, f"TIMEOUT after {args.timeout:.0f} s"
    if not args.keep:
        if path.is_file():
            path.unlink()
        shutil.rmtree(case, ignore_errors=True)
    return size / 1e6, peak, seconds, note


def live_gzip(work: Path, args: argparse.Namespace) -> tuple[float, float, float, str]:
    """A live recheck of one item whose server answers 20 KB of gzip that inflates to 19 MB of `<p>a`."""
    from _recheck_server import RecheckServer

    case = work / "case-live"
    run = dict(root=args.root, python=args.python, cap_mb=args.cap_mb, timeout=args.timeout)
    with RecheckServer(hosts=1) as server:
        hostile.run_measured("init", case, **run)
        config = case / "case.toml"
        # The server is on 127.0.0.1: allowed here (a checkout without the setting ignores nothing:
        # case.toml names unknown keys, so it is only added where the toolkit knows it).
        known = subprocess.run([args.python, "-c", "from toolkit.case import CONFIG_SPEC; "
                                "print('allow_private_hosts' in CONFIG_SPEC['recheck'])"],
                               capture_output=True, text=True, env={"PYTHONPATH": str(args.root)},
                               cwd=args.root).stdout.strip()
        text = config.read_text()
        if known == "True":
            text = (text.replace("allow_private_hosts = false", "allow_private_hosts = true")
                    if "allow_private_hosts = false" in text
                    else text.replace("[recheck]\n", "[recheck]\nallow_private_hosts = true\n", 1))
        config.write_text(text)
        urls = work / "live.csv"
        urls.write_text(f"url,platform\n{server.base(0)}/tag-bomb,generic\n")
        hostile.run_measured("scan", case, urls, **run)
        try:
            result, peak, seconds = hostile.run_measured("recheck", case, "--all", "--live", "--wave", "w1",
                                                         "--interval", "0", "--retries", "0", **run)
            note = outcome(result, None) + " " + " ".join(result.stdout.split())[-120:]
        except subprocess.TimeoutExpired:
            peak, seconds, note = float("nan"), args.timeout, f"TIMEOUT after {args.timeout:.0f} s"
    return len(RecheckServer.tag_bomb()) / 1e6, peak, seconds, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="Only these classes.")
    parser.add_argument("--keep", type=Path, help="Write the corpus and cases here and keep them.")
    parser.add_argument("--root", type=Path, default=ROOT, help="The toolkit checkout to run (default: this one).")
    parser.add_argument("--python", default=sys.executable, help="The Python to run it with.")
    parser.add_argument("--cap-mb", type=int, help="Limit each command's address space to this many MB.")
    parser.add_argument("--timeout", type=float, default=600, help="Give up on a command after this many seconds.")
    args = parser.parse_args()
    known = [*sorted(hostile.CLASSES), *SPECIAL, *FLOODS]
    names = args.only or known
    unknown = set(names) - set(known)
    if unknown:
        parser.error(f"unknown classes: {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    print(f"toolkit at {args.root}" + (f", address space capped at {args.cap_mb} MB" if args.cap_mb else ""))
    print(f"{'class':<24} {'input MB':>9} {'peak MB':>8} {'seconds':>8} {'s/MB':>7}  outcome")
    for name in names:
        size, peak, seconds, note = live_gzip(work, args) if name in SPECIAL else scan_class(name, corpus, work, args)
        print(f"{name:<24} {size:>9.3f} {peak:>8.0f} {seconds:>8.1f} {seconds / max(size, 1e-9):>7.1f}  {note}",
              flush=True)
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
