"""The item appendix's CSV written in pieces (`render_tables.column_pieces`, items.csv through
`output.documents`): the same bytes as the whole table, every row ending its line, whatever the
number of rows against the size of a piece."""

from __future__ import annotations

import pytest
from report_builder import june_2021

from toolkit.case import open_case
from toolkit.neutralise import csv_field, csv_line
from toolkit.report.build import build_report
from toolkit.report.output import documents, render
from toolkit.report.render_tables import _cell, column_pieces, csv_files, write_columns


def _by_rows(header, columns, bom=False):
    """The table written a line at a time, the plainest way (`csv_line` of each row's cells)."""
    rows = [csv_line(_cell(v) for v in row) for row in zip(*columns, strict=True)]
    return ("\ufeff" if bom else "") + csv_line(_cell(c) for c in header) + "".join(rows)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7])
def test_pieces_are_the_table(n):
    header = ["id", "name", "status"]
    columns = [list(range(1, n + 1)), [f"=cmd {i}" if i % 3 == 0 else f"Cruce, {i}" for i in range(n)],
               ["available" if i % 2 else None for i in range(n)]]
    pieces = list(column_pieces(header, columns, bom=True, chunk=2))
    assert "".join(pieces) == write_columns(header, columns, bom=True) == _by_rows(header, columns, bom=True)
    assert len(pieces) == 1 + -(-n // 2)  # the header, then a piece per two rows


def test_a_row_of_one_empty_field_still_ends_its_line():
    assert write_columns(["note"], [[""]]) == "note\n\n"
    assert write_columns(["note"], [[None, None]]) == "note\n\n\n"
    assert csv_field("") == ""


def test_documents_write_the_csv_files_as_rendered(tmp_path):
    root = june_2021(tmp_path / "case")
    with open_case(root) as opened:
        report = build_report(opened.db, opened.config, "2021-12-31T23:59:59Z")
    written = {name: data if isinstance(data, bytes) else b"".join(data) for name, data in documents(report, ["csv"])}
    assert written == {name: text.encode() for name, text in csv_files(report).items()}
    assert next(iter(written)) == "items.csv" and written["items.csv"].startswith(b"\xef\xbb\xbf")
    assert render(report, ["csv"]) == csv_files(report)
