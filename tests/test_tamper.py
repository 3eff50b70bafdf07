"""The tamper suite: every way of changing a case behind its log is caught by `verify`, which
never writes.

One case is built through the commands (a CrowdTangle export with hits, indicators and scores, a URL
list, an alias, reviews, a notice, a manual recheck wave, a report), then copied for each attack:
edit every column of every table, delete, insert, reorder, truncate the log with its rows,
recompute the whole chain, change case.toml or an evidence file, forge a bundle. Each attack must
make `verify` say NOT intact (a recomputed chain only through a signed receipt), and `verify`
must leave case.db's bytes and time, and the folder's file list, exactly as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from toolkit.case import open_case
from toolkit.models import Capture, ItemRef, Kind
from toolkit.store import coverage, transaction
from toolkit.store.writer import CaptureWriter

FIXTURES = Path(__file__).resolve().parent / "fixtures"
URLS = "https://www.facebook.com/CruceSeguroUSA\nhttps://www.facebook.com/groups/123456789/\n"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A case with a row in every table the log covers, built through toolkit only."""
    from typer.testing import CliRunner

    from toolkit.cli import app

    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(app, [str(a) for a in args], input=input)
        assert result.exit_code == 0, result.output
        return result

    root = tmp_path_factory.mktemp("tamper")
    case = root / "case"
    run("init", case)
    urls = root / "urls.txt"
    urls.write_text(URLS)
    run("scan", case, urls, FIXTURES / "crowdtangle" / "pages.csv")
    with open_case(case) as opened, transaction(opened.db) as conn:
        # An alias, the way an importer gives one: the vanity name of a numeric page.
        CaptureWriter(conn, None, "2021-04-01T00:00:00Z").write(
            [Capture(item=ItemRef("facebook", Kind.PAGE, "100000000000042"), aliases=("cruceseguro.alias",))])
    with open_case(case) as opened:
        ids = [r[0] for r in opened.db.execute("SELECT id FROM item WHERE kind = 'page' ORDER BY id LIMIT 3")]
    sheet = root / "sheet.csv"
    sheet.write_text("item_id,verdict,category,reviewed_at\n"
                     + "".join(f"{i},violating,smuggling_offer,2021-04-12T12:00:00Z\n" for i in ids))
    run("review", case, "--import", sheet, "--reviewer", "ana")
    run("flag", case, str(ids[0]), "--channel", "in_app", "--at", "2021-04-16", "--by", "ana")
    run("flag", case, str(ids[1]), "--channel", "press", "--at", "2021-04-17", "--by", "ana")
    run("flag", case, "--void", "2", "--why", "wrong item")
    run("recheck", case, "--manual", "--all", "--wave", "m1", input="l" * 40)
    from toolkit.store.canaries import CanaryRow, insert_canary_rows

    with open_case(case) as opened:  # a canary reading, as a live wave records one
        insert_canary_rows(opened.db, [CanaryRow(1, "live", "run-1", 1, 0, "facebook", "https://www.facebook.com/meta",
                                                 "2021-05-17T00:00:00Z", "available")])
    from toolkit.store.aliases import record_conflict
    from toolkit.store.attachments import Attachment, insert_attachment

    with open_case(case) as opened, transaction(opened.db) as conn:
        # An identity conflict, as the writer records one, and a screenshot kept beside a check, as
        # a browser wave keeps one (a real PNG signature; the file goes under evidence/).
        record_conflict(conn, "facebook", "page", "100000000000042", ids[1], ids[0], None,
                        "names differ: cruceseguro.alias / other", "2021-04-02T00:00:00Z")
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        stored = opened.store_evidence_bytes(png)
        opened.record_evidence(stored)
        check_id = conn.execute('SELECT max(id) FROM "check"').fetchone()[0]
        insert_attachment(conn, Attachment("screenshot", stored.sha256, "image/png", len(png), 1, 1), check_id=check_id)
    run("report", case, "--as-of", "2021-06-30", "-o", root / "report", "--format", "json")
    result = run("verify", case)
    assert "intact" in result.stdout
    run("key", "new", root / "key")
    run("verify", case, "--save-receipt", root / "receipt.json", "--sign", root / "key")
    return case


@pytest.fixture
def copy(pristine, tmp_path) -> Path:
    target = tmp_path / "case"
    shutil.copytree(pristine, target)
    return target


def _sql(case: Path, *statements: str, params=()) -> None:
    conn = sqlite3.connect(case / "case.db", isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement, params)
    finally:
        conn.close()


