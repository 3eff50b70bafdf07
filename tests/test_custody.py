"""Custody: the hash chain and evidence hashes catch every change; bundles verify elsewhere."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from toolkit.case import open_case
from toolkit.custody import verify_case

URLS = "https://www.facebook.com/CruceSeguroUSA\nhttps://www.facebook.com/groups/123456789/\n"


@pytest.fixture
def scanned(case, invoke, tmp_path):
    export = tmp_path / "urls.txt"
    export.write_text(URLS)
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    with open_case(case) as opened:
        ids = [r[0] for r in opened.db.execute("SELECT id FROM item ORDER BY id")]
        for item_id, verdict in zip(ids, ["violating", "not_violating"], strict=True):
            opened.db.execute(
                "INSERT INTO review (item_id, verdict, category, reviewer, reviewed_at) VALUES (?, ?, 'smuggling_offer', 'ana', '2021-04-10T00:00:00Z')",
                (item_id, verdict),
            )
    return case


def _problems(case):
    with open_case(case) as opened:
        return verify_case(opened).problems


def _raw(case):
    return sqlite3.connect(case / "case.db", isolation_level=None)


def test_intact_case_prints_head(scanned, invoke):
    result = invoke("verify", scanned)
    assert result.exit_code == 0, result.output
    # init's meta rows (with the schema and files in force), then the scan's evidence, source and
    # derived rows, then two reviews
    with open_case(scanned) as opened:
        kinds = [r[0] for r in opened.db.execute("SELECT kind FROM event ORDER BY id")]
    assert sorted(kinds) == sorted(["schema", "context", "state", "evidence", "source", "state", "review", "review"])
    assert f"intact. {len(kinds)} events, 1 evidence files checked; head " in result.stdout


def test_every_single_byte_change_to_evidence_is_caught(scanned):
    (path,) = list((scanned / "evidence").rglob("*.gz"))
    original = path.read_bytes()
    for index in range(len(original)):
        changed = bytearray(original)
        changed[index] ^= 0x01
        path.write_bytes(bytes(changed))
        assert _problems(scanned), f"a change at byte {index} went unnoticed"
    path.write_bytes(original)
    assert _problems(scanned) == []


def test_deleted_row_is_caught(scanned, invoke):
    _raw(scanned).execute("DELETE FROM review WHERE id = 2")
    result = invoke("verify", scanned)
    assert result.exit_code == 1
    assert "First break: review 2 was deleted after it was recorded" in result.output


def test_edited_verdict_is_caught(scanned):
    _raw(scanned).execute("UPDATE review SET verdict = 'not_violating' WHERE id = 1")
    assert _problems(scanned) == ["review 1 was changed after it was recorded"]


def test_reordered_rows_are_caught(scanned):
    conn = _raw(scanned)
    conn.execute("UPDATE review SET id = 99 WHERE id = 1")
    conn.execute("UPDATE review SET id = 1 WHERE id = 2")
    conn.execute("UPDATE review SET id = 2 WHERE id = 99")
    problems = _problems(scanned)
    assert "review 1 was changed after it was recorded" in problems
    assert "review 2 was changed after it was recorded" in problems


def test_edited_capture_is_caught(scanned):
    _raw(scanned).execute("UPDATE capture SET name = 'Agencia de viajes' WHERE id = 1")
    assert _problems(scanned) == ["source 1 or one of its captures was changed after it was recorded"]


def test_edited_event_log_is_caught(scanned):
    _raw(scanned).execute("UPDATE event SET sealed_at = '2020-01-01T00:00:00Z' WHERE id = 2")
    assert _problems(scanned)[0] == "event 2 was edited (its hash does not match its content)"


def test_bundle_round_trip_and_tampering(scanned, invoke, tmp_path):
    bundle = tmp_path / "out" / "case.zip"
    result = invoke("export", scanned, "--bundle", bundle)
    assert result.exit_code == 0, result.output
    result = invoke("verify", "--bundle", bundle)
    assert result.exit_code == 0, result.output
    assert "intact" in result.stdout
    with zipfile.ZipFile(bundle) as zf:
        assert {"case.db", "manifest.json", "README.txt"} <= set(zf.namelist())
        entries = {name: zf.read(name) for name in zf.namelist()}
    db = bytearray(entries["case.db"])
    db[-200] ^= 0xFF
    entries["case.db"] = bytes(db)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    result = invoke("verify", "--bundle", tampered)
    assert result.exit_code == 1
    assert "case.db does not match its manifest hash" in result.output


def test_verify_needs_case_or_bundle(invoke):
    result = invoke("verify")
    assert result.exit_code == 2
    assert "give either a case folder or --bundle" in result.output


def test_purge_removes_data_and_keeps_the_log_verifiable(scanned, invoke):
    with open_case(scanned) as opened:
        item_id = opened.db.execute("SELECT id FROM item WHERE key = 'crucesegurousa'").fetchone()[0]
    result = invoke("purge", scanned, "--item", item_id, "--yes")
    assert result.exit_code == 0, result.output
    assert "still holds this data; use --delete-exports" in result.output
    conn = _raw(scanned)
    assert conn.execute("SELECT url, raw FROM capture WHERE item_id = ?", (item_id,)).fetchall() == [(None, None)]
    assert conn.execute("SELECT key FROM item WHERE id = ?", (item_id,)).fetchone()[0].startswith("purged-")
    assert _problems(scanned) == []
    result = invoke("purge", scanned, "--item", item_id, "--yes", "--delete-exports")
    assert result.exit_code == 0, result.output
    assert list((scanned / "evidence").rglob("*.gz")) == []
    assert _problems(scanned) == []
    # A change after the purge is still caught.
    conn.execute("UPDATE capture SET text = 'x' WHERE item_id = ?", (item_id,))
    assert _problems(scanned) == ["source 1 or one of its captures was changed after it was recorded"]


def test_purge_unknown_item(scanned, invoke):
    result = invoke("purge", scanned, "--item", 999, "--yes")
    assert result.exit_code == 2
    assert "no item 999 in this case" in result.output


def test_report_is_logged_and_its_stamp_names_the_data_head(scanned, invoke, tmp_path):
    result = invoke("report", scanned, "--as-of", "2021-06-30", "-o", tmp_path / "r1", "--format", "json")
    assert result.exit_code == 0, result.output
    stamp = json.loads((tmp_path / "r1" / "stamp.json").read_text())
    result = invoke("verify", scanned)
    assert result.exit_code == 0, result.output
    assert f"data head (what reports stamp; report events aside): {stamp['custody']['head']}" in result.stdout
    with open_case(scanned) as opened:
        kinds = [r[0] for r in opened.db.execute("SELECT kind FROM event ORDER BY id")]
    assert kinds[-1] == "report"
    # A second report of the same case stamps the same head: reports stay byte-identical.
    assert invoke("report", scanned, "--as-of", "2021-06-30", "-o", tmp_path / "r2", "--format", "json").exit_code == 0
    assert (tmp_path / "r2" / "stamp.json").read_bytes() == (tmp_path / "r1" / "stamp.json").read_bytes()
