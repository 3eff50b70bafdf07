"""What the people investigated write cannot drive the researcher's terminal or spreadsheet (issue 16).

Terminal: file names, page names, failure causes and JSON snippets reach `scan`, `items`, `show`,
`detect`, the review screen and `lexicon test` with every control character (escape sequences,
carriage returns, line breaks) and bidi control shown as a token such as <U+001B>. CSV: a cell
holding any locale's delimiter is quoted, and formulas are neutralised after normalisation
(full-width ＝, leading spaces and quotes), in `items --format csv`, the report's items.csv and the
review sheet.
"""

from __future__ import annotations

import csv
import io
import json

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from review_data import add_item

from toolkit.case import open_case
from toolkit.neutralise import csv_cell, csv_line, csv_row, neutral, printable, printable_json, safe_cell
from toolkit.report.render_tables import _cell
from toolkit.report.render_tables import write_csv as write_report_csv

# An escape sequence that clears the screen and recolours, one that sets the window title, a
# carriage return that would overwrite the line, a backspace, a bell, a C1 CSI and a bidi override.
HOSTILE = "Cruce\x1b[2J\x1b[31m rojo\x1b]0;pwned\x07\rFAKE\x08\x9b31m\u202eoicer"
SPREADSHEET = "Cruce;=cmd|' /C calc'!A0;"
# As written: quoted (a comma-separated reader sees one cell) and neutralised after the ";" (a reader
# splitting on ";" sees "'=cmd..." as a cell of its own: text, not a formula).
WRITTEN = "\"Cruce;'=cmd|' /C calc'!A0;\""
RAW = ("\x1b", "\r", "\x07", "\x08", "\x9b", "\u202e")


def clean(text: str) -> bool:
    return not any(c in text for c in RAW)


def test_printable_shows_every_control_as_a_token():
    assert printable("a\x1b[31mb\nc\td\u202e") == "a<U+001B>[31mb<U+000A>c<U+0009>d<U+202E>"
    assert printable("línea\nsiguiente\r", lines=True) == "línea\nsiguiente<U+000D>"
    assert printable("Cruce Seguro – ñandú 😀") == "Cruce Seguro – ñandú 😀"


@given(st.text())
def test_nothing_printable_lets_through_can_act_on_a_terminal(text):
    shown = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068"
                   "\u2069\u200e\u200f\u061c\u2028\u2029" for c in shown)


@given(st.text())
def test_json_escaping_keeps_the_data(text):
    assert json.loads(printable_json(orjson.dumps({"v": text}).decode())) == {"v": text}
    assert clean(printable_json(orjson.dumps(text).decode()))


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "＝1+1", "＋1", "﹦1", " =1+1", "\u00a0=1", '"=1+1',
                                  "'=1+1", "“=1+1", "\u3000＝cmd|' /C calc'!A0", "\t=1", "\r=1", "\u202e=1"])
def test_formula_starts_are_neutralised_after_normalisation(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Cruce Seguro", "1+1", "mail@example.org", "https://x.org/?a=1", "", "a, -1",
                                  "WhatsApp, +52 55 5555 0101", "a;b", "a\tb"])
def test_ordinary_cells_are_left_alone(cell):
    assert safe_cell(cell) == cell


@pytest.mark.parametrize(("cell", "written"), [
    ("Cruce;=cmd|' /C calc'!A0;", "Cruce;'=cmd|' /C calc'!A0;"), ("a; ＝1+1", "a;' ＝1+1"), ("a\t@SUM(1)", "a\t'@SUM(1)"),
    ("=1;+2", "'=1;'+2"),
])
def test_parts_a_semicolon_or_tab_reader_would_split_off_are_neutralised(cell, written):
    assert safe_cell(cell) == written


@given(st.lists(st.one_of(st.none(), st.integers(), st.text()), max_size=6))
def test_any_csv_row_reads_back_cell_for_cell(cells):
    line = csv_row(cells)
    back = next(csv.reader(io.StringIO(line)), [])
    expected = ["" if c is None else csv_cell(c) if isinstance(c, str) else str(c) for c in cells]
    assert back == (expected if cells != [None] and cells != [""] else back)
    assert clean(line.replace("\t", "")) or not any(isinstance(c, str) for c in cells)


@given(st.text())
def test_every_cell_holding_a_delimiter_of_any_locale_is_quoted(text):
    field = csv_row([text])[:-1]
    if any(d in csv_cell(text) for d in ',;\t"\n'):
        assert field.startswith('"') and field.endswith('"')


# Cells made of what decides the path: letters and digits, formula starts (plain, full-width,
# after a combining mark), inner delimiters, line breaks, quotes and bidi controls.
TRICKY = st.text(alphabet="aZ19;=+-@ \t\r\n'\"\u00a0\uff1d\u0301\u202e\x1b")


@given(TRICKY | st.text())
@example("a;=1")
@example("Z\t=1")
@example("1\r=1")
@example("a\u202e")
@example("a\u0301=1")
def test_the_quick_path_for_plain_cells_gives_what_the_full_one_does(text):
    # csv_cell skips the work for printable cells starting with an ASCII letter or digit: the
    # result must be what neutralising, folding line breaks and safe_cell give.
    assert csv_cell(text) == safe_cell(neutral(text).replace("\r\n", "\n").replace("\r", "\n"))


@given(st.lists(st.tuples(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
                          st.one_of(st.none(), st.text(max_size=3), st.integers(0, 2))), max_size=8),
       st.booleans())
