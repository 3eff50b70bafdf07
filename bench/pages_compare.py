"""Check: two checkouts of toolkit read the same pages the same way.

Reads every file under tests/fixtures/ and cases/example/ (and the real samples when
TOOLKIT_SAMPLES names their folder) with the page importers (SingleFile, HTML, MHTML, WARC, WACZ,
HAR), every HTML file also with `read_page` directly under three URLs, and generated pages from
bench/pages_bench.py and bench/detect_bench.py; once with this checkout's code and once with the
other's, each in its own process. Prints how many readings differ, and the first differences
(status, marker, place, identity and every extracted field are compared).

    python bench/pages_compare.py ../main                 # this tree against a checkout of main
    TOOLKIT_SAMPLES=../shared/samples python bench/pages_compare.py ../main --show 5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_IMPORTERS = {"singlefile", "html", "mhtml", "warc", "wacz", "har"}
URLS = (None, "https://www.facebook.com/viajes.norte/", "https://www.facebook.com/groups/123/posts/456")


def _plain(value):
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("latin-1")[:200]
    return getattr(value, "value", value)


def _files() -> list[Path]:
    folders = [ROOT / "tests" / "fixtures", ROOT / "cases" / "example"]
    if os.environ.get("TOOLKIT_SAMPLES"):
        folders.append(Path(os.environ["TOOLKIT_SAMPLES"]))
    return [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]


def dump(out: Path) -> None:
    """Write one JSON line per reading, with the code on sys.path (the checkout under test)."""
    from toolkit.platforms.detect import read_page
    from toolkit.sources import registry
    from toolkit.sources.base import MapError, ReadContext

    sys.path.insert(0, str(ROOT / "bench"))
    import detect_bench
    import pages_bench

    with open(out, "w", encoding="utf-8") as handle:
        def write(row: dict) -> None:
            handle.write(json.dumps(_plain(row), sort_keys=True, default=str) + "\n")

        for path in _files():
            name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else f"samples/{path.name}"
            importer = registry.detect(path)
            if importer is not None and importer.name in PAGE_IMPORTERS:
                ctx = ReadContext(path=path)
                records = []
                try:
                    for line, raw in importer.read(path, ctx):
                        try:
                            records.append({"line": line, "captures": list(importer.map(raw))})
                        except MapError as exc:
                            records.append({"line": line, "map_error": [exc.cause, exc.detail]})
                except Exception as exc:  # a crash is a difference to report, not a reason to stop
                    records.append({"error": repr(exc)})
                write({"file": name, "importer": importer.name, "records": records,
                       "failures": {k: v[0] for k, v in ctx.failures.items()}, "notes": ctx.notes,
                       "collected_at": ctx.collected_at})
            if path.suffix in (".html", ".htm"):
                for url in URLS:
                    write({"file": name, "url": url, "reading": read_page(path.read_bytes(), url)})
        rng = random.Random(1)
        for index in range(40):
            body = pages_bench.facebook_page(index, 300 * 1024, rng)
            write({"generated": f"pages_bench {index}",
                   "reading": read_page(body, f"https://www.facebook.com/cruce.seguro.{index}")})
        for index in range(60):
            html, url, _ = detect_bench.make_page(index, 100_000)
            for asked in (url, None):
                write({"generated": f"detect_bench {index} {asked is not None}", "reading": read_page(html.encode(), asked)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", nargs="?", help="root of the other checkout (holding toolkit/)")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)  # the child process's job
    parser.add_argument("--show", type=int, default=3, help="differences to print (default 3)")
    args = parser.parse_args()
    if args.dump:
        dump(args.dump)
        return
    if not args.other or not (Path(args.other) / "toolkit").is_dir():
        parser.error("give the root of another checkout of toolkit (a folder holding toolkit/)")
    with tempfile.TemporaryDirectory(prefix="pages-compare-") as tmp:
        outputs = []
        for label, code in (("this", ROOT), ("other", Path(args.other).resolve())):
            out = Path(tmp) / f"{label}.jsonl"
            # The fixtures and generators are this tree's; only the code under test changes.
            env = dict(os.environ, PYTHONPATH=str(code))
            subprocess.run([sys.executable, __file__, "--dump", str(out)], check=True, env=env)
            outputs.append(out.read_text(encoding="utf-8").splitlines())
    mine, theirs = outputs
    if len(mine) != len(theirs):
        raise SystemExit(f"the two checkouts gave {len(mine)} and {len(theirs)} readings")
    differing = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    print(f"{len(mine)} readings compared, {len(differing)} differ")
    for a, b in differing[:args.show]:
        print(f"  this:  {a[:400]}\n  other: {b[:400]}")
    if differing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