def _snapshot(case: Path) -> tuple:
    db = case / "case.db"
    return (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns,
            sorted(str(p.relative_to(case)) for p in case.rglob("*")))


def _verify(invoke, case: Path, *extra):
    """Run verify and check that it wrote nothing at all."""
    before = _snapshot(case)
    result = invoke("verify", case, *extra)
    assert _snapshot(case) == before, "verify changed the case folder"
    return result


def _caught(invoke, case: Path, *extra) -> str:
    result = _verify(invoke, case, *extra)
    assert result.exit_code == 1, f"not caught:\n{result.output}"
    assert "NOT intact" in result.stderr and "Fix: " in result.stderr
    return result.stderr


def test_the_pristine_case_is_intact_and_covers_every_table(pristine, invoke, tmp_path):
    result = _verify(invoke, pristine)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(pristine / "case.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT LIKE 'sqlite_%'")]
        empty = [t for t in tables if conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == 0]
    finally:
        conn.close()
    assert empty == [], f"the tamper suite's case has no row in {empty}: attacks on them are not tried"


def test_every_table_is_a_fact_state_or_exempt_table(pristine):
    """A table a migration adds is a state table unless declared: this fails only for one the log
    could not cover (no rowid and no leaf key) and for a declaration of a table that does not exist."""
    conn = sqlite3.connect(pristine / "case.db")
    try:
        assert coverage.undeclared(conn) == []
        tables = set(coverage.tables(conn))
        declared = set(coverage.FACTS) | set(coverage.EXEMPT) | set(coverage.PARTS) | set(coverage.LEAF_KEYS)
        assert declared <= tables
        state = {t.name for t in coverage.state_tables(conn)}
        assert tables == state | set(coverage.FACTS) | set(coverage.EXEMPT)
        assert {"item", "item_alias", "hit", "indicator", "score", "capture", "meta"} <= state
    finally:
        conn.close()


def _tables(case: Path) -> list[str]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                           " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    finally:
        conn.close()


def _changed(value):
    if value is None:
        return "forged"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    return value + "x"


TABLES = ["attachment", "canary_check", "capture", "check", "event", "evidence", "hit", "identity_conflict", "indicator",
          "item", "item_alias", "meta", "notice", "notice_void", "review", "score", "seal_leaf", "source", "wave"]


def test_the_list_of_attacked_tables_is_every_table(pristine):
    assert sorted(TABLES) == _tables(pristine)


@pytest.mark.parametrize("table", TABLES)
def test_editing_any_column_of_any_table_is_caught(pristine, invoke, tmp_path, table):
    conn = sqlite3.connect(pristine / "case.db")
    try:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        row = conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid DESC LIMIT 1').fetchone() \
            if table not in {"item_alias", "seal_leaf"} else conn.execute(f'SELECT 0, * FROM "{table}" LIMIT 1').fetchone()
    finally:
        conn.close()
    assert row is not None
    for index, column in enumerate(columns):
        case = tmp_path / f"{table}-{column}"
        shutil.copytree(pristine, case)
        where = " AND ".join(f'"{c}" IS ?' for c in columns)
        _sql(case, f'UPDATE "{table}" SET "{column}" = ? WHERE {where}',
             params=(_changed(row[index + 1]), *row[1:]))
        _caught(invoke, case)
        shutil.rmtree(case)


@pytest.mark.parametrize("table", TABLES)
def test_deleting_a_row_of_any_table_is_caught(copy, invoke, table):
    _sql(copy, f'DELETE FROM "{table}" WHERE rowid = (SELECT min(rowid) FROM "{table}")'
         if table not in {"item_alias", "seal_leaf"} else
         f'DELETE FROM "{table}" WHERE ({", ".join(_pk(copy, table))}) IN (SELECT {", ".join(_pk(copy, table))} FROM "{table}" LIMIT 1)')
    _caught(invoke, copy)


def _pk(case: Path, table: str) -> list[str]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return [f'"{r[1]}"' for r in sorted(conn.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if r[5]]
    finally:
        conn.close()


@pytest.mark.parametrize("table", [t for t in TABLES if t not in {"item_alias", "seal_leaf", "meta", "evidence"}])
def test_inserting_a_copy_of_a_row_in_any_table_is_caught(copy, invoke, table):
    conn = sqlite3.connect(copy / "case.db")
    try:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] != "id"]
    finally:
        conn.close()
    cols = ", ".join(f'"{c}"' for c in columns)
    unique = {"source": "sha256", "wave": "name", "event": "hash", "item": "key", "notice_void": "notice_id",
              "identity_conflict": "key"}.get(table)
    values = ", ".join((f'"{c}" + 1000' if c == "notice_id" else f"\"{c}\" || 'x'") if c == unique else f'"{c}"'
                       for c in columns)
    _sql(copy, f'INSERT INTO "{table}" ({cols}) SELECT {values} FROM "{table}" ORDER BY rowid LIMIT 1')
    _caught(invoke, copy)


