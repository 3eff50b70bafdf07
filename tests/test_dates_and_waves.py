"""Dates are never invented: every capture and check says where its date came from, files without a
save time are named, import-time dates stay out of time to removal, long waves are flagged. And
waves are append-only: several methods in one wave keep the custody log and the bundle intact."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item
from report_builder import CaseBuilder

FIXTURES = Path(__file__).parent / "fixtures"
FAST = ["--interval", "0.05", "--timeout", "1", "--connect-timeout", "1", "--retries", "0"]


def _items(invoke, case) -> list[dict]:
    result = invoke("items", case, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _sources(invoke, case, item: int) -> set[str]:
    result = invoke("show", case, str(item), "--format", "json")
    assert result.exit_code == 0, result.output
    return {e["date_source"] for e in json.loads(result.stdout)["events"] if e["event"] in {"capture", "check"}}


def test_a_telegram_export_without_a_save_time_is_named_and_can_be_dated(case, invoke, tmp_path):
    export = FIXTURES / "telegram" / "channel_json" / "result.json"
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    note = [line for line in result.stderr.splitlines() if "gives no save time" in line]
    assert len(note) == 1 and "dated at import time" in note[0] and "--observed-at" in note[0]
    item = _items(invoke, case)[0]["id"]
    assert _sources(invoke, case, item) == {"import_time"}
    # The same kind of file with --observed-at: no note, and the date is the researcher's.
    other = tmp_path / "group.json"
    shutil.copy(FIXTURES / "telegram" / "group_json" / "result.json", other)
    result = invoke("scan", case, other, "--observed-at", "2021-05-01T10:00:00-05:00")
    assert result.exit_code == 0, result.output
    assert "gives no save time" not in result.stderr
    conn = sqlite3.connect(case / "case.db")
    dated = conn.execute("SELECT DISTINCT observed_at, date_source FROM capture WHERE source_id = 2").fetchall()
    conn.close()
    assert dated == [("2021-05-01T15:00:00Z", "given")]


@pytest.fixture
def server():
    with RecheckServer(hosts=1) as srv:
        yield srv


def test_each_date_source_appears_in_show(case, invoke, server, tmp_path):
    # page_header: SingleFile writes the save time; import_time: a URL list says nothing.
    assert invoke("scan", case, FIXTURES / "singlefile" / "page_cruce_seguro.html").exit_code == 0
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/CruceSeguroUSA.Oficial\n", encoding="utf-8")
    assert invoke("scan", case, urls).exit_code == 0
    # file_name: a CrowdTangle dashboard export named by when it was made.
    named = tmp_path / "2021-07-05-22-49-20-BRT-search-csv-export.csv"
    shutil.copy(FIXTURES / "crowdtangle" / "pages.csv", named)
    assert invoke("scan", case, named).exit_code == 0
    # export_field: Zeeschuimer records carry the time they were seen.
    assert invoke("scan", case, FIXTURES / "zeeschuimer" / "mixed.ndjson").exit_code == 0
    page = next(i for i in _items(invoke, case) if i["key"].lower() == "cruceseguro.usa" or
                (i["url"] or "").lower().endswith("crucesegurousa.oficial"))["id"]
    # clock: a live fetch; given: a manual look made earlier (--at); clock again: a manual answer now.
    live = add_item(case, "facebook", server.base(0) + "/fb/live")
    assert invoke("recheck", case, "--item", str(live), "--wave", "w1", *FAST).exit_code == 0
    assert invoke("recheck", case, "--manual", "--item", str(page), "--wave", "w1", "--at", "2021-05-17T09:00",
                  input="l").exit_code == 0
    seen: set[str] = set()
    for item in _items(invoke, case):
        seen |= _sources(invoke, case, item["id"])
    assert {"page_header", "import_time", "file_name", "export_field", "clock", "given"} <= seen
    shown = invoke("show", case, str(page), "--format", "csv").stdout
    assert "date from page_header" in shown and "date from given" in shown


def test_import_dated_items_are_left_out_of_time_to_removal_and_counted(tmp_path, invoke):
    b = CaseBuilder(tmp_path / "case")
    b.wave("w1", "2021-05-17T10:00:00Z")
    dated = b.item("dated.page", first_seen="2021-04-10T12:00:00Z")
    guessed = b.item("guessed.page", first_seen="2021-04-14T12:00:00Z")
    # The second page's only capture was dated at import: nothing said when it was seen.
    b.db.execute("UPDATE capture SET date_source = 'import_time' WHERE item_id = ?", (guessed,))
    for item in (dated, guessed):
        b.review(item)
        b.notice(item)
        b.check(item, "w1", "2021-05-17T11:00:00Z", "unavailable")
    case = b.close()
    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2021-06-30", "-o", out, "--format", "md,json")
    assert result.exit_code == 0, result.output
    survival = json.loads((out / "report.json").read_text())["time_to_removal"]
    assert survival["first_capture"]["items"] == 1
    assert survival["first_capture"]["excluded"] == {"dated at import time": 1}
    assert survival["notice"]["items"] == 2  # the notice's date is the researcher's own
    assert "From first capture: 1 left out (dated at import time)." in (out / "report.md").read_text()
    items = json.loads((out / "items.json").read_text())
    assert [i["first_seen"] for i in items] == ["2021-04-10T12:00:00Z", None]
    # The listing and `show` date the items by the same rule: no date of import passed off as one.
    listed = {row["id"]: row["first_seen"] for row in json.loads(invoke("items", case, "--format", "json").stdout)}
    assert [listed[dated], listed[guessed]] == ["2021-04-10T12:00:00Z", None]
    assert "first seen" not in invoke("show", case, str(guessed)).stdout
    assert "first seen 2021-04-10T12:00:00Z" in invoke("show", case, str(dated)).stdout


def test_a_wave_spanning_more_than_max_span_days_is_flagged(tmp_path, invoke):
    b = CaseBuilder(tmp_path / "case")
    b.wave("2021-02-13", "2021-02-13T10:00:00Z")
    for n, day in enumerate(("2021-02-13", "2021-02-14", "2021-03-01")):
        item = b.item(f"page.{n}")
        b.review(item)
        b.check(item, "2021-02-13", f"{day}T10:00:00Z", "available")
    case = b.close()
    result = invoke("waves", case)
    assert result.exit_code == 0, result.output
    assert "Wave 2021-02-13: its checks span 16.0 days (2021-02-13T10:00:00Z to 2021-03-01T10:00:00Z), more than " \
           "[waves] max_span_days = 7" in " ".join(result.stderr.split())
    out = tmp_path / "report"
    assert invoke("report", case, "--as-of", "2021-06-30", "-o", out, "--format", "md").exit_code == 0
    assert "Wave 2021-02-13: its checks span 16.0 days" in (out / "report.md").read_text()
    config = case / "case.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_span_days = 7", "max_span_days = 30"),
                      encoding="utf-8")
    assert "span" not in invoke("waves", case).stderr


def test_three_methods_in_one_wave_keep_custody_and_the_bundle(case, invoke, server, tmp_path):
    assert invoke("scan", case, FIXTURES / "singlefile" / "page_cruce_seguro.html").exit_code == 0
    saved = _items(invoke, case)[0]["id"]
    live = add_item(case, "facebook", server.base(0) + "/fb/live")
    assert invoke("recheck", case, "--item", str(live), "--wave", "w1", *FAST).exit_code == 0
    later = tmp_path / "later"
    later.mkdir()
    shutil.copy(FIXTURES / "singlefile" / "page_cruce_seguro_unavailable.html", later)
    result = invoke("recheck", case, "--item", str(saved), "--wave", "w1", later)
    assert result.exit_code == 0, result.output
    result = invoke("recheck", case, "--manual", "--item", str(live), "--item", str(saved), "--wave", "w1", input="lu")
    assert result.exit_code == 0, result.output

    waves = json.loads(invoke("waves", case, "--format", "json").stdout)
    assert [(w["wave"], w["methods"], w["checks"]) for w in waves] == [("w1", "export,live,manual", 4)]
    verified = invoke("verify", case)
    assert verified.exit_code == 0, verified.output
    assert "changed" not in verified.output
    bundle = tmp_path / "case.zip"
    assert invoke("export", case, "--bundle", bundle).exit_code == 0
    checked = invoke("verify", "--bundle", bundle)
    assert checked.exit_code == 0, checked.output


def test_a_case_from_before_date_sources_migrates_and_verifies_intact(tmp_path, invoke):
    """A case sealed under the previous schema (no date_source, no canary_check) opens, migrates and
    still verifies: NULL late columns are left out of the custody digests."""
    from toolkit.case import open_case
    from toolkit.store.schema import LATEST, MIGRATIONS, V_DATE_SOURCE_CANARY

    b = CaseBuilder(tmp_path / "case")
    source = b.source("c" * 64, "exports/urls.txt")
    b.wave("w1", "2021-05-17T10:00:00Z")
    item = b.item("old.page", source_id=source)
    b.check(item, "w1", "2021-05-17T11:00:00Z", "available")
    case = b.close()
    with open_case(case):  # seals the rows; their digests hold no NULL late column, as the old ones did
        pass
    conn = sqlite3.connect(case / "case.db")  # now take the schema back to what it was
    conn.execute("DROP TABLE canary_check")
    conn.execute("DROP TABLE IF EXISTS attachment")  # added by a later migration (issue 17)
    conn.execute("ALTER TABLE capture DROP COLUMN date_source")
    conn.execute('ALTER TABLE "check" DROP COLUMN date_source')
    # Migrations after this one are undone too (they are additive: their tables go).
    conn.execute("DROP TABLE IF EXISTS identity_conflict")
    conn.execute("DROP INDEX check_run")  # and the run of each check (V_CHECK_RUN)
    conn.execute('ALTER TABLE "check" DROP COLUMN run')
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(V_DATE_SOURCE_CANARY)}")
    conn.commit()
    conn.close()
    result = invoke("verify", case)
    assert result.exit_code == 0, result.output
    with open_case(case) as opened:
        assert opened.db.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert opened.db.execute('SELECT date_source FROM "check"').fetchone()[0] is None
