"""Benchmark: live rechecks per second and CPU per check against a local many-host server.

    PYTHONPATH=. python bench/recheck_bench.py                      # 1,000 hosts x 10 items, concurrency 50
    PYTHONPATH=. python bench/recheck_bench.py --hosts 100 --items 5  # a quick run

Each simulated host is its own port on 127.0.0.1 (politeness keys are host:port), served by an
asyncio server in a separate process so the client's CPU time is the recheck's own. Every check
goes the whole way: polite fetch, gzip evidence (each body is distinct), the Facebook detector,
and a committed row. The server reports what it saw, so the politeness figures are measured on
its side: requests in flight per host at most, and the shortest gap between two requests to one host.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

PAGE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Cruce Seguro {n} | Facebook</title>
<meta property="og:title" content="Cruce Seguro {n}">
<meta property="og:url" content="https://www.facebook.com/CruceSeguro{n}">
<meta property="al:android:url" content="fb://page/1000640{n:08d}">
</head><body><h1>Cruce Seguro {n}</h1><div>Te cruzamos sin papeles. WhatsApp +52 55 5555 {m:04d}</div>
{filler}</body></html>"""
FILLER = "<p>Salidas cada semana desde Tapachula, pago al llegar, grupos pequeños.</p>" * 40


def serve(ports_out, stats_out, hosts: int, stop) -> None:
    """The server process: `hosts` listening ports; on stop, send back per-host figures."""

    async def main() -> None:
        in_flight: dict[int, int] = {}
        most: dict[int, int] = {}
        last: dict[int, float] = {}
        gap: dict[int, float] = {}
        served = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal served
            port = writer.get_extra_info("sockname")[1]
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    now = time.monotonic()
                    if port in last:
                        gap[port] = min(gap.get(port, 1e9), now - last[port])
                    last[port] = now
                    in_flight[port] = in_flight.get(port, 0) + 1
                    most[port] = max(most.get(port, 0), in_flight[port])
                    path = head.split(b" ", 2)[1].decode()
                    n = int(path.rsplit("/", 1)[-1])
                    body = PAGE.format(n=n, m=n % 10000, filler=FILLER).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                    await writer.drain()
                    in_flight[port] -= 1
                    served += 1
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=64) for _ in range(hosts)]
        ports_out.send([s.sockets[0].getsockname()[1] for s in servers])
        while not stop.is_set():
            await asyncio.sleep(0.1)
        stats_out.send({"served": served, "max_in_flight": max(most.values(), default=0),
                        "min_gap": min(gap.values(), default=0.0), "cpu": time.process_time()})

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10, help="items per host")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between requests to one host")
    args = parser.parse_args()

    from toolkit.case import init_case
    from toolkit.dates import utcnow
    from toolkit.platforms.detect import read_page
    from toolkit.recheck.fetch import FetchOptions
    from toolkit.recheck.live import run_live
    from toolkit.store.checks import open_wave, tracked_items

    ports_in, ports_out = mp.Pipe(duplex=False)
    stats_in, stats_out = mp.Pipe(duplex=False)
    stop = mp.Event()
    server = mp.Process(target=serve, args=(ports_out, stats_out, args.hosts, stop), daemon=True)
    server.start()
    ports = ports_in.recv()

    with tempfile.TemporaryDirectory() as tmp:
        case = init_case(Path(tmp) / "bench")
        now = utcnow()
        rows = [("facebook", "page", f"bench{h}-{i}", f"http://127.0.0.1:{port}/item/{h * args.items + i}", now)
                for i in range(args.items) for h, port in enumerate(ports)]
        case.db.execute("BEGIN")
        case.db.executemany("INSERT INTO item (platform, kind, key, url, added_at) VALUES (?, ?, ?, ?, ?)", rows)
        case.db.execute("COMMIT")
        items = tracked_items(case.db, everything=True)
        wave = open_wave(case.db, "bench", now, "live")
        options = FetchOptions(per_host_interval=args.interval, per_host_concurrency=1, concurrency=args.concurrency,
                               connect_timeout=10, read_timeout=30, retries=0)
        # Warm up: load the detectors and marker files once, outside the timed run.
        read_page(PAGE.format(n=1, m=1, filler=""), "https://www.facebook.com/CruceSeguro1", platform="facebook")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        stats = run_live(case, wave, items, options)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        statuses = dict(case.db.execute('SELECT status, count(*) FROM "check" GROUP BY status').fetchall())
        evidence = sum(1 for _ in (Path(tmp) / "bench" / "evidence").rglob("*.gz"))
        case.close()
    stop.set()
    seen = stats_in.recv()
    server.join(timeout=10)

    total = len(items)
    floor = (args.items - 1) * args.interval
    print(f"hosts x items        {args.hosts:,} x {args.items} = {total:,} checks "
          f"(global concurrency {args.concurrency}, 1 per host, {args.interval:g} s between requests to a host)")
    print(f"statuses             {statuses}")
    print(f"wall time            {wall:.1f} s   (politeness floor per host: {floor:.1f} s)")
    print(f"checks per second    {stats.checked / wall:,.0f}")
    print(f"CPU per check        {1000 * cpu / max(1, stats.checked):.2f} ms (client process, {cpu:.1f} s CPU in all)")
    print(f"evidence files       {evidence:,}")
    print(f"server saw           {seen['served']:,} requests; at most {seen['max_in_flight']} in flight per host; "
          f"shortest gap between two requests to one host {seen['min_gap']:.3f} s; server CPU {seen['cpu']:.1f} s")
    if seen["max_in_flight"] > 1 or (args.items > 1 and seen["min_gap"] < args.interval * 0.95):
        print("POLITENESS VIOLATED", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