def test_inserting_an_alias_a_meta_row_or_an_evidence_row_is_caught(copy, invoke, tmp_path):
    for statement in ("INSERT INTO item_alias (platform, kind, key, item_id, added_at)"
                      " VALUES ('facebook', 'page', 'forged', 1, '2021-01-01T00:00:00Z')",
                      "INSERT INTO meta (key, value) VALUES ('forged', 'x')",
                      "INSERT INTO evidence (sha256, stored_sha256, stored_size, stored_at)"
                      " VALUES ('ab', 'cd', 1, '2021-01-01T00:00:00Z')"):
        case = tmp_path / str(abs(hash(statement)))
        shutil.copytree(copy, case)
        _sql(case, statement)
        _caught(invoke, case)


@pytest.mark.parametrize("table", ["review", "check", "item", "hit", "capture", "score"])
def test_reordering_rows_is_caught(copy, invoke, table):
    conn = sqlite3.connect(copy / "case.db")
    low, high = conn.execute(f'SELECT min(id), max(id) FROM "{table}"').fetchone()
    conn.close()
    assert low < high
    _sql(copy, f'UPDATE "{table}" SET id = -1 WHERE id = {low}', f'UPDATE "{table}" SET id = {low} WHERE id = {high}',
         f'UPDATE "{table}" SET id = {high} WHERE id = -1')
    _caught(invoke, copy)


def test_a_forged_check_after_the_last_event_is_caught_and_never_sealed_by_verify(copy, invoke):
    """The issue's attack: verify used to say intact, then chain the forged row itself."""
    _sql(copy, "INSERT INTO \"check\"(item_id, wave_id, observed_at, method, status, reason)"
               " VALUES (1, 1, '2021-05-17T00:00:00Z', 'manual', 'removed', 'forged')")
    first = _caught(invoke, copy)
    assert "is in no event of the log" in first
    assert "is in no event of the log" in _caught(invoke, copy)  # still caught: nothing was sealed


@pytest.mark.parametrize("column,value", [("url", "https://attacker.example/"), ("name", "Agencia de viajes"),
                                          ("merged_into", 2), ("parent_id", 3), ("first_seen", "2020-01-01")])
def test_derived_item_columns_are_covered(copy, invoke, column, value):
    _sql(copy, f"UPDATE item SET {column} = ? WHERE id = 1", params=(value,))
    assert "item rows (ids 0-63) were changed after they were recorded" in _caught(invoke, copy)


def test_scores_categories_hits_and_indicators_are_covered(copy, invoke, tmp_path):
    for statement in ("UPDATE score SET score = score + 40", "UPDATE score SET category = 'other'",
                      "UPDATE hit SET category = 'drug_sale'", "UPDATE indicator SET value = '+10000000000'",
                      "DELETE FROM item_alias"):
        case = tmp_path / str(abs(hash(statement)))
        shutil.copytree(copy, case)
        _sql(case, statement)
        _caught(invoke, case)


def test_editing_the_log_is_caught(copy, invoke, tmp_path):
    for statement in ("UPDATE event SET sealed_at = '2020-01-01T00:00:00Z' WHERE id = 2",
                      "UPDATE event SET id = 999 WHERE id = 3",
                      "DELETE FROM event WHERE id = 4",
                      "UPDATE seal_leaf SET digest = replace(digest, substr(digest, 1, 1), 'f')"):
        case = tmp_path / str(abs(hash(statement)))
        shutil.copytree(copy, case)
        _sql(case, statement)
        _caught(invoke, case)


def test_changed_case_toml_is_caught(copy, invoke):
    config = copy / "case.toml"
    config.write_text(config.read_text().replace("waves = 2", "waves = 1"))
    assert "case.toml was changed after the last command that used it" in _caught(invoke, copy)