def test_the_report_csv_writer_gives_the_line_writer_s_bytes(rows, raw):
    # The report's writer works column by column and renders each distinct string once; the result
    # is what writing each row through csv_line gives (1, 1.0 and True stay distinct).
    columns = ["a", "b"]
    expected = "".join(csv_line(_cell(value, raw) for value in row) for row in [columns, *rows])
    assert write_report_csv(columns, [list(row) for row in rows], raw_cells=raw) == expected


def _item(case, name: str, text: str = "Cruce seguro, pago al llegar") -> int:
    with open_case(case) as opened:
        opened.db.execute("BEGIN")
        item_id = add_item(opened.db, "CruceSeguro", name=name, text=text, score=90.0, category="smuggling_offer",
                           terms=("pago al llegar",))
        opened.db.execute("COMMIT")
    return item_id


def test_scan_shows_hostile_file_names_and_causes_escaped(invoke, case, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    name = "evil\x1b]0;pwned\x07\x1b[2J\nFAKE: 0 records.ndjson"
    line = {"nav_index": "1", "timestamp_collected": 1618567200000, "source_platform": "\x1b[31mrojo\x07",
            "source_platform_url": "https://x/", "data": {"id": "1"}}
    good = {"nav_index": "2", "timestamp_collected": 1618567200000, "source_platform": "tiktok.com",
            "source_platform_url": "https://www.tiktok.com/",
            "data": {"id": "6944300000000000001", "desc": "Salida #cruce", "createTime": 1616371200,
                     "author": {"uniqueId": "cuenta_1", "nickname": "Cuenta\x1b[2J", "id": "680001"}}}
    (folder / name).write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(line) + b"\n{\"broken\x1b[2J\n")
    result = invoke("scan", case, folder)
    assert result.exit_code == 0, result.output
    assert clean(result.stderr) and clean(result.stdout)
    assert "evil<U+001B>]0;pwned<U+0007><U+001B>[2J<U+000A>FAKE: 0 records.ndjson" in result.stderr
    assert "<U+001B>[31mrojo<U+0007>" in result.stderr


def test_items_show_and_review_screen_escape_page_names(invoke, case):
    item_id = _item(case, HOSTILE, text="Salida\x1b[2J hoy\n" + "pago al llegar\x1b]0;x\x07")
    for command in (["items", case], ["items", case, "--format", "json"], ["items", case, "--format", "csv"],
                    ["show", case, str(item_id)], ["show", case, str(item_id), "--format", "json"],
                    ["review", case, "--reviewer", "ana"]):
        result = invoke(*command, input="q")
        assert result.exit_code == 0, result.output
        assert clean(result.stdout) and clean(result.stderr), command
    screen = invoke("review", case, "--reviewer", "ana", input="q").stderr
    assert "Cruce<U+001B>[2J" in screen and "Salida<U+001B>[2J hoy" in screen
    assert json.loads(invoke("items", case, "--format", "json").stdout)[0]["name"] == HOSTILE  # the data is intact


def test_the_review_screen_keeps_hits_in_place_around_escaped_characters():
    from toolkit.cli.review_screen import highlighted

    text = "a\x1b[2Jb pago al llegar"
    start = text.index("pago")
    shown = highlighted(text, [{"field": "text", "start": start, "end": start + 14}], "text")
    assert shown.plain == "a<U+001B>[2Jb pago al llegar"
    (span,) = shown.spans
    assert shown.plain[span.start:span.end] == "pago al llegar"


def test_detect_and_lexicon_test_escape_page_text(invoke, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(f"<html><head><title>{HOSTILE}</title><meta property='og:url' "
                    "content='https://www.facebook.com/CruceSeguro'></head><body>hola</body></html>")
    for command in (["detect", page], ["detect", page, "--format", "json"], ["lexicon", "test", HOSTILE]):
        result = invoke(*command)
        assert result.exit_code == 0, result.output
        assert clean(result.stdout) and clean(result.stderr), command


def test_csv_cells_with_any_delimiter_are_quoted_and_formulas_neutralised(invoke, case, tmp_path):
    item_id = _item(case, SPREADSHEET)
    assert WRITTEN in invoke("items", case, "--format", "csv").stdout
    for command in (["items", case, "--format", "csv"], ["show", case, str(item_id), "--format", "csv"]):
        out = invoke(*command).stdout
        for delimiter in ",;\t":  # Excel in es/pt/fr locales reads ";" as the list separator
            for row in csv.reader(io.StringIO(out), delimiter=delimiter):
                assert not any(cell.lstrip().startswith("=") for cell in row), (command, delimiter)
    sheet = tmp_path / "sheet.csv"
    assert invoke("review", case, "--reviewer", "ana", "--export", sheet).exit_code == 0
    text = sheet.read_text()
    assert WRITTEN in text
    for delimiter in ";\t":
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            assert not any(cell.lstrip().startswith("=") for cell in row)
    # The sheet still round-trips: the quoted name is one cell.
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"] == WRITTEN.strip('"')


def test_report_items_csv_quotes_and_neutralises(invoke, case, tmp_path):
    _item(case, SPREADSHEET)
    other = "＝1+1"
    with open_case(case) as opened:
        opened.db.execute("BEGIN")
        add_item(opened.db, "ViajesNorte", name=other, text="Viajes al norte, pago al llegar", score=80.0,
                 category="smuggling_offer", terms=("pago al llegar",), kind="group")
        opened.db.execute("COMMIT")
    for item in ("1", "2"):
        assert invoke("review", case, "--reviewer", "ana", "--all", input="v" if item == "1" else "vv").exit_code == 0
    out = tmp_path / "report"
    result = invoke("report", case, "--format", "csv", "--output", out, "--as-of", "2021-06-01")
    assert result.exit_code == 0, result.output
    items_csv = (out / "items.csv").read_text()
    assert WRITTEN in items_csv
    assert "'＝1+1" in items_csv
