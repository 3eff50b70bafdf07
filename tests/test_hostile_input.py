"""The hostile inputs of issue 16, each scanned by a real `toolkit scan` process (tests/hostile.py
writes them): the file is refused with one line naming it and the limit, or read within its bounds;
the peak memory of the scan (and of its reader process) stays under MEMORY_MB; the time under the
command's start-up plus SECONDS_PER_MB per MB of input (SLACK_S for a machine shared with others);
and the folder holding it goes on to the next file. The same attacks are measured, before and after,
by bench/hostile_bench.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import hostile
import pytest

MEMORY_MB = 500
SECONDS_PER_MB = 10
SLACK_S = 8

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")
slow = pytest.mark.slow

# attack -> what the researcher must be told about the file (a substring of stderr)
EXPECTED = {
    "har-depth-100k": "deep.har: JSON nested deeper than 200 levels (limit json_depth = 200 levels)",
    "telegram-depth-100k": "result.json: JSON nested deeper than 200 levels (limit json_depth",
    "telegram-depth-2000": "result.json: JSON nested deeper than 200 levels (limit json_depth",
    "mcl-depth-2000": "mcl-2000.json: JSON nested deeper than 200 levels (limit json_depth",
    "dyi-depth-2000": "dyi-2000.json: JSON nested deeper than 200 levels (limit json_depth",
    "crowdtangle-depth-2000": "crowdtangle-2000.json: JSON nested deeper than 200 levels (limit json_depth",
    "warc-revisits": "revisits.warc.gz: its contents inflate to more than 67,108,864 bytes (a decompression bomb) "
                     "(limit expansion_ratio",
    "saved-page-32mb-tags": "note: more than 250,000 elements (limit html_tags): only the first were read",
    "telegram-html-32mb-tags": "messages.html: a page of more elements than a Telegram export page holds "
                               "(limit html_tags = 250,000 elements)",
    "wacz-stored-warc-bomb": "stored-bomb.wacz: its contents inflate to more than",
    "har-200mb-string": "note: 1 string(s) longer than 50,331,648 bytes cut to that size",
    "ndjson-1gb-line": "a line longer than 8,388,608 bytes (limit record_line_bytes): skipped (line 1)",
    "txt-1gb-line": "a line longer than 1,048,576 bytes (limit text_line_bytes): skipped (line 2)",
    "ndjson-300k-causes": "and 299,990 other causes (limit failure_causes); the first: unsupported-platform p10.example",
}
SLOW = {"saved-page-32mb-tags", "wacz-stored-warc-bomb", "har-200mb-string", "ndjson-1gb-line", "txt-1gb-line",
        "ndjson-300k-causes"}


@pytest.fixture(scope="module")
def startup(tmp_path_factory) -> float:
    """Seconds a scan of a one-line URL list takes here: the command's start-up on this machine."""
    folder = tmp_path_factory.mktemp("startup")
    urls = folder / "urls.txt"
    urls.write_text("https://www.facebook.com/CruceSeguroUSA\n")
    hostile.run_measured("init", folder / "case")
    return min(hostile.run_measured("scan", folder / "case", urls)[2] for _ in range(2))


@pytest.mark.parametrize("name", [pytest.param(n, marks=slow) if n in SLOW else n for n in sorted(EXPECTED)])
def test_attack_is_refused_or_bounded_and_the_folder_goes_on(name, tmp_path, startup):
    folder = tmp_path / "exports"
    folder.mkdir()
    attack = hostile.ATTACKS[name](folder)
    (folder / "zz-good.txt").write_text("https://www.facebook.com/CruceSeguroUSA\n")
    case = tmp_path / "case"
    hostile.run_measured("init", case)
    result, peak_mb, seconds = hostile.run_measured("scan", case, folder, timeout=900)
    stderr = result.stderr
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == 0, stderr[-3000:]  # the folder's other file was imported
    assert EXPECTED[name] in stderr, stderr[-3000:]
    assert "zz-good.txt: urls, 1 records read, 1 mapped" in stderr
    size_mb = attack.stat().st_size / 1e6
    assert peak_mb < MEMORY_MB, f"{name}: peak {peak_mb:.0f} MB"
    assert seconds < startup + SECONDS_PER_MB * size_mb + SLACK_S, f"{name}: {seconds:.1f} s for {size_mb:.3f} MB"
    # The refusal is one line naming the file and the limit (its hint follows on the next line).
    lines = [line for line in stderr.splitlines() if attack.name in line and "limit " in line]
    assert len(lines) <= 2, lines


@slow
def test_300000_failure_causes_print_a_few_lines_and_store_a_small_record(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    hostile.ATTACKS["ndjson-300k-causes"](folder)
    case = tmp_path / "case"
    hostile.run_measured("init", case)
    result, _, _ = hostile.run_measured("scan", case, folder, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.stderr.splitlines()) < 30
    conn = sqlite3.connect(case / "case.db")
    try:
        (failures,) = conn.execute("SELECT failures FROM source").fetchone()
    finally:
        conn.close()
    assert len(failures) < 10_000
    stored = json.loads(failures)
    assert stored["other-causes"]["count"] == 299_990
    assert sum(entry["count"] for entry in stored.values()) == 300_000


@slow
def test_a_live_gzip_bomb_and_a_page_of_millions_of_elements_stay_bounded(tmp_path):
    """A live recheck of 20 KB of gzip inflating to 19 MB of `<p>a` (a decompression bomb: error,
    never read), and of the same 19 MB sent uncompressed (read, only its first elements parsed)."""
    from _recheck_server import RecheckServer

    case = tmp_path / "case"
    hostile.run_measured("init", case)
    config = case / "case.toml"
    config.write_text(config.read_text().replace("allow_private_hosts = false", "allow_private_hosts = true"))
    with RecheckServer(hosts=1) as server:
        urls = tmp_path / "live.csv"
        urls.write_text(f"url,platform\n{server.base(0)}/tag-bomb,generic\n{server.base(0)}/tags,generic\n")
        hostile.run_measured("scan", case, urls)
        result, peak_mb, _ = hostile.run_measured("recheck", case, "--all", "--live", "--wave", "w1", "--interval", "0",
                                                  "--retries", "0", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert peak_mb < MEMORY_MB, f"peak {peak_mb:.0f} MB"
    conn = sqlite3.connect(case / "case.db")
    try:
        checks = dict(conn.execute('SELECT item.url, "check".reason FROM "check" JOIN item ON item.id = item_id'))
    finally:
        conn.close()
    assert checks[f"{server.base(0)}/tag-bomb"] == "decompression-bomb"
    assert checks[f"{server.base(0)}/tags"] != "decompression-bomb"
