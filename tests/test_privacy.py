"""Privacy at rest: a browser session used for a live recheck never lands anywhere.

A unique cookie value is planted in a Netscape cookies.txt and sent to a real local server by
`toolkit recheck --live --cookies`; then every output a researcher can produce is made (report in
all formats, bundle, verify, items and show in every format) and every file under the case folder
(database, WAL, evidence decompressed, reports), every bundle entry (decompressed) and everything
printed is searched for the value.
"""

from __future__ import annotations

import gzip
import io
import secrets
import sqlite3
import zipfile
from pathlib import Path

from _recheck_server import RecheckServer, add_item

PATHS = ("/fb/live", "/fb/unavailable-es", "/fb/login-redirect", "/gone404", "/web/live", "/fb/checkpoint")


def _payloads(name: str, data: bytes):
    """The bytes of a file and, for compressed containers, of everything inside them."""
    yield name, data
    if data[:2] == b"\x1f\x8b":
        yield from _payloads(name + "!gunzip", gzip.decompress(data))
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            for entry in bundle.namelist():
                yield from _payloads(f"{name}!{entry}", bundle.read(entry))


def _leaks(secret: bytes, folder: Path, seen: set[str]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            seen.add(path.name)
            found += [where for where, data in _payloads(str(path), path.read_bytes()) if secret in data]
    return found


def test_a_planted_cookie_value_appears_in_no_output(tmp_path, invoke):
    secret = "ck" + secrets.token_hex(16)
    cookies = tmp_path / "session" / "cookies.txt"
    cookies.parent.mkdir()
    cookies.write_text("# Netscape HTTP Cookie File\n"
                       f"127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\t100064000000101\n"
                       f"127.0.0.1\tFALSE\t/\tFALSE\t0\txs\t{secret}\n", encoding="utf-8")
    case = tmp_path / "case"
    bundle = tmp_path / "out" / "bundle.zip"
    bundle.parent.mkdir()
    printed: list[str] = []
    seen: set[str] = set()

    def run(*args) -> None:
        result = invoke(*args)
        printed.extend([result.stdout, result.stderr])
        assert result.exit_code == 0, result.output
        # The WAL only exists while a command runs or after one stopped short: search after each.
        assert _leaks(secret.encode(), case, seen) == []

    run("init", case)
    with RecheckServer(hosts=2) as server:
        ids = [add_item(case, "generic" if path in {"/gone404", "/web/live"} else "facebook",
                        f"{server.base(n % 2)}{path}?n={n}") for n, path in enumerate(PATHS * 2)]
        conn = sqlite3.connect(case / "case.db")
        with conn:  # the cohort the report counts
            conn.executemany("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at)"
                             " VALUES (?, 'violating', 'smuggling_offer', 'ana', '2021-04-12T12:00:00Z')",
                             [(i,) for i in ids])
        conn.close()
        run("recheck", case, "--live", "--all", "--wave", "w1", "--interval", "0.01", "--cookies", cookies)
        received = [r.headers.get("cookie", "") for r in server.requests()]
    assert received and all(f"xs={secret}" in header for header in received)  # the session was used

    run("report", case, "--format", "md,html,csv,json")
    run("report", case, "--format", "md,html,csv,json", "--redact")
    run("export", case, "--bundle", bundle)
    run("verify", case)
    run("verify", "--bundle", bundle)
    run("waves", case)
    for fmt in ("table", "csv", "json"):
        run("items", case, "--format", fmt)
        for item in ids[:3]:
            run("show", case, str(item), "--format", fmt)

    assert _leaks(secret.encode(), bundle.parent, seen) == []
    assert [text for text in printed if secret in text] == []
    # The search really covered the case: the database, evidence, reports and the bundle.
    assert {"case.db", "report.html", "items.json", "stamp.json", "bundle.zip"} <= seen
    assert any(name.endswith(".gz") for name in seen)
    assert not any(cookies.name == name for name in seen)  # the cookies file itself was never copied
