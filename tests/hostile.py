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
import zlib
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



# ---- Issue 16: attacks a motivated adversary would try (each one reproduced a failure on main) ----

PAGE_HEAD = (b"<!DOCTYPE html><html><head><title>Cruce Seguro</title><meta property=\"og:url\" "
             b"content=\"https://www.facebook.com/CruceSeguro\"></head><body>")


def _tags(total_bytes: int) -> bytes:
    """`<p>a` repeated to `total_bytes`: four bytes per element, the cheapest markup per node."""
    return PAGE_HEAD + b"<p>a" * (total_bytes // 4)


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def har_deep(folder: Path) -> Path:
    """A 200 KB HAR whose one HTML entry holds JSON nested 100,000 deep."""
    path = folder / "deep.har"
    path.write_text('{"log": {"version": "1.2", "creator": {"name": "Firefox"}, "entries": [{"startedDateTime": '
                    '"2021-04-16T10:00:00Z", "request": {"method": "GET", "url": "https://www.facebook.com/x"}, '
                    '"response": {"status": 200, "content": {"mimeType": "text/html", "text": "<p>a</p>", "x": '
                    + _deep_json(100_000) + "}}}]}}")
    return path


def _telegram(depth: int) -> str:
    return ('{"name": "Cruce Seguro", "type": "public_channel", "id": 1001, "messages": [{"id": 1, "type": '
            '"message", "date": "2021-04-16T10:00:00", "date_unixtime": "1618567200", "from": "Cruce", '
            '"text": ' + _deep_json(depth) + '}]}')


def telegram_deep(folder: Path) -> Path:
    """A 200 KB Telegram result.json: one message whose text is nested 100,000 deep."""
    path = folder / "result.json"
    path.write_text(_telegram(100_000))
    return path


def telegram_2000(folder: Path) -> Path:
    path = folder / "telegram-2000" / "result.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(_telegram(2_000))
    return path


def mcl_2000(folder: Path) -> Path:
    """Meta Content Library API JSON whose record nests objects 2,000 deep (the flattener recursed)."""
    path = folder / "mcl-2000.json"
    nested = '{"a": ' * 2_000 + "1" + "}" * 2_000
    path.write_text('{"data": [{"id": "1", "creation_time": "2021-04-16T10:00:00+0000", "text": "hola", '
                    '"post_owner": {"data": {"id": "7", "name": "Cruce", "type": "page"}}, "statistics": '
                    '{"views": 1}, "deep": ' + nested + "}]}")
    return path


def dyi_2000(folder: Path) -> Path:
    """Facebook DYI group posts whose entry nests lists 2,000 deep (the mojibake repair recursed)."""
    path = folder / "dyi-2000.json"
    path.write_text('{"group_posts_v2": [{"timestamp": 1618567200, "title": "Cruce", "data": [{"post": "hola"}], '
                    '"attachments": ' + _deep_json(2_000) + "}]}")
    return path


def crowdtangle_2000(folder: Path) -> Path:
    """A CrowdTangle API answer of 9 MB (so it is streamed, not parsed whole) whose one post is
    nested in lists 2,000 deep (the reader recursed once per level)."""
    path = folder / "crowdtangle-2000.json"
    post = ('{"platformId": "100_200", "postUrl": "https://www.facebook.com/100/posts/200", "date": '
            '"2021-04-16 10:00:00", "message": "hola", "statistics": {"actual": {"likeCount": 1}}}')
    path.write_text("[" * 2_000 + post + "]" * 2_000 + " " * (9 * MB))
    return path


def _gzip_member(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _warc_record(kind: str, uri: str, payload: bytes, extra: str = "") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{kind}-{len(payload)}-{abs(hash(extra))}>\r\n"
            f"WARC-Target-URI: {uri}\r\nWARC-Date: 2021-04-16T10:00:00Z\r\n{extra}"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload + b"\r\n\r\n"


def _revisit_warc(body_bytes: int, revisits: int) -> bytes:
    uri = "https://www.facebook.com/CruceSeguro"
    digest = "WARC-Payload-Digest: sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    out = [_gzip_member(_warc_record("response", uri, http + _tags(body_bytes), digest))]
    for n in range(revisits):
        extra = (f"{digest}WARC-Profile: http://netpreserve.org/warc/1.0/revisit/identical-payload-digest\r\n"
                 f"WARC-Refers-To-Target-URI: {uri}\r\nWARC-Concurrent-To: <urn:uuid:{n}>\r\n")
        out.append(_gzip_member(_warc_record("revisit", uri, http, extra)))
    return b"".join(out)


def warc_revisits(folder: Path) -> Path:
    """A 45 KB .warc.gz: one 32 MB page of `<p>a` (1,000:1) and revisit records repeating it."""
    path = folder / "revisits.warc.gz"
    path.write_bytes(_revisit_warc(32 * MB, 40))
    return path


def saved_page_tags(folder: Path) -> Path:
    """A 32 MB saved page of `<p>a`: 8 million elements."""
    path = folder / "tags.html"
    path.write_bytes(_tags(32 * MB))
    return path


def telegram_html_tags(folder: Path) -> Path:
    """A Telegram Desktop messages.html (its head as tdesktop writes it) followed by 32 MB of `<p>a`."""
    path = folder / "messages.html"
    path.write_bytes(b'<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Exported Data</title></head><body>'
                     b'<div class="page_wrap"><div class="page_header"><div class="content"><div class="text bold">'
                     b'Cruce Seguro</div></div></div><div class="page_body chat_page"><div class="history">'
                     + b"<p>a" * (8 * MB))
    return path


def wacz_stored_bomb(folder: Path) -> Path:
    """A 1 MB WACZ whose archive entry is *stored* (ratio 1:1, so the ZIP bomb check passes) and is
    itself a .warc.gz inflating to 1 GB of `<p>a`."""
    path = folder / "stored-bomb.wacz"
    uri = "https://www.facebook.com/CruceSeguro"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    size = 1024 * MB
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bomb>\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Date: 2021-04-16T10:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http) + len(PAGE_HEAD) + size}\r\n\r\n").encode()
    parts = [compressor.compress(head + http + PAGE_HEAD)]
    block = b"<p>a" * (MB // 4)
    for _ in range(size // MB):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(b"\r\n\r\n"))
    parts.append(compressor.flush())
    inner = b"".join(parts)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("datapackage.json", '{"profile": "data-package", "wacz_version": "1.1.1", "resources": []}')
        zf.writestr("archive/data.warc.gz", inner)
    return path


def har_huge_string(folder: Path) -> Path:
    """A HAR whose one HTML entry's text is a single 200 MB string."""
    path = folder / "huge-string.har"
    with open(path, "wb") as out:
        out.write(b'{"log": {"version": "1.2", "creator": {"name": "Firefox"}, "entries": [{"startedDateTime": '
                  b'"2021-04-16T10:00:00Z", "request": {"method": "GET", "url": "https://www.facebook.com/CruceSeguro"}, '
                  b'"response": {"status": 200, "content": {"mimeType": "text/html", "text": "<html><head><title>'
                  b'Cruce Seguro</title></head><body>')
        chunk = b"a" * MB
        for _ in range(200):
            out.write(chunk)
        out.write(b'</body></html>"}}}]}}')
    return path


def ndjson_one_line(folder: Path) -> Path:
    """Zeeschuimer NDJSON: a record head, then one line of 1 GB without a newline (a sparse file)."""
    path = folder / "one-line.ndjson"
    with open(path, "wb") as out:
        out.write(b'{"nav_index": "1:1:0", "timestamp_collected": 1618567200000, "source_platform": "tiktok.com", '
                  b'"source_platform_url": "https://www.tiktok.com/", "data": {"desc": "' + b"x" * (128 << 10))
        out.truncate(1024 * MB)
    return path


def txt_one_line(folder: Path) -> Path:
    """A .txt URL list: one URL, then one line of 1 GB without a newline (a sparse file)."""
    path = folder / "one-line.txt"
    with open(path, "wb") as out:
        out.write(b"https://www.facebook.com/CruceSeguro\nhttps://www.facebook.com/" + b"b" * (128 << 10))
        out.truncate(1024 * MB)
    return path


def ndjson_many_causes(folder: Path) -> Path:
    """Zeeschuimer NDJSON with a distinct source_platform on each of 300,000 lines."""
    path = folder / "many-causes.ndjson"
    with open(path, "wb") as out:
        # One good TikTok record, so the file imports and reports its failures.
        out.write(b'{"nav_index": "1:1:x", "timestamp_collected": 1618567200000, "source_platform": "tiktok.com", '
                  b'"source_platform_url": "https://www.tiktok.com/", "data": {"id": "6944300000000000001", '
                  b'"desc": "Salida #cruce", "createTime": 1616371200, "author": {"uniqueId": "cuenta_1", '
                  b'"nickname": "Cuenta", "id": "680001"}, "stats": {"playCount": 1}}}\n')
        for n in range(300_000):
            out.write(b'{"nav_index": "1:1:%d", "timestamp_collected": 1618567200000, "source_platform": "p%d.example",'
                      b' "source_platform_url": "https://p.example/", "data": {"id": "%d"}}\n' % (n, n, n))
    return path


ATTACKS: dict[str, Callable[[Path], Path]] = {
    "har-depth-100k": har_deep,
    "telegram-depth-100k": telegram_deep,
    "telegram-depth-2000": telegram_2000,
    "mcl-depth-2000": mcl_2000,
    "dyi-depth-2000": dyi_2000,
    "crowdtangle-depth-2000": crowdtangle_2000,
    "warc-revisits": warc_revisits,
    "saved-page-32mb-tags": saved_page_tags,
    "telegram-html-32mb-tags": telegram_html_tags,
    "wacz-stored-warc-bomb": wacz_stored_bomb,
    "har-200mb-string": har_huge_string,
    "ndjson-1gb-line": ndjson_one_line,
    "txt-1gb-line": txt_one_line,
    "ndjson-300k-causes": ndjson_many_causes,
}


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


# Every file class, for the benchmark.
CLASSES: dict[str, Callable[[Path], Path]] = {**GENERATORS, **ATTACKS}


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make(folder) for name, make in GENERATORS.items()}


ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI in a fresh Python and reports its peak memory on stderr when it exits: the larger of
# its own peak (VmHWM, the peak of its own memory map) and that of the children it waited for (the
# scan's reader process). The command's own ru_maxrss would carry over the parent's peak through
# fork and exec (a large pytest process made every child look 400 MB big); a reader process is
# forked from the scan's process, which it can only overstate, never hide.
WRAPPER = """
import resource, sys
sys.argv = ["toolkit"] + sys.argv[1:]
try:
    from toolkit.cli import main
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("MAXRSS_KB", max(peak, children), file=sys.stderr)
"""


# TOOLKIT_TEST_ROOT runs the hostile tests against another checkout (to show them failing on main),
# TOOLKIT_TEST_CAP_MB with each command's address space capped (so that it fails at the cap rather
# than taking the machine down).
TEST_ROOT = Path(os.environ.get("TOOLKIT_TEST_ROOT") or ROOT)
TEST_CAP_MB = int(os.environ["TOOLKIT_TEST_CAP_MB"]) if os.environ.get("TOOLKIT_TEST_CAP_MB") else None


def run_measured(*args: object, timeout: float | None = 180, root: Path = TEST_ROOT, python: str = sys.executable,
                 cap_mb: int | None = TEST_CAP_MB, env: dict[str, str] | None = None
                 ) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run one toolkit command; return (result, its peak RSS in MB, seconds).

    `root` and `python` run another checkout (the benchmark measures main with them); `cap_mb`
    limits the command's address space, so that a command that would eat the machine fails with
    a MemoryError at the cap instead.
    """
    def limit() -> None:
        if cap_mb is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (cap_mb << 20, cap_mb << 20))

    started = time.monotonic()
    # Run from the checkout itself: `python -c` puts the working directory first on the path.
    result = subprocess.run([python, "-c", WRAPPER, *map(str, args)], capture_output=True, text=True, cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root), **(env or {})}, timeout=timeout,
                            preexec_fn=limit if cap_mb is not None else None)
    elapsed = time.monotonic() - started
    peak = next((int(line.split()[1]) / 1024 for line in result.stderr.splitlines() if line.startswith("MAXRSS_KB")), 0.0)
    return result, peak, elapsed
