"""Benchmark: browser captures per minute, with screenshots, and the browser's memory.

    PYTHONPATH=. python bench/browser_bench.py                   # 90 captures, 2 pages at once
    PYTHONPATH=. python bench/browser_bench.py --captures 30 --pages 1

Every capture goes the whole way `toolkit capture` goes: a polite load in Chromium (one context
for the run, a page opened and closed per capture), settle, scroll (the pages are Facebook-shaped
and two screens tall, so one scroll happens), rendered HTML, full-page PNG and MHTML snapshot,
three evidence files, the scan of the capture file with detectors and tagging, one transaction.
The pages are served by a separate process, so the figures are the client's.

Printed: the browser's start-up, captures per minute (from the first load to the last commit), and
the resident memory of the browser's processes (Chromium and Playwright's driver) sampled every
0.1 s: the peak, and the peak of each third of the run, which stays flat when pages are closed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

PAGE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Cruce Seguro {n} | Facebook</title>
<meta property="og:title" content="Cruce Seguro {n}">
<meta property="og:description" content="Cruce Seguro {n}. Te cruzamos sin papeles. WhatsApp +52 55 5555 {m:04d}">
<meta property="og:url" content="https://www.facebook.com/CruceSeguro{n}">
<meta property="al:android:url" content="fb://page/1000640{n:08d}">
</head><body style="margin:0;font-family:sans-serif"><div role="main"><h1>Cruce Seguro {n}</h1>
<div>Te cruzamos sin papeles. WhatsApp +52 55 5555 {m:04d}</div>{filler}</div></body></html>"""
FILLER = "<p style='margin:0;height:30px'>Salidas cada semana desde Tapachula, pago al llegar, grupos pequeños.</p>" * 50


def serve(port_out, stop) -> None:
    """The server process: Facebook-shaped pages at /CruceSeguro<n>."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            return

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            if not name.startswith("CruceSeguro"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            n = int(name.removeprefix("CruceSeguro"))
            body = PAGE.format(n=n, m=n % 10000, filler=FILLER).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()


def _children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                kids = [int(k) for k in handle.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


def _pss_kib(pid: int) -> tuple[str, int]:
    """(command, proportional set size in KiB): memory shared by Chromium's processes is counted
    once across them, not once per process as RSS would."""
    try:
        with open(f"/proc/{pid}/comm") as handle:
            command = handle.read().strip()
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return command, int(line.split()[1])
    except OSError:
        pass
    return "", 0


class MemorySampler:
    """Sums the memory of this process's descendants: Chromium's processes, and Playwright's
    driver (node) apart."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []  # (time, Chromium KiB)
        self.driver = 0
        self.processes = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(0.1):
            seen = [_pss_kib(pid) for pid in _children(os.getpid())]
            # Playwright's driver is a node process (its main thread is named "node-MainThread").
            browser = [kib for command, kib in seen if not command.startswith("node") and kib]
            self.driver = max(self.driver, sum(kib for command, kib in seen if command.startswith("node")))
            self.processes = max(self.processes, len(browser))
            self.samples.append((time.monotonic(), sum(browser)))

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


async def run(args, base: str, root: Path) -> None:
    from toolkit.browser.capture import Target, run_capture_async
    from toolkit.browser.engine import Browser
    from toolkit.browser.options import BrowserOptions
    from toolkit.case import init_case, open_case
    from toolkit.custody import verify_case
    from toolkit.recheck.fetch import FetchOptions
    from toolkit.scan.pipeline import case_tagger

    init_case(root / "case").close()
    options = BrowserOptions(pages=args.pages)
    fetch = FetchOptions(per_host_interval=0.0, per_host_concurrency=args.pages, concurrency=args.pages, retries=0)
    targets = [Target(f"{base}/CruceSeguro{n}", "facebook") for n in range(args.captures)]
    done_at: list[float] = []
    with MemorySampler() as memory:
        started = time.monotonic()
        async with Browser(options) as browser:
            ready = time.monotonic()
            with open_case(root / "case") as case:
                stats = await run_capture_async(case, targets, options, fetch, browser=browser,
                                                tagger=case_tagger(case),
                                                on_capture=lambda outcome, s: done_at.append(time.monotonic()))
                finished = time.monotonic()
                intact = not verify_case(case).problems
                shots = case.db.execute("SELECT count(*), avg(size), max(size) FROM attachment"
                                        " WHERE role = 'screenshot'").fetchone()
    elapsed = finished - ready
    print(f"browser      {stats.browser}, start-up {ready - started:.1f} s")
    print(f"captures     {stats.captured} of {args.captures} ({stats.failed} failed), {args.pages} page(s) at once, "
          f"statuses {dict(stats.counts)}")
    print(f"throughput   {stats.captured / elapsed * 60:.1f} captures/min ({elapsed / max(stats.captured, 1):.2f} s "
          f"each, {elapsed:.1f} s from the first load to the last commit)")
    print(f"screenshots  {shots[0]} PNGs, {shots[1] / 1024:.0f} KiB on average, {shots[2] / 1024:.0f} KiB at most")
    peaks = [kib for _, kib in memory.samples]
    if peaks:
        thirds = [max((kib for at, kib in memory.samples if lo <= at < hi), default=0)
                  for lo, hi in ((ready, ready + elapsed / 3), (ready + elapsed / 3, ready + 2 * elapsed / 3),
                                 (ready + 2 * elapsed / 3, finished + 1))]
        print(f"memory       Chromium ({memory.processes} processes) peak {max(peaks) / 1024:.0f} MiB PSS; peak per "
              "third of the run " + ", ".join(f"{t / 1024:.0f}" for t in thirds)
              + f" MiB; Playwright's driver {memory.driver / 1024:.0f} MiB")
    print(f"python       peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"verify {'intact' if intact else 'NOT intact'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captures", type=int, default=90)
    parser.add_argument("--pages", type=int, default=2, help="pages loading at once")
    args = parser.parse_args()
    ports, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=serve, args=(ports, stop), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")  # no profile: a logged-out run
            asyncio.run(run(args, base, Path(tmp)))
    finally:
        stop.set()
        server.join(timeout=10)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
