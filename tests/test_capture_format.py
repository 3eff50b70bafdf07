"""The capture file format (toolkit.sources.browser_capture): what a capture writes reads back the
same, whatever the URL or page holds, and a damaged header is a clear error naming the file."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.case import open_case
from toolkit.errors import InputError
from toolkit.sources.browser_capture import OPENING, capture_file, split_capture

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(url=text, final=st.one_of(st.none(), text), notes=st.lists(text, max_size=3), html=st.binary(max_size=500))
def test_a_capture_reads_back_as_written(url, final, notes, html):
    header = {"url": url, "final_url": final, "notes": notes, "http_status": 200}
    data = capture_file(header, html)
    read, body = split_capture(data)
    assert body == html
    assert {k: read[k] for k in header} == header
    # Nothing a page or URL holds can end the header comment early.
    assert data.index(b"-->") == data.index(b"\n-->\n", len(OPENING)) + 1


@pytest.mark.parametrize(("data", "problem"), [
    (b"<html></html>", "no capture header"),
    (OPENING + b'{"url": "x"', "not closed"),
    (OPENING + b"{nope}\n-->\n<html>", "not valid JSON"),
    (OPENING + b'{"url": "x", "format": "other"}\n-->\n<html>', "not a toolkit-capture-1 header"),
])
def test_a_damaged_capture_is_an_error_naming_the_file(data, problem):
    with pytest.raises(InputError, match=problem) as raised:
        split_capture(data, "captura.html")
    assert raised.value.path == "captura.html"


def test_a_capture_whose_html_was_edited_is_read_with_a_note(tmp_path, invoke, case):
    data = capture_file({"url": "https://www.facebook.com/CruceSeguroUSA.Oficial", "captured_at": "2021-05-17T10:00:00Z"},
                        b'<html><head><meta property="og:url" content="https://www.facebook.com/CruceSeguroUSA.Oficial">'
                        b"<title>Cruce | Facebook</title></head><body>Cruce</body></html>")
    edited = tmp_path / "capture.html"
    edited.write_bytes(data.replace(b"<body>Cruce", b"<body>Otro"))
    result = invoke("scan", case, edited)
    assert result.exit_code == 0, result.output
    assert "does not match the sha256 its header gives" in " ".join(result.stderr.split())


def test_a_case_from_before_attachments_migrates_and_verifies_intact(case, invoke, tmp_path):
    """The attachment table is chained in the custody log: a case sealed before it existed opens,
    gains it, and still verifies."""
    import sqlite3

    from toolkit.store.schema import LATEST, MIGRATIONS, V_ATTACHMENT

    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/CruceSeguroUSA.Oficial\n")
    assert invoke("scan", case, urls).exit_code == 0
    conn = sqlite3.connect(case / "case.db")  # take the schema back to before attachments
    conn.execute("DROP TABLE attachment")
    conn.execute("DROP INDEX check_run")  # a later migration (V_CHECK_RUN) is undone too
    conn.execute('ALTER TABLE "check" DROP COLUMN run')
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(V_ATTACHMENT)}")
    conn.commit()
    conn.close()
    result = invoke("verify", case)
    assert result.exit_code == 0 and "intact" in result.stdout, result.output
    conn = sqlite3.connect(case / "case.db")  # verify reads only: it checked a migrated copy
    assert conn.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS.index(V_ATTACHMENT)
    conn.close()
    with open_case(case):  # any other command upgrades the case
        pass
    assert invoke("verify", case).exit_code == 0
    conn = sqlite3.connect(case / "case.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 0
    conn.close()
