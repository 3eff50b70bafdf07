"""Benchmark: saved pages per second through `toolkit scan`, and WARC throughput in MB/s.

Generates Facebook-style SingleFile pages (~300 KB each: a SingleFile header, og:/al: meta tags,
inlined CSS, inline JSON blobs and a feed of posts, as a saved Comet page looks) in a temporary
folder, scans them into a fresh case with the real CLI in a child process, and prints wall-clock
and CPU figures, with the case's lexicon tagging and without (tagging is its own stage), and
`read_page` alone in process. The scan is single-threaded but for the evidence copy, which a
thread compresses beside it (its CPU time counts), so pages per CPU-second is the per-core rate,
and it is steadier than wall-clock time on a shared machine. Then the same for one WARC file
holding HTML pages and image records.

    python bench/pages_bench.py                      # 1,000 pages of ~300 KB, a ~100 MB WARC
    python bench/pages_bench.py --pages 200 --warc-mb 20 --tagging off
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["cruce", "seguro", "salida", "semanal", "frontera", "viaje", "norte", "informes", "whatsapp", "precio", "pago", "llegar", "guía", "transporte", "requisitos", "documentos", "cupo", "limitado", "reynosa", "sonora", "arizona", "houston", "dallas", "familia", "niños", "seguro", "rápido"]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def facebook_page(index: int, size: int, rng: random.Random) -> bytes:
    """One saved Facebook page of about `size` bytes, with its own page id and vanity name."""
    page_id = 100064000000000 + index
    vanity = f"cruce.seguro.{index}"
    css = "".join(f".x{rng.randrange(16**6):06x}{{display:flex;margin:{rng.randrange(20)}px;color:#{rng.randrange(16**6):06x}}}"
                  for _ in range(size // 110))
    blob = json.dumps({"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"define": [
        [f"Module{k}", [], {"token": f"{rng.randrange(16**12):012x}", "gk": rng.random() > 0.5}, k] for k in range(size // 270)]}}]]]},
        separators=(",", ":"))
    posts = "".join(
        f'<div class="x1yztbdb" role="article"><div class="xu06os2"><span dir="auto">{_sentence(rng, 30)} '
        f'WhatsApp +52 55 5555 {rng.randrange(10000):04d}</span></div><div><span>{rng.randrange(900)} Me gusta</span></div></div>'
        for _ in range(size // 1100))
    head = (f'<!DOCTYPE html> <html id="facebook" lang="es" dir="ltr"><!--\n Page saved with SingleFile \n'
            f' url: https://www.facebook.com/{vanity} \n saved date: Tue Apr 13 2021 18:{index % 60:02d}:05 GMT-0500 (hora de verano central)\n-->'
            f'<head><meta charset="utf-8"><title>Cruce Seguro {index} | Facebook</title>'
            f'<meta property="og:site_name" content="Facebook"><meta property="og:title" content="Cruce Seguro {index}">'
            f'<meta property="og:url" content="https://www.facebook.com/{vanity}/">'
            f'<meta property="og:description" content="Cruce Seguro {index}. {rng.randrange(1, 99)} mil seguidores. Viajes al norte.">'
            f'<meta property="al:android:url" content="fb://page/{page_id}"><style>{css}</style></head>')
    body = (f'<body><div id="mount_0_0"><div role="main"><h1>Cruce Seguro {index}</h1>{posts}</div></div>'
            f'<script type="application/json" data-sjs>{blob}</script></body></html>')
    return (head + body).encode("utf-8")


def make_pages(folder: Path, count: int, size: int) -> int:
    rng = random.Random(20210413)
    total = 0
    for index in range(count):
        data = facebook_page(index, size, rng)
        (folder / f"Cruce Seguro {index} ({index % 28 + 1}_4_2021).html").write_bytes(data)
        total += len(data)
    return total


def make_warc(path: Path, megabytes: int, size: int) -> tuple[int, int]:
    """A WARC of HTML pages and image records (as a crawl holds both) of about `megabytes` MB."""
    rng = random.Random(7)
    pages = 0
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        index = 0
        while handle.tell() < megabytes << 20:
            body = facebook_page(index, size, rng)
            pages += 1
            for url, payload, kind in ((f"https://www.facebook.com/cruce.seguro.{index}", body, "text/html; charset=utf-8"),
                                       (f"https://static.xx.fbcdn.net/img/{index}.jpg", rng.randbytes(size // 3), "image/jpeg")):
                headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                              length=len(payload), http_headers=headers,
                                                              warc_headers_dict={"WARC-Date": "2021-04-13T23:22:05Z"}))
            index += 1
    return path.stat().st_size, pages


def scan(case: Path, target: Path, keep_evidence: bool, tagging: bool = True) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `toolkit scan CASE TARGET` in a child process. Without
    `tagging` the case names no lexicon, so the scan stores captures untagged."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # An installed toolkit starts from cached bytecode; a shell that sets PYTHONDONTWRITEBYTECODE
    # would instead charge every run ~0.2 s of compiling its modules. `init` below writes the cache.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    toolkit = [sys.executable, "-m", "toolkit"]
    subprocess.run([*toolkit, "init", str(case)], check=True, env=env, capture_output=True)
    config = case / "case.toml"
    text = config.read_text().replace("keep_evidence = true", f"keep_evidence = {str(keep_evidence).lower()}")
    if not tagging:
        text = text.replace('lexicons = ["default"]', "lexicons = []")
    config.write_text(text)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*toolkit, "scan", "--quiet", str(case), str(target)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"scan failed: {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def read_page_cost(folder: Path) -> tuple[float, int]:
    """CPU seconds per page of `read_page` alone (the detectors, parsing included) over the saved
    pages, read and prepared as the SingleFile importer does, in process; and the bytes read."""
    from toolkit.platforms.detect import read_page
    from toolkit.sources import _page_containers as _pages
    from toolkit.sources.savedpage import saved_origin

    files = sorted(folder.iterdir())
    read_page(_pages.prepare_body(files[0].read_bytes())[0], "https://www.facebook.com/")  # load once, untimed
    cpu = 0.0
    total = 0
    for start in range(0, len(files), 100):  # in batches, so memory stays small at any count
        batch = []
        for path in files[start:start + 100]:
            raw = path.read_bytes()
            total += len(raw)
            batch.append((_pages.prepare_body(raw)[0], saved_origin(raw[:65536])[0]))
        began = time.process_time()
        for body, url in batch:
            read_page(body, url)
        cpu += time.process_time() - began
    return cpu / len(files), total


def container_cost(folder: Path, count: int, case: Path) -> float:
    """CPU seconds per page for everything but the detectors (read, sniff, hash, store), in process.

    The detectors are replaced by a stub that returns one capture, so the figure is what the
    containers and the store cost on top of `read_page`.
    """
    from toolkit.case import init_case, open_case
    from toolkit.models import Capture, ItemRef, Kind, Status
    from toolkit.platforms.pages import PageReading, Verdict
    from toolkit.scan.pipeline import scan_paths
    from toolkit.sources import _page_containers as _pages

    def stub(body, url=None, **options):
        item = ItemRef("facebook", Kind.PAGE, url or "none", url)
        return PageReading("facebook", Verdict(Status.AVAILABLE, "stub@1"),
                           [Capture(item=item, observed_at=options.get("observed_at"))])

    real = _pages.read_page
    _pages.read_page = stub
    try:
        init_case(case)
        with open_case(case) as opened:
            opened.config["scan"]["keep_evidence"] = False
            start = time.process_time()
            scan_paths(opened, [str(folder)])
            return (time.process_time() - start) / count
    finally:
        _pages.read_page = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="saved pages to generate (default 1000)")
    parser.add_argument("--size-kb", type=int, default=300, help="approximate size of each page (default 300)")
    parser.add_argument("--warc-mb", type=int, default=100, help="size of the generated WARC (default 100; 0 skips)")
    parser.add_argument("--no-evidence", action="store_true", help="scan with [scan] keep_evidence = false")
    parser.add_argument("--tagging", choices=("on", "off", "both"), default="both",
                        help="scan with the default lexicons, with none, or both (default both)")
    parser.add_argument("--split", action="store_true",
                        help="also measure the containers and store alone (detectors stubbed out, in process)")
    args = parser.parse_args()
    keep = not args.no_evidence
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "singlefile"
        folder.mkdir()
        total = make_pages(folder, args.pages, args.size_kb * 1024)
        print(f"saved pages: {args.pages:,} SingleFile pages, {total / args.pages / 1024:.0f} KB each, "
              f"{total / 2**20:.0f} MB (evidence copies {'on' if keep else 'off'})")
        for tagging in {"on": (True,), "off": (False,), "both": (True, False)}[args.tagging]:
            wall, cpu = scan(tmp_path / f"case-pages-{tagging}", folder, keep, tagging)
            print(f"  toolkit scan, lexicon tagging {'on' if tagging else 'off'}:")
            print(f"    wall {wall:.1f} s: {args.pages / wall:.0f} pages/s, {total / 2**20 / wall:.1f} MB/s")
            print(f"    cpu  {cpu:.1f} s: {args.pages / cpu:.0f} pages per CPU-second (per core), "
                  f"{cpu / args.pages * 1000:.2f} ms per page, start-up included")
        per_page, read = read_page_cost(folder)
        print(f"  read_page alone (in process): {per_page * 1000:.2f} ms CPU per page, {1 / per_page:.0f} pages per "
              f"CPU-second, {read / 2**20 / args.pages / per_page:.1f} MB per CPU-second")
        if args.split:
            per_page = container_cost(folder, args.pages, tmp_path / "case-split")
            print(f"  without the detectors: {per_page * 1000:.2f} ms CPU per page ({1 / per_page:.0f} pages per "
                  f"CPU-second); the rest (detectors, evidence copies, start-up) is "
                  f"{max(cpu / args.pages - per_page, 0) * 1000:.1f} ms")
        if args.warc_mb:
            warc = tmp_path / "crawl.warc.gz"
            size, pages = make_warc(warc, args.warc_mb, args.size_kb * 1024)
            wall, cpu = scan(tmp_path / "case-warc", warc, keep, args.tagging != "off")
            print(f"WARC: {size / 2**20:.0f} MB gzip, {pages:,} HTML pages and {pages:,} image records "
                  f"(lexicon tagging {'off' if args.tagging == 'off' else 'on'})")
            print(f"  wall {wall:.1f} s: {size / 2**20 / wall:.1f} MB/s, {pages / wall:.0f} pages/s")
            print(f"  cpu  {cpu:.1f} s: {size / 2**20 / cpu:.1f} MB per CPU-second")
            if args.split:
                per_file = container_cost(warc, 1, tmp_path / "case-warc-split")
                print(f"  without the detectors: {size / 2**20 / per_file:.1f} MB per CPU-second")


if __name__ == "__main__":
    main()
