"""Audit (import): CSV exports as researchers really pass them on (joined downloads, files re-saved
by a spreadsheet) are read right or say what they could not read; never read wrong silently.

The CSVs are made in the test from the project's synthetic fixtures
(`tests/fixtures/crowdtangle/pages.csv`, which imitates the shared sample
`crowdtangle_csv/willdoliver_2021-07-05-22-49-20-BRT-search-csv-export.csv`, and
`tests/fixtures/mcl/mcl_facebook_posts.csv`, which follows the MCL column list of FORMATS.md §2).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from conftest import FIXTURES

CT = FIXTURES / "crowdtangle"
MCL = FIXTURES / "mcl"


def _source(case: Path) -> dict:
    with sqlite3.connect(case / "case.db") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM source ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row)


def _items(case: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(case / "case.db") as conn:
        return conn.execute("SELECT kind, key, name FROM item ORDER BY kind, key").fetchall()


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


# --- Downloads joined into one file (`cat a.csv b.csv > all.csv`): the second header, BOM and all,
# is not a record.

def test_mcl_joined_downloads_repeat_header_is_not_an_item(case, invoke, tmp_path):
    original = (MCL / "mcl_facebook_posts.csv").read_bytes()
    joined = tmp_path / "mcl-all.csv"
    joined.write_bytes(original + (b"" if original.endswith(b"\n") else b"\r\n") + original)
    result = invoke("scan", case, joined)
    assert result.exit_code == 0, result.output
    alone = len(_rows(MCL / "mcl_facebook_posts.csv")) - 1
    source = _source(case)
    assert source["records_read"] == 2 * alone
    assert source["records_failed"] == 0
    keys = {key for _, key, _ in _items(case)}
    assert "id" not in keys and "post_owner.id" not in keys  # the header row made no item
    notes = json.loads(source["notes"])
    assert any(note.startswith("line 6: the header row again") for note in notes), notes


def test_crowdtangle_joined_downloads_repeat_header_is_a_note_not_a_failure(case, invoke, tmp_path):
    original = (CT / "pages.csv").read_bytes()
    joined = tmp_path / "ct-all.csv"
    joined.write_bytes(original + (b"" if original.endswith(b"\n") else b"\r\n") + original)
    result = invoke("scan", case, joined)
    assert result.exit_code == 0, result.output
    source = _source(case)
    assert source["records_failed"] == 0, source["failures"]
    assert source["records_read"] == 2 * (len(_rows(CT / "pages.csv")) - 1)
    notes = json.loads(source["notes"])
    header_notes = [note for note in notes if "the header row again" in note]
    assert len(header_notes) == 1 and header_notes[0].startswith("line ")
    assert not any("time zone" in note for note in notes)  # "Post Created" is not a date


# --- A CSV opened and re-saved by a spreadsheet (Excel, LibreOffice): ids of more than 11 digits are
# saved in scientific notation ("1,00000E+14"), their last digits lost.

def _excel_ids(source: Path, target: Path, columns: tuple[str, ...], delimiter: str) -> Path:
    rows = _rows(source)
    for column in columns:
        index = rows[0].index(column)
        for row in rows[1:]:
            if row[index]:
                row[index] = f"{int(row[index]):.5E}".replace(".", "," if delimiter == ";" else ".")
    return _write(target, rows, delimiter)


def test_crowdtangle_page_ids_rounded_by_a_spreadsheet_are_refused_not_merged(case, invoke, tmp_path):
    # Three pages (100000111000001, 100000222000002, 100000333000003) all become "1,00000E+14".
    export = _excel_ids(CT / "pages.csv", tmp_path / "pages-excel.csv", ("Facebook Id",), ";")
    before = export.read_bytes()
    result = invoke("scan", case, export)
    assert result.exit_code == 1  # nothing could be imported: every row lost its page id
    assert "pages-excel.csv" in result.output and "rounded by a spreadsheet" in result.output
    assert "(line 2)" in result.output
    assert not any("E+" in key for _, key, _ in _items(case))  # no page made of the rounded id
    assert export.read_bytes() == before


def test_mcl_ids_rounded_by_a_spreadsheet_are_refused_not_merged(case, invoke, tmp_path):
    export = _excel_ids(MCL / "mcl_facebook_posts.csv", tmp_path / "mcl-excel.csv", ("id", "post_owner.id"), ",")
    result = invoke("scan", case, export)
    assert result.exit_code == 1
    assert "rounded by a spreadsheet" in result.output and "(line 2)" in result.output
    assert not any("E+" in key for _, key, _ in _items(case))


def test_crowdtangle_rows_with_whole_ids_still_import_beside_rounded_ones(case, invoke, tmp_path):
    rows = _rows(CT / "pages.csv")
    index = rows[0].index("Facebook Id")
    rounded = [row for row in rows[1:] if row[index] == "100000222000002"]
    for row in rounded:
        row[index] = "1.00000E+14"
    export = _write(tmp_path / "pages-some.csv", rows)
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    failures = json.loads(_source(case)["failures"])
    assert failures["rounded-id"]["count"] == len(rounded)
    pages = {key for kind, key, _ in _items(case) if kind == "page"}
    assert pages == {"100000111000001", "100000333000003"}


# --- Dates a spreadsheet re-formatted when it saved the file ("20/09/2010 19:02", day or month
# first): left empty, never guessed, and said with the column and line; never "kept as local times".

def _excel_dates(source: Path, target: Path, columns: tuple[str, ...]) -> Path:
    rows = _rows(source)
    for column in columns:
        index = rows[0].index(column)
        for row in rows[1:]:
            day, time = row[index][:10], row[index][11:16]
            if day:
                row[index] = f"{day[8:10]}/{day[5:7]}/{day[:4]} {time}"
    return _write(target, rows, ";")


def test_crowdtangle_dates_re_formatted_by_a_spreadsheet_are_noted(case, invoke, tmp_path):
    export = _excel_dates(CT / "pages.csv", tmp_path / "pages-dates.csv", ("Post Created", "Page Created"))
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    notes = json.loads(_source(case)["notes"])
    posts = len(_rows(CT / "pages.csv")) - 1
    assert f"line 2: Post Created: {posts} cell(s) not in CrowdTangle's date form" in " ".join(notes)
    assert any(note.startswith("line 2: Page Created: ") and "left empty" in note for note in notes), notes
    assert not any("kept as local times" in note for note in notes), notes  # nothing was kept
    with sqlite3.connect(case / "case.db") as conn:
        assert conn.execute("SELECT count(*) FROM capture WHERE created_at IS NOT NULL").fetchone() == (0,)


def test_crowdtangle_unreadable_post_created_does_not_hide_a_real_zone_note(case, invoke, tmp_path):
    rows = _rows(CT / "pages.csv")
    index = rows[0].index("Post Created")
    rows[1][index] = "02/03/2021 18:02"  # one cell re-typed by hand; the others keep "... EST"
    rows[2][index] = rows[2][index][:19]  # and one without its zone
    result = invoke("scan", case, _write(tmp_path / "pages-mixed.csv", rows))
    assert result.exit_code == 0, result.output
    notes = json.loads(_source(case)["notes"])
    assert any(note.startswith("line 2: Post Created: 1 cell(s) not in") for note in notes), notes
    assert any("Post Created has no time zone" in note for note in notes), notes


def test_mcl_creation_time_re_formatted_by_a_spreadsheet_is_noted(case, invoke, tmp_path):
    rows = _rows(MCL / "mcl_facebook_posts.csv")
    index = rows[0].index("creation_time")
    rows[2][index] = "11/04/2021 08:00"  # Excel's form of "2021-04-11 08:00:00"
    result = invoke("scan", case, _write(tmp_path / "mcl-dates.csv", rows))
    assert result.exit_code == 0, result.output
    notes = json.loads(_source(case)["notes"])
    assert any("creation_time: 1 cell(s) not an ISO date" in note and "'11/04/2021 08:00'" in note
               for note in notes), notes


def test_a_file_whose_every_row_failed_is_an_error_even_with_a_note(case, invoke, tmp_path):
    # Every id rounded, and the downloads joined (a note): still nothing imported, so an error.
    export = _excel_ids(CT / "pages.csv", tmp_path / "pages-excel.csv", ("Facebook Id",), ",")
    joined = tmp_path / "pages-excel-joined.csv"
    joined.write_bytes(export.read_bytes() + export.read_bytes())
    result = invoke("scan", case, joined)
    assert result.exit_code == 1, result.output
    assert "no records could be imported" in result.output and "rounded by a spreadsheet" in result.output
    with sqlite3.connect(case / "case.db") as conn:
        assert conn.execute("SELECT count(*) FROM source").fetchone() == (0,)
