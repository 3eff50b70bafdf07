"""Benchmark: Zeeschuimer NDJSON read + map throughput and peak memory (no database).

Generates an NDJSON file of synthetic TikTok records shaped like Zeeschuimer's (about 1.5 KB a
line), then reads and maps it in a fresh process per size, printing records/s and peak RSS, so a
flat memory profile shows as the same peak at every size.

    python bench/zeeschuimer_read.py                 # 1,000,000 and 2,000,000 lines
    python bench/zeeschuimer_read.py 100000 200000   # smaller sizes
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson


def record(i: int) -> bytes:
    handle = f"cuenta_{i % 5000}"
    return orjson.dumps({
        "nav_index": f"1:4:{i}", "item_id": str(6944300000000000000 + i), "timestamp_collected": 1617019200000 + i,
        "source_platform": "tiktok.com", "source_platform_url": "https://www.tiktok.com/search?q=cruce",
        "source_url": "https://www.tiktok.com/api/search/item/full/?aid=1988&keyword=cruce&offset=0",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:86.0) Gecko/20100101 Firefox/86.0",
        "data": {
            "id": str(6944300000000000000 + i), "createTime": 1616371200 + i,
            "desc": f"Salidas cada semana, pregunta por WhatsApp #cruce #usa numero {i}",
            "author": {"id": str(6800000000000000000 + i % 5000), "uniqueId": handle, "nickname": "Cuenta ejemplo",
                       "signature": "Viajes a USA", "verified": False, "secUid": "MS4wLjABAAAA" + handle},
            "authorStats": {"followerCount": i % 90000, "followingCount": 10, "heartCount": 500, "videoCount": 40},
            "stats": {"diggCount": i % 700, "shareCount": 3, "commentCount": 12, "playCount": i % 50000},
            "music": {"id": "6900000000000000001", "title": "sonido original", "authorName": "Cuenta"},
            "challenges": [{"id": "1", "title": "cruce"}, {"id": "2", "title": "usa"}],
            "textExtra": [{"hashtagName": "cruce"}, {"hashtagName": "usa"}],
            "stickersOnItem": [{"stickerType": 4, "stickerText": ["VIAJES SEGUROS"]}],
            "video": {"id": str(6944300000000000000 + i), "duration": 31, "cover": "https://p16.example/c.jpeg"},
            "isAd": False, "duetInfo": {"duetFromId": "0"},
        },
        "id": i,
    }) + b"\n"


def generate(path: Path, lines: int) -> None:
    with open(path, "wb") as out:
        for i in range(lines):
            out.write(record(i))


def measure(path: str) -> None:
    """Run in a child process: read and map every record, print figures."""
    from toolkit.sources.base import MapError, ReadContext
    from toolkit.sources.registry import get

    importer = get("zeeschuimer")
    ctx = ReadContext(path=Path(path))
    start, cpu_start = time.perf_counter(), time.process_time()
    records = captures = 0
    for _, raw in importer.read(Path(path), ctx):
        records += 1
        with contextlib.suppress(MapError):
            captures += len(importer.map(raw))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Records per CPU second shows the importer's own speed when other work shares the machine.
    print(f"{records:>10,} records  {captures:>10,} captures  {elapsed:7.1f} s  "
          f"{records / elapsed:>9,.0f} records/s ({records / cpu:,.0f} per CPU s)  "
          f"peak RSS {peak_mb:6.0f} MB  failed {ctx.failed}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1_000_000, 2_000_000]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"zeeschuimer-{size}.ndjson"
            generate(path, size)
            print(f"{path.name}: {path.stat().st_size / 1e6:,.0f} MB")
            subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)
            path.unlink()


if __name__ == "__main__":
    main()
