"""A corpus of hostile files, generated on demand (never committed): what the people being
investigated, or a broken tool, could hand a researcher. Each generator writes one file and
returns its path. Sizes are chosen to exceed every bound the importers set, not to fill the disk.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

MB = 1024 * 1024


def nested_html(folder: Path) -> Path:
    path = folder / "nested.html"
    depth = 200_000
    path.write_text("<html><head><title>x</title></head><body>" + "<div>" * depth + "hola" + "</div>" * depth + "</body></html>")
    return path


def nested_json(folder: Path) -> Path:
    path = folder / "nested.json"
    depth = 500_000
    path.write_text('{"messages": ' + "[" * depth + "]" * depth + "}")
    return path


def nested_ndjson(folder: Path) -> Path:
    path = folder / "nested.ndjson"
    depth = 100_000
    line = '{"source_platform": "tiktok.com", "data": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    path.write_text(line + "\n" + line + "\n")
    return path


def billion_laughs(folder: Path) -> Path:
    path = folder / "laughs.html"
    entities = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    path.write_text(f"<?xml version=\"1.0\"?><!DOCTYPE html [{''.join(entities)}]>"
                    "<html><head><title>&lol9;</title></head><body><p>&lol9;</p></body></html>")
    return path


def gzip_bomb(folder: Path) -> Path:
    """1 GiB of zeros in about 5 MB, named like a compressed web archive."""
    path = folder / "bomb.warc.gz"
    with gzip.open(path, "wb", compresslevel=1) as gz:
        header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://www.facebook.com/x\r\n"
                  b"WARC-Date: 2021-04-16T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
                  b"Content-Length: 1073741824\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
        gz.write(header)
        zeros = bytes(MB)
        for _ in range(1024):
            gz.write(zeros)
    return path


def zip_bomb(folder: Path) -> Path:
    """A WACZ-shaped zip whose one archive entry inflates to 1 GiB."""
    path = folder / "bomb.wacz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("datapackage.json", '{"profile": "data-package", "wacz_version": "1.1.1", "resources": []}')
        with zf.open("archive/data.warc", "w", force_zip64=True) as entry:
            zeros = bytes(MB)
            for _ in range(1024):
                entry.write(zeros)
    return path


def traversal_zip(folder: Path) -> Path:
    path = folder / "traversal.wacz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("datapackage.json", '{"profile": "data-package", "wacz_version": "1.1.1", "resources": []}')
        zf.writestr("../../escaped.txt", "pwned")
        zf.writestr("/etc/escaped-absolute.txt", "pwned")
    return path


def sparse_2gb(folder: Path) -> Path:
    path = folder / "sparse.csv"
    with open(path, "wb") as handle:
        handle.write(b"url\n")
        handle.truncate(2 * 1024 * MB)
    return path


def nul_bytes(folder: Path) -> Path:
    path = folder / "nul.txt"
    path.write_bytes(b"https://www.facebook.com/a\n\x00\x00\x00https://www.facebook.com/b\n" + b"\x00" * 10_000)
    return path


def invalid_utf8(folder: Path) -> Path:
    path = folder / "invalid.csv"
    path.write_bytes(b"url,name\nhttps://www.facebook.com/a,Cruce \xff\xfe seguro\nhttps://www.facebook.com/b,ok\n")
    return path


def utf16_no_bom(folder: Path) -> Path:
    path = folder / "utf16.csv"
    path.write_bytes("url,name\nhttps://www.facebook.com/a,Cruce seguro\n".encode("utf-16-le"))
    return path


def wide_csv(folder: Path) -> Path:
    path = folder / "wide.csv"
    columns = 100_000
    with open(path, "w") as out:
        out.write("url," + ",".join(f"c{i}" for i in range(columns)) + "\n")
        out.write("https://www.facebook.com/a," + ",".join("x" for _ in range(columns)) + "\n")
    return path


def huge_cell_csv(folder: Path) -> Path:
    path = folder / "hugecell.csv"
    with open(path, "w") as out:
        out.write("url,name\n")
        out.write('https://www.facebook.com/a,"')
        chunk = "a" * MB
        for _ in range(100):
            out.write(chunk)
        out.write('"\nhttps://www.facebook.com/b,ok\n')
    return path


def no_newline(folder: Path) -> Path:
    path = folder / "oneline.ndjson"
    with open(path, "w") as out:
        out.write('{"source_platform": "tiktok.com", "data": {"desc": "')
        chunk = "x" * MB
        for _ in range(200):
            out.write(chunk)
    return path


def html_unknown_encoding(folder: Path) -> Path:
    path = folder / "klingon.html"
    path.write_bytes(b'<html><head><meta charset="x-klingon-9"><title>Cruce seguro</title></head>'
                     b"<body>\xe9\xf1\x81 pasamos</body></html>")
    return path


GENERATORS: dict[str, Callable[[Path], Path]] = {
    "nested-html": nested_html,
    "nested-json": nested_json,
    "nested-ndjson": nested_ndjson,
    "billion-laughs": billion_laughs,
    "gzip-bomb": gzip_bomb,
    "zip-bomb": zip_bomb,
    "zip-traversal": traversal_zip,
    "sparse-2gb": sparse_2gb,
    "nul-bytes": nul_bytes,
    "invalid-utf8": invalid_utf8,
    "utf16-no-bom": utf16_no_bom,
    "csv-100k-columns": wide_csv,
    "csv-100mb-cell": huge_cell_csv,
    "line-without-newline": no_newline,
    "html-unknown-encoding": html_unknown_encoding,
}


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make(folder) for name, make in GENERATORS.items()}


ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI in a fresh Python and reports its peak memory on stderr when it exits. VmHWM is the
# peak of that process's own memory map; ru_maxrss would carry over the parent's peak through fork
# and exec (a large pytest process made every child look 400 MB big).
WRAPPER = """
import sys
sys.argv = ["toolkit"] + sys.argv[1:]
try:
    from toolkit.cli import main
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print("MAXRSS_KB", peak, file=sys.stderr)
"""


def run_measured(*args: object, timeout: float | None = 180) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run one toolkit command; return (result, its peak RSS in MB, seconds)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, args)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=timeout)
    elapsed = time.monotonic() - started
    peak = next((int(line.split()[1]) / 1024 for line in result.stderr.splitlines() if line.startswith("MAXRSS_KB")), 0.0)
    return result, peak, elapsed