def test_a_lexicon_of_the_case_changed_after_use_is_caught(copy, invoke):
    lexicon = copy / "mine.toml"
    config = copy / "case.toml"
    config.write_text(config.read_text().replace('lexicons = ["default"]', 'lexicons = ["default", "mine.toml"]'))
    lexicon.write_text("x")
    assert "mine.toml is in force now but was not at the last command" in _caught(invoke, copy)


def test_evidence_changed_deleted_or_replaced_by_a_link_is_caught(copy, invoke, tmp_path):
    files = sorted((copy / "evidence").rglob("*.gz"))
    assert files
    data = files[0].read_bytes()
    files[0].write_bytes(data[:-9] + bytes([data[-9] ^ 1]) + data[-8:])
    _caught(invoke, copy)
    files[0].unlink()
    assert "missing from evidence/" in _caught(invoke, copy)
    outside = tmp_path / "outside.gz"
    outside.write_bytes(data)
    files[0].symlink_to(outside)
    assert "is a symbolic link" in _caught(invoke, copy)


def _recompute_chain(case: Path) -> None:
    """What an adversary who knows the format does: drop the log and let toolkit build it again."""
    _sql(case, "DELETE FROM seal_leaf", "DELETE FROM event")
    with open_case(case):
        pass


def test_a_recomputed_chain_passes_alone_and_fails_against_the_signed_receipt(pristine, copy, invoke):
    receipt, key = pristine.parent / "receipt.json", pristine.parent / "key.pub"
    _sql(copy, "UPDATE review SET verdict = 'not_violating'")
    _caught(invoke, copy)
    _recompute_chain(copy)
    assert _verify(invoke, copy).exit_code == 0  # on its own the log cannot tell
    out = _caught(invoke, copy, "--receipt", receipt, "--key", key)
    assert "First break: " + str(receipt) in out  # shorter than the receipt, or another head at its place


def test_truncating_the_log_with_its_rows_is_caught_by_the_receipt(pristine, copy, invoke):
    receipt = pristine.parent / "receipt.json"
    _sql(copy, "DELETE FROM event WHERE kind = 'report'")  # the last events, that name no row
    assert _verify(invoke, copy).exit_code == 0
    assert "fewer than the" in _caught(invoke, copy, "--receipt", receipt)


def test_a_receipt_signed_by_another_key_or_altered_is_refused(pristine, invoke, tmp_path):
    receipt = json.loads((pristine.parent / "receipt.json").read_text())
    assert invoke("key", "new", tmp_path / "other").exit_code == 0
    out = _caught(invoke, pristine, "--receipt", pristine.parent / "receipt.json", "--key", tmp_path / "other.pub")
    assert "not by the key given" in out
    receipt["events"] -= 1
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(receipt))
    out = _caught(invoke, pristine, "--receipt", altered, "--key", pristine.parent / "key.pub")
    assert "does not match its content" in out
    result = _verify(invoke, pristine, "--receipt", pristine.parent / "receipt.json", "--key", pristine.parent / "key.pub")
    assert result.exit_code == 0, result.output
    assert "its head is in the log" in result.stdout


# -- bundles -----------------------------------------------------------------------------------------

