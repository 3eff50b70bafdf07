"""The scan pipeline end to end: URL lists, re-scans, deduplication, folders and globs, `items`,
interruption, and every bad input with its exact message."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT
from pacing import PACER

from toolkit.store.item_list import ITEM_FIELDS

MIXED = FIXTURES / "zeeschuimer" / "mixed.ndjson"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(case: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("source", "item", "capture"))
    finally:
        conn.close()


def rows(case: Path, sql: str, *args) -> list[sqlite3.Row]:
    conn = sqlite3.connect(case / "case.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def identity(case: Path, item_id: int) -> tuple[str, str, str]:
    row = rows(case, "SELECT platform, kind, key FROM item WHERE id = ?", item_id)[0]
    return tuple(row)


@pytest.fixture
def url_txt(tmp_path) -> Path:
    path = tmp_path / "tracked.txt"
    path.write_text(
        "# found searching 'cruce a usa' (fictional)\n"
        "https://www.facebook.com/CruceSeguroUSA.Oficial\n"
        "\n"
        "https://m.facebook.com/groups/QuieroCruzar/permalink/987654321/?ref=share\n"
        "https://t.me/s/CrucesMX/42\n"
        "https://wa.me/525555550101\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def url_csv(tmp_path) -> Path:
    path = tmp_path / "tracked.csv"
    path.write_text(
        "url,name,platform,kind,note\n"
        "https://mbasic.facebook.com/CruceSeguroUSA.Oficial/?refid=17,Cruce Seguro a USA,,,seen 2021-04-02\n"
        "http://127.0.0.1:8765/groups/QuieroCruzar/,Quiero cruzar (mirror),facebook,,local mirror\n"
        "https://www.tiktok.com/@viajes.seguros.norte,,,,\n"
        "https://example.org/anuncio/77,Anuncio,,listing,\"clasificado, con coma\"\n",
        encoding="utf-8",
    )
    return path


def test_scan_url_lists_and_rescan(case, invoke, url_txt, url_csv):
    before = {p: sha(p) for p in (url_txt, url_csv)}
    result = invoke("scan", case, url_txt)
    assert result.exit_code == 0, result.output
    # The post and the message bring their group and channel along as parents: 4 URLs, 6 items.
    assert f"{url_txt}: urls, 4 records read, 4 mapped, 6 new items, 0 seen before, 4 captures" in result.output
    post = rows(case, "SELECT * FROM item WHERE kind = 'post'")[0]
    assert (post["platform"], post["key"]) == ("facebook", "987654321")
    assert identity(case, post["parent_id"]) == ("facebook", "group", "quierocruzar")
    message = rows(case, "SELECT * FROM item WHERE kind = 'message'")[0]
    assert identity(case, message["parent_id"]) == ("telegram", "channel", "crucesmx")

    result = invoke("scan", case, url_csv)
    assert result.exit_code == 0, result.output
    # The page was already known (another host of Facebook's own); the group on a local mirror named
    # by the platform column keeps the mirror's host in its key: the same path on two hosts is two items.
    assert f"{url_csv}: urls, 4 records read, 4 mapped, 3 new items, 1 seen before, 4 captures" in result.output
    groups = sorted(r["key"] for r in rows(case, "SELECT * FROM item WHERE kind = 'group'"))
    assert groups == ["quierocruzar", "quierocruzar@127.0.0.1:8765"]
    page = rows(case, "SELECT * FROM item WHERE platform = 'facebook' AND kind = 'page'")
    assert len(page) == 1 and page[0]["key"] == "crucesegurousa.oficial"
    assert page[0]["name"] == "Cruce Seguro a USA"
    page_captures = rows(case, "SELECT * FROM capture WHERE item_id = ? ORDER BY id", page[0]["id"])
    assert len(page_captures) == 2  # one capture per sighting
    assert json.loads(page_captures[1]["fields"]) == {"note": "seen 2021-04-02"}
    assert page_captures[1]["status"] is None  # a URL list says nothing about the item's state
    listing = rows(case, "SELECT * FROM item WHERE kind = 'listing'")[0]
    assert (listing["platform"], listing["key"]) == ("generic", "https://example.org/anuncio/77")

    snapshot = counts(case)
    assert snapshot == (2, 9, 8)
    for path in (url_txt, url_csv):
        again = invoke("scan", case, path)
        assert again.exit_code == 0, again.output
        assert f"{path}: already imported, nothing added (same bytes already imported as source" in again.output
    copy = url_txt.with_name("renamed.txt")
    copy.write_bytes(url_txt.read_bytes())
    again = invoke("scan", case, copy)
    assert f"{copy}: already imported, nothing added (same bytes already imported as source 1 ({url_txt}))" in again.output
    assert counts(case) == snapshot
    assert {p: sha(p) for p in (url_txt, url_csv)} == before


def test_items_dedupe_across_formats(case, invoke, tmp_path):
    """A TikTok profile tracked by URL and seen in a Zeeschuimer export is one item with two captures."""
    tracked = tmp_path / "tracked.txt"
    tracked.write_text("https://m.tiktok.com/@Pasadas.Rapidas?lang=es\n"
                       "https://www.tiktok.com/@pasadas.rapidas/video/6944200000000000001?is_from_webapp=1\n")
    assert invoke("scan", case, tracked).exit_code == 0
    result = invoke("scan", case, MIXED)
    assert result.exit_code == 0, result.output
    assert "10 new items, 2 seen before" in result.output
    profile = rows(case, "SELECT * FROM item WHERE platform = 'tiktok' AND kind = 'profile'")
    assert len(profile) == 1
    assert len(rows(case, "SELECT id FROM capture WHERE item_id = ?", profile[0]["id"])) == 3
    video = rows(case, "SELECT * FROM item WHERE key = '6944200000000000001'")[0]
    assert video["parent_id"] == profile[0]["id"]
    assert video["first_seen"] == "2021-04-16T11:00:00Z"  # the export's capture time widens first_seen


def test_folder_and_glob_scans(case, invoke, tmp_path, url_txt):
    folder = tmp_path / "exports"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("https://t.me/CrucesMX\n")
    (folder / "sub" / "b.ndjson").write_bytes(MIXED.read_bytes())
    (folder / ".hidden.txt").write_text("https://t.me/oculto_ejemplo\n")
    (folder / "notes.bin").write_bytes(bytes(range(256)) * 4)
    result = invoke("scan", case, folder)
    assert result.exit_code == 0, result.output
    assert f"1 file(s) in no known format, skipped: {folder / 'notes.bin'}" in result.output
    assert "Scanned 3 files: 2 imported, 0 already imported, 0 failed, 1 unknown; 13 new items, 15 captures" in result.output
    assert not rows(case, "SELECT * FROM item WHERE key = 'oculto_ejemplo'")

    other = tmp_path / "more"
    other.mkdir()
    for n in range(3):
        (other / f"lista{n}.txt").write_text(f"https://t.me/canal_ejemplo_{n}\n")
    (other / "skip.csv").write_text("url\nhttps://t.me/no_por_glob\n")
    result = invoke("scan", case, str(other / "lista*.txt"))
    assert result.exit_code == 0, result.output
    assert "Scanned 3 files: 3 imported" in result.output
    assert len(rows(case, "SELECT * FROM item WHERE key LIKE 'canal_ejemplo_%'")) == 3
    assert not rows(case, "SELECT * FROM item WHERE key = 'no_por_glob'")

    # A glob naming folders walks them.
    for day in ("2021-04-02", "2021-04-09"):
        (tmp_path / "waves" / day).mkdir(parents=True)
        (tmp_path / "waves" / day / "urls.txt").write_text(f"https://t.me/ola_{day.replace('-', '_')}\n")
    result = invoke("scan", case, str(tmp_path / "waves" / "2021-*"))
    assert result.exit_code == 0, result.output
    assert "Scanned 2 files: 2 imported" in result.output


def test_items_filters_and_formats(case, invoke, url_txt, tmp_path):
    evil = tmp_path / "evil.csv"
    evil.write_text('url,name\nhttps://www.facebook.com/evil.page.ejemplo,"=HYPERLINK(""http://x"")"\n')
    assert invoke("scan", case, url_txt, evil).exit_code == 0

    result = invoke("items", case, "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    page = (ROOT / "docs" / "scripting.md").read_text(encoding="utf-8")
    scripting = page.split("## `toolkit items --format json`", 1)[1].split("##", 1)[0]
    documented = re.findall(r"`(\w+)`", scripting.split("carrying", 1)[1])
    assert documented == list(ITEM_FIELDS)
    assert all(list(obj) == documented for obj in items)
    assert len(items) == 7

    result = invoke("items", case, "--platform", "facebook", "--kind", "page", "--format", "json")
    assert [i["key"] for i in json.loads(result.stdout)] == ["crucesegurousa.oficial", "evil.page.ejemplo"]
    result = invoke("items", case, "--query", "crucesmx", "--format", "json")
    assert sorted(i["kind"] for i in json.loads(result.stdout)) == ["channel", "message"]
    result = invoke("items", case, "--kind", "post", "--format", "json")
    post = json.loads(result.stdout)[0]
    parent = next(i for i in items if i["id"] == post["parent"])
    assert (parent["kind"], parent["key"]) == ("group", "quierocruzar")

    result = invoke("items", case, "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == list(ITEM_FIELDS) and len(table) == 8
    assert "'=HYPERLINK(\"http://x\")" in [row[5] for row in table]  # formula neutralised

    result = invoke("items", case, "--platform", "telegram")
    assert result.exit_code == 0, result.output
    assert "crucesmx" in result.stdout and "wa.me" not in result.stdout


def _bad(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": tmp_path / "empty.ndjson",
        "blank": tmp_path / "blank.txt",
        "junk": tmp_path / "junk.dat",
        "prose": tmp_path / "notas.txt",
        "truncated": tmp_path / "cut.ndjson",
    }
    files["empty"].write_bytes(b"")
    files["blank"].write_bytes(b"\n  \n\t\n")
    files["junk"].write_bytes(bytes(range(256)) * 8)
    files["prose"].write_text("Notas de campo\nesto no es una exportación\n", encoding="utf-8")
    line = MIXED.read_bytes().splitlines()[0]
    files["truncated"].write_bytes(line[:300])
    return files


@pytest.mark.parametrize(("which", "message", "hint"), [
    ("empty", "{path}: file is empty", "Export the data again; this file has no content"),
    ("blank", "{path}: file is empty", "Export the data again; this file has no content"),
    ("junk", "{path}: not a format toolkit knows", "Known formats: "),
    ("prose", "{path}: not a format toolkit knows", "force one with --format, or see `toolkit formats`"),
    ("truncated", "{path}: no records could be imported: the last line is cut off mid-record (the export did not "
                  "finish) (line 1)", "Check that the file is a complete export of the format zeeschuimer"),
    ("missing", "{path}: no such file", "Check the path"),
])
def test_bad_input(case, invoke, tmp_path, which, message, hint):
    files = _bad(tmp_path)
    path = files.get(which, tmp_path / "no-such-export.ndjson")
    before = sha(path) if path.exists() else None
    result = invoke("scan", case, path)
    assert result.exit_code == 1, result.output
    assert f"Error: {message.format(path=path)}\n" in result.output
    assert hint in result.output
    assert "Traceback" not in result.output
    assert counts(case) == (0, 0, 0)  # never a partial source row
    assert (sha(path) if path.exists() else None) == before


def test_known_formats_are_listed(case, invoke, tmp_path):
    junk = _bad(tmp_path)["junk"]
    result = invoke("scan", case, junk)
    listed = re.search(r"Known formats: ([\w, -]+);", result.output).group(1).split(", ")
    assert {"urls", "zeeschuimer"} <= set(listed) and listed == sorted(listed)


def test_wrong_format(case, invoke, url_txt):
    result = invoke("scan", case, url_txt, "--format", "nope")
    assert result.exit_code == 1
    assert "Error: --format: unknown format 'nope'\nKnown formats: " in result.output
    result = invoke("scan", case, url_txt, "--format", "zeeschuimer")
    assert result.exit_code == 1
    assert f"Error: {url_txt}: does not look like zeeschuimer\n" in result.output
    assert "Check --format, or leave it out to detect the format" in result.output
    result = invoke("scan", case, MIXED, "--format", "zeeschuimer")
    assert result.exit_code == 0, result.output
    assert counts(case)[0] == 1


def test_one_bad_file_does_not_stop_the_others(case, invoke, tmp_path, url_txt):
    files = _bad(tmp_path)
    result = invoke("scan", case, files["junk"], url_txt, files["empty"])
    assert result.exit_code == 0, result.output  # something was imported
    assert f"Error: {files['junk']}: not a format toolkit knows" in result.output
    assert f"Error: {files['empty']}: file is empty" in result.output
    assert "Scanned 3 files: 1 imported, 0 already imported, 2 failed, 0 unknown" in result.output
    assert counts(case)[0] == 1


# --- interruption -------------------------------------------------------------------------------



def _big_ndjson(path: Path, records: int) -> None:
    with open(path, "wb") as out:
        for i in range(records):
            out.write(orjson.dumps({
                "nav_index": f"1:1:{i}", "timestamp_collected": 1617019200000 + i, "source_platform": "tiktok.com",
                "data": {"id": str(6944300000000000000 + i), "desc": f"Salida numero {i} #cruce", "createTime": 1616371200,
                         "author": {"uniqueId": f"cuenta_{i % 40}", "nickname": "Cuenta"}, "stats": {"playCount": i}},
            }) + b"\n")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_scan_leaves_nothing_and_rerun_finishes(case, tmp_path):
    export = tmp_path / "grande.ndjson"
    _big_ndjson(export, 6000)
    digest = sha(export)
    pacer = tmp_path / "pacer"
    pacer.mkdir()
    (pacer / "sitecustomize.py").write_text(PACER)
    marker = tmp_path / "first-batch-stored"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pacer), str(ROOT)]), "TOOLKIT_TEST_PACE": str(marker)}
    command = [sys.executable, "-m", "toolkit", "scan", str(case), str(export), "--quiet"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists() and proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    assert counts(case) == (0, 0, 0)  # the open transaction died with the process
    # The evidence copy runs beside the import and may have finished: then it is whole and
    # named by the export's hash (re-used by the re-run). Nothing half-written may remain.
    left = [p for p in (case / "evidence").rglob("*") if p.is_file()]
    assert all(p.name == f"{digest}.gz" and hashlib.sha256(gzip.decompress(p.read_bytes())).hexdigest() == digest
               for p in left), left

    env.pop("TOOLKIT_TEST_PACE")
    done = subprocess.run(command[:-1], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{export}: zeeschuimer, 6,000 records read, 6,000 mapped, 6,040 new items" in done.stderr
    assert counts(case) == (1, 6040, 12000)
    duplicates = rows(case, "SELECT platform, kind, key FROM item GROUP BY 1, 2, 3 HAVING count(*) > 1")
    assert duplicates == []
    source = rows(case, "SELECT * FROM source")[0]
    assert (source["records_read"], source["records_mapped"], source["sha256"]) == (6000, 6000, digest)
    again = subprocess.run(command[:-1], env=env, capture_output=True, text=True, timeout=120)
    assert "already imported, nothing added" in again.stderr
    assert counts(case) == (1, 6040, 12000)
    assert sha(export) == digest


def test_status_is_the_latest_observed_not_the_latest_imported(case, invoke):
    """A newer "no disponible" copy scanned before an older live copy still wins."""
    pages = FIXTURES / "singlefile"
    newer, older = pages / "page_cruce_seguro_unavailable.html", pages / "page_cruce_seguro.html"
    assert invoke("scan", case, newer).exit_code == 0
    assert invoke("scan", case, older).exit_code == 0
    result = invoke("items", case, "--format", "json")
    statuses = {row["key"]: row["status"] for row in json.loads(result.stdout) if row["kind"] == "page"}
    assert "unavailable" in statuses.values(), statuses


def test_platform_column_keeps_a_local_server_url_for_rechecks(case, invoke, tmp_path):
    sheet = tmp_path / "mirror.csv"
    sheet.write_text("url,platform\nhttp://127.0.0.1:8765/CruceSeguroUSA,facebook\nhttps://www.facebook.com/otra.pagina,facebook\n")
    assert invoke("scan", case, sheet).exit_code == 0
    rows = {r["key"]: r for r in json.loads(invoke("items", case, "--format", "json").stdout)}
    # The item keeps the local server's host in its key: it is not the page on facebook.com.
    assert rows["crucesegurousa@127.0.0.1:8765"]["platform"] == "facebook"
    assert rows["crucesegurousa@127.0.0.1:8765"]["url"] == "http://127.0.0.1:8765/CruceSeguroUSA"
    assert rows["otra.pagina"]["url"] == "https://www.facebook.com/otra.pagina"
