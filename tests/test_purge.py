"""Purge that forgets: nothing in the log or the case gives the removed values back.

The attacks this answers: a purged phone number was recovered by brute force from the unsalted
sha256 in the log (39 s on one core); file names, check notes, review and notice texts and earlier
reports kept the data; an interrupted purge showed as tampered; running it again shrank the
record of what was removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import pytest

from toolkit import purge as purge_module
from toolkit.case import open_case
from toolkit.custody import verify_case

PHONE = "+5215555550199"  # the person's number, as the indicator stores it (E.164)
PAGE = "https://www.facebook.com/JuanPerezViajes"


@pytest.fixture
def person(case, invoke, tmp_path):
    """One profile page saved under the person's name, a review note, a notice, a check note and a
    report that name them, beside another page that must keep its data."""
    saved = tmp_path / "JuanPerezViajes.txt"
    saved.write_text(f"{PAGE}\n")
    other = tmp_path / "others.txt"
    other.write_text("https://www.facebook.com/CruceSeguroUSA\n")
    for path in (saved, other):
        assert invoke("scan", case, path).exit_code == 0
    with open_case(case) as opened:
        item = opened.db.execute("SELECT id FROM item WHERE key = 'juanperezviajes'").fetchone()[0]
        keep = opened.db.execute("SELECT id FROM item WHERE key = 'crucesegurousa'").fetchone()[0]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("item_id,verdict,category,note,reviewed_at\n"
                     f"{item},violating,smuggling_offer,Juan Perez pide {PHONE},2021-04-12T12:00:00Z\n"
                     f"{keep},violating,smuggling_offer,otra,2021-04-12T12:00:00Z\n")
    assert invoke("review", case, "--import", sheet, "--reviewer", "ana").exit_code == 0
    assert invoke("flag", case, str(item), "--channel", "in_app", "--at", "2021-04-16", "--note",
                  f"llamar a {PHONE}").exit_code == 0
    assert invoke("recheck", case, "--manual", "--all", "--wave", "w1", input="lu").exit_code == 0
    with open_case(case) as opened:  # an indicator, as scanning a post with the number gives
        from toolkit.store import transaction

        with transaction(opened.db) as conn:
            capture = conn.execute("SELECT id FROM capture WHERE item_id = ?", (item,)).fetchone()[0]
            conn.execute("INSERT INTO indicator (capture_id, item_id, type, value, matched, extractor)"
                         " VALUES (?, ?, 'phone', ?, ?, 'test@1')", (capture, item, PHONE, PHONE))
    report = tmp_path / "report"
    assert invoke("report", case, "--as-of", "2021-06-30", "-o", report, "--format", "json").exit_code == 0
    assert any(PHONE in p.read_text() or "JuanPerez" in p.read_text() for p in report.rglob("*.json"))
    return {"item": item, "keep": keep, "report": report, "saved": saved}


def _log(case: Path) -> str:
    conn = sqlite3.connect(case / "case.db")
    try:
        return "\n".join(str(tuple(r)) for r in conn.execute("SELECT * FROM event"))
    finally:
        conn.close()


def _everything(case: Path) -> str:
    conn = sqlite3.connect(case / "case.db")
    try:
        return conn.execute("SELECT group_concat(sql, ';') FROM sqlite_master").fetchone()[0] + "\n".join(
            str(tuple(r)) for t in [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")] for r in conn.execute(f'SELECT * FROM "{t}"'))
    finally:
        conn.close()


def test_purge_forgets_the_person_everywhere_it_is_written(case, invoke, person):
    result = invoke("purge", case, "--item", person["item"], "--yes")
    assert result.exit_code == 0, result.output
    assert "Removed 1 earlier report(s)" in result.stderr and str(person["report"]) in result.stderr
    assert not person["report"].exists()
    text = _everything(case)
    for value in (PHONE, "juanperezviajes", "JuanPerezViajes", "Juan Perez"):
        assert value not in text, f"{value} is still in the case"
    # The log names removed values by keyed fingerprints only: no plain sha256 of any of them.
    log = _log(case)
    for value in (PHONE, PAGE, "juanperezviajes", str(person["saved"])):
        assert hashlib.sha256(value.encode()).hexdigest() not in log
        assert hashlib.sha256(value.encode()).hexdigest()[:16] not in log
    # With the case's secret (never in the log or a bundle), the researcher can show what went.
    secret = bytes.fromhex((case / "purge-secret").read_text().strip())
    assert hmac.new(secret, PHONE.encode(), hashlib.sha256).hexdigest() in log
    # The other page keeps its data; the case verifies.
    with open_case(case) as opened:
        kept = opened.db.execute("SELECT key, url FROM item WHERE id = ?", (person["keep"],)).fetchone()
        assert tuple(kept) == ("crucesegurousa", "https://www.facebook.com/crucesegurousa")
        assert opened.db.execute("SELECT note FROM review WHERE item_id = ?", (person["keep"],)).fetchone()[0] == "otra"
        paths = [r[0] for r in opened.db.execute("SELECT path FROM source ORDER BY id")]
        assert paths[0].startswith("purged:") and paths[1].endswith("others.txt")
        assert verify_case(opened).problems == []


def test_purge_is_idempotent_and_never_shrinks_the_record(case, invoke, person):
    assert invoke("purge", case, "--item", person["item"], "--yes").exit_code == 0
    first = _log(case)
    again = invoke("purge", case, "--item", person["item"], "--yes")
    assert again.exit_code == 0, again.output
    assert "holds no personal data any more" in again.stderr
    assert _log(case) == first
    with open_case(case) as opened:
        (detail,) = [json.loads(r[0]) for r in opened.db.execute("SELECT detail FROM event WHERE kind = 'purge'")]
        assert len(detail["removed"]) >= 5
        assert verify_case(opened).problems == []


def test_an_interrupted_purge_commits_all_or_nothing_and_a_rerun_finishes(case, invoke, person, monkeypatch):
    # Stopped before its commit: nothing changed, the case verifies.
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    before = _everything(case)
    with monkeypatch.context() as patch:
        patch.setattr(purge_module.sql, "blank_source_names", stop)
        with pytest.raises(KeyboardInterrupt), open_case(case) as opened:
            purge_module.purge_item(opened, person["item"], reason="test")
    assert _everything(case) == before
    # Stopped after its commit, before deleting files: the case verifies; running again finishes.
    with monkeypatch.context() as patch:
        patch.setattr(purge_module, "_delete_files", stop)
        with pytest.raises(KeyboardInterrupt), open_case(case) as opened:
            purge_module.purge_item(opened, person["item"], reason="test")
    assert person["report"].exists()
    with open_case(case) as opened:
        assert verify_case(opened).problems == []
    result = invoke("purge", case, "--item", person["item"], "--yes")
    assert result.exit_code == 0, result.output
    assert not person["report"].exists()
    with open_case(case) as opened:
        assert verify_case(opened).problems == []


def test_purge_refuses_rows_changed_behind_the_log(case, invoke, person):
    conn = sqlite3.connect(case / "case.db", isolation_level=None)
    conn.execute("UPDATE review SET verdict = 'not_violating' WHERE item_id = ?", (person["item"],))
    conn.close()
    result = invoke("purge", case, "--item", person["item"], "--yes")
    assert result.exit_code == 1
    assert "changed outside toolkit since the custody log recorded them; nothing was purged" in result.output


def _report_folders(case: Path) -> list[dict]:
    conn = sqlite3.connect(case / "case.db")
    try:
        return [json.loads(r[0]) for r in conn.execute("SELECT detail FROM event WHERE kind = 'report' ORDER BY id")]
    finally:
        conn.close()


def test_a_report_is_found_from_the_case_whatever_directory_it_was_made_in(case, invoke, person, tmp_path,
                                                                          monkeypatch):
    """A report folder was recorded as typed (relative to where `report` ran) and looked for from
    where `purge` ran: a purge run elsewhere kept the report with the person's data, unsaid. It is
    recorded relative to the case folder when inside it, else absolute."""
    monkeypatch.chdir(case.parent)
    assert invoke("report", case.name, "--as-of", "2021-06-30", "-o", f"{case.name}/reports/mine",
                  "--format", "json").exit_code == 0
    inside = case / "reports" / "mine"
    assert any("JuanPerez" in p.read_text() for p in inside.rglob("*.json"))
    recorded = _report_folders(case)
    assert recorded[-1]["folder"] == "reports/mine" and recorded[-1]["in_case"] is True
    assert recorded[0]["folder"] == str(person["report"].resolve()) and "in_case" not in recorded[0]
    monkeypatch.chdir(case)
    result = invoke("purge", ".", "--item", person["item"], "--yes")
    assert result.exit_code == 0, result.output
    assert "Removed 2 earlier report(s)" in result.stderr
    assert not inside.exists() and not person["report"].exists()


def test_purging_a_copy_of_a_case_leaves_the_original_alone(case, invoke, person, tmp_path):
    """The copy's report event names a folder inside the case: the copy's, not the original's."""
    assert invoke("report", case, "--as-of", "2021-06-30", "-o", case / "reports" / "r1", "--format", "json").exit_code == 0
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(case, copy)
    result = invoke("purge", copy, "--item", person["item"], "--yes")
    assert result.exit_code == 0, result.output
    assert not (copy / "reports" / "r1").exists()
    assert any("JuanPerez" in p.read_text() for p in (case / "reports" / "r1").rglob("*.json"))


def test_a_report_recorded_relative_to_another_directory_is_named_not_guessed(case, invoke, person, tmp_path):
    """A report event of an older toolkit, with a path relative to wherever it ran that does not
    land in this case from here: purge says it could not find it, and deletes nothing for it."""
    from toolkit.store import events, transaction

    stray = tmp_path / "elsewhere" / "old-report"
    stray.mkdir(parents=True)
    (stray / "report.json").write_text("JuanPerez")
    detail = {"as_of": "2021-06-30", "folder": "elsewhere/old-report", "redact": True,
              "files": {"report.json": hashlib.sha256(b"JuanPerez").hexdigest()}}
    with open_case(case) as opened, transaction(opened.db) as conn:
        events.record(conn, "report", events.detail_hash(detail), "2021-07-01T00:00:00Z", detail)
    result = invoke("purge", case, "--item", person["item"], "--yes")
    assert result.exit_code == 0, result.output
    assert "1 earlier report(s) the log names were not found from here" in result.stderr
    assert "elsewhere/old-report" in result.stderr
    assert (stray / "report.json").exists()