def _rezip(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    change(entries)
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_forged_bundles_are_caught(pristine, invoke, tmp_path):
    bundle = tmp_path / "b.zip"
    key = pristine.parent / "key"
    assert invoke("export", pristine, "--bundle", bundle, "--sign", key).exit_code == 0
    result = invoke("verify", "--bundle", bundle, "--key", f"{key}.pub")
    assert result.exit_code == 0, result.output
    assert "signed by key" in result.stdout

    def only_manifest(entries):
        entries.clear()
        entries["manifest.json"] = b"{}"

    def no_db(entries):
        del entries["case.db"]

    def forged_db(entries):
        # Edit the database, rebuild its log and the manifest: only the signature can tell.
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        (work / "case.toml").write_bytes(entries["context/case/case.toml"])
        (work / "case.db").write_bytes(entries["case.db"])
        _sql(work, "UPDATE review SET verdict = 'not_violating'")
        _recompute_chain(work)
        conn = sqlite3.connect(work / "case.db")
        conn.execute("PRAGMA journal_mode = DELETE")
        head = conn.execute("SELECT hash FROM event ORDER BY id DESC LIMIT 1").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM event").fetchone()[0]
        conn.close()
        entries["case.db"] = (work / "case.db").read_bytes()
        manifest = json.loads(entries["manifest.json"])
        manifest["head"], manifest["events"] = head, count
        manifest["files"]["case.db"] = {"sha256": hashlib.sha256(entries["case.db"]).hexdigest(),
                                        "size": len(entries["case.db"])}
        entries["manifest.json"] = json.dumps(manifest).encode()
        receipt = json.loads(entries["receipt.json"])
        receipt["head"], receipt["events"] = head, count
        entries["receipt.json"] = json.dumps(receipt).encode()

    def no_receipt(entries):
        del entries["receipt.json"]

    def case_toml(entries):
        entries["context/case/case.toml"] = entries["context/case/case.toml"].replace(b"waves = 2", b"waves = 1")
        manifest = json.loads(entries["manifest.json"])
        manifest["files"]["context/case/case.toml"] = {
            "sha256": hashlib.sha256(entries["context/case/case.toml"]).hexdigest(),
            "size": len(entries["context/case/case.toml"])}
        entries["manifest.json"] = json.dumps(manifest).encode()

    for change, with_key in ((only_manifest, False), (no_db, False), (forged_db, True), (no_receipt, True),
                             (case_toml, False)):
        forged = tmp_path / f"{change.__name__}.zip"
        _rezip(bundle, forged, change)
        args = ("--key", f"{key}.pub") if with_key else ()
        result = invoke("verify", "--bundle", forged, *args)
        assert result.exit_code == 1, (change.__name__, result.output)
        assert "intact." not in result.stdout


def test_export_refuses_a_symlinked_evidence_file(copy, invoke, tmp_path):
    files = sorted((copy / "evidence").rglob("*.gz"))
    outside = tmp_path / "secret.gz"
    outside.write_bytes(files[0].read_bytes())
    files[0].unlink()
    files[0].symlink_to(outside)
    result = invoke("export", copy, "--bundle", tmp_path / "b.zip")
    assert result.exit_code == 1
    assert "is a symbolic link" in result.output
    assert not (tmp_path / "b.zip").exists()


def test_bundle_holds_what_a_report_is_made_from(pristine, invoke, tmp_path):
    bundle = tmp_path / "b.zip"
    assert invoke("export", pristine, "--bundle", bundle).exit_code == 0
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"case.db", "manifest.json", "receipt.json", "README.txt", "context/case/case.toml"} <= names
    assert any(n.startswith("context/toolkit/lexicon/") for n in names)
    assert any(n.startswith("context/toolkit/platforms/markers/") for n in names)
    assert manifest["toolkit"] and manifest["context"]["case.toml"] == "context/case/case.toml"


def test_verify_bundle_streams_a_zip_bomb_in_bounded_memory(tmp_path):
    """A 2 MB case.db entry that expands to 2 GB: refused before reading, in a child process whose
    peak memory is measured."""
    import subprocess
    import sys

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("case.db")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(2048):
                entry.write(block)
        zf.writestr("manifest.json", json.dumps({"format": "toolkit-bundle-2", "head": "0" * 64,
                                                 "files": {"case.db": {"sha256": "0" * 64, "size": 2 << 30}}}))
    assert bomb.stat().st_size < 4 << 20
    # VmHWM is the child's own peak; ru_maxrss would carry the (large) pytest parent's peak over
    # through fork and exec.
    code = ("import sys; from toolkit.bundle import verify_bundle; r = verify_bundle(sys.argv[1]);"
            " print(r.intact, r.problems[:1]);"
            " print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    verdict, peak = out.stdout.strip().splitlines()
    assert verdict.startswith("False") and "zip bomb" in verdict
    assert int(peak) * 1024 < 500 << 20


# -- a case made before derived rows were covered ---------------------------------------------------------

LEGACY = FIXTURES / "custody"


@pytest.fixture(params=[3, 5])
def legacy(tmp_path, request) -> tuple[Path, int, int]:
    """A case made by an older toolkit, before the log covered derived rows: schema version 3 (a URL
    list scanned, a verdict, a purge) or 5 (a URL list scanned, a manual wave: its checks and captures
    sealed with issue 14's date sources). Returns (case, version, events)."""
    import gzip

    version = request.param
    case = tmp_path / "legacy"
    (case / "evidence" / "61").mkdir(parents=True)
    (case / "case.db").write_bytes(gzip.decompress((LEGACY / f"legacy-v{version}-case.db.gz").read_bytes()))
    shutil.copy(LEGACY / f"legacy-v{version}-case.toml", case / "case.toml")
    for path in LEGACY.glob("61*.gz"):
        shutil.copy(path, case / "evidence" / "61" / path.name)
    return case, version, {3: 4, 5: 5}[version]


def test_an_older_case_verifies_before_and_after_its_upgrade(legacy, invoke):
    case, version, count = legacy
    result = _verify(invoke, case)  # read-only: checked in a migrated copy, the file untouched
    assert result.exit_code == 0, result.output
    assert f"schema version {version}" in result.stderr and f"intact. {count} events" in result.stdout
    assert invoke("items", case).exit_code == 0  # any command migrates and covers the derived rows
    result = _verify(invoke, case)
    assert result.exit_code == 0, result.output
    assert f"covered from event {count + 2} on" in result.stderr  # after the schema it covers them with
    _sql(case, "UPDATE item SET url = 'https://attacker.example/' WHERE id = 1")
    assert "item rows (ids 0-63) were changed" in _caught(invoke, case)


# -- what other migrations add is covered with no work ----------------------------------------------------

def test_a_table_and_columns_a_later_migration_adds_are_covered(copy, invoke):
    """As another helper's migration would: a new table, a column with a default on a fact table and
    on a state table. The old events still verify; rows written after are covered, new columns too."""
    _sql(copy, "CREATE TABLE later_table (id INTEGER PRIMARY KEY, item_id INTEGER, other TEXT)",
         "ALTER TABLE \"check\" ADD COLUMN screenshot TEXT NOT NULL DEFAULT 'none'",
         "ALTER TABLE item ADD COLUMN blind INTEGER NOT NULL DEFAULT 0")
    result = _verify(invoke, copy)
    assert result.exit_code == 0, result.output  # nothing sealed before depends on the new columns
    with open_case(copy) as opened, transaction(opened.db) as conn:
        conn.execute("INSERT INTO later_table (item_id, other) VALUES (1, 'facebook:page:otra')")
        conn.execute('INSERT INTO "check" (item_id, wave_id, observed_at, method, status, screenshot)'
                     " VALUES (1, 1, '2021-05-17T00:00:00Z', 'manual', 'available', 'researcher')")
        conn.execute("UPDATE item SET blind = 1 WHERE id = 2")
    result = _verify(invoke, copy)
    assert result.exit_code == 0, result.output
    for statement in ("UPDATE later_table SET other = 'x'", "UPDATE \"check\" SET screenshot = 'x'"
                      " WHERE id = (SELECT max(id) FROM \"check\")", "UPDATE item SET blind = 0 WHERE id = 2"):
        case = copy.parent / str(abs(hash(statement)))
        shutil.copytree(copy, case)
        _sql(case, statement)
        _caught(invoke, case)


def test_a_fact_row_toolkit_changes_in_place_is_resealed_not_broken(copy, invoke):
    """As a purge does: the write that changes a fact row records its new content."""
    with open_case(copy) as opened, transaction(opened.db) as conn:
        conn.execute("UPDATE wave SET note = 'revisada' WHERE id = 1")
    with open_case(copy) as opened:
        detail = opened.db.execute("SELECT detail FROM event WHERE kind = 'wave' ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert json.loads(detail) == {"changed": True}
    assert _verify(invoke, copy).exit_code == 0
    _sql(copy, "UPDATE wave SET note = 'otra'")
    _caught(invoke, copy)


def test_a_derived_row_changed_behind_the_log_is_refused_by_the_next_write(copy, invoke, tmp_path):
    """The next toolkit write that touches the leaf must not absorb the change into the log."""
    _sql(copy, "UPDATE item SET url = 'https://attacker.example/' WHERE id = 1")
    from toolkit.store.events import CustodyError

    with pytest.raises(CustodyError, match="changed outside toolkit"), open_case(copy) as opened, \
            transaction(opened.db) as conn:
        conn.execute("UPDATE item SET last_seen = '2030-01-01T00:00:00Z' WHERE id = 1")
    assert "item rows (ids 0-63) were changed" in _caught(invoke, copy)


def test_verify_bundle_against_a_receipt_kept_apart(pristine, invoke, tmp_path):
    bundle = tmp_path / "b.zip"
    assert invoke("export", pristine, "--bundle", bundle, "--save-receipt", tmp_path / "r.json").exit_code == 0
    result = invoke("verify", "--bundle", bundle, "--receipt", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "its head is in the log; 0 events were added since" in result.stdout
    older = invoke("verify", "--bundle", bundle, "--receipt", pristine.parent / "receipt.json",
                   "--key", pristine.parent / "key.pub")
    assert older.exit_code == 0, older.output  # the export's own event came after that receipt
