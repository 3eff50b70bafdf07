"""Publication safety: hostile page names escaped everywhere, formulas neutralised, RTL overrides
made visible, and redaction that is consistent and keeps page names."""

from __future__ import annotations

import csv
import re
import sqlite3

import pytest
from report_builder import HOSTILE_FORMULA, HOSTILE_RTL, synthetic

from toolkit.report.redact import SALT_KEY, Redactor

ALL_FILES = ["report.md", "report.html", "items.csv", "clusters.csv", "report.json", "items.json", "stamp.json"]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return synthetic(tmp_path_factory.mktemp("safety") / "hostile")


def run(case, out, *extra):
    from typer.testing import CliRunner

    from toolkit.cli import app

    result = CliRunner().invoke(app, ["report", str(case), "--as-of", "2021-05-31", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def plain(case, tmp_path_factory):
    return run(case, tmp_path_factory.mktemp("plain") / "r")


@pytest.fixture(scope="module")
def masked(case, tmp_path_factory):
    return run(case, tmp_path_factory.mktemp("masked") / "r", "--redact")


def test_html_escapes_every_platform_value(plain):
    html = (plain / "report.html").read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Cruce VIP" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # Self-contained: nothing is loaded from anywhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<svg" in html and "<link" not in html


def test_markdown_cannot_carry_markup(plain):
    md = (plain / "report.md").read_text()
    assert "<script" not in md
    assert "&lt;script&gt;alert('x')&lt;/script&gt; Cruce VIP" in md


def test_csv_neutralises_formulas(plain):
    with open(plain / "items.csv", newline="", encoding="utf-8-sig") as handle:
        rows = {row["key"]: row for row in csv.DictReader(handle)}
    assert rows["formula.page"]["name"] == "'" + HOSTILE_FORMULA
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_rtl_override_is_shown_not_applied(plain):
    for name in ALL_FILES:
        text = (plain / name).read_text()
        assert "\u202e" not in text, name
    assert HOSTILE_RTL.replace("\u202e", "<U+202E>") in (plain / "items.csv").read_text()


def test_redaction_masks_contacts_and_profiles_but_keeps_page_names(case, masked):
    for name in ALL_FILES:
        text = (masked / name).read_text()
        for secret in ("525555550101", "5555 0101", "525555550199", "cruces_rapidos", "Juan Pérez", "juan.perez"):
            assert secret not in text, (name, secret)
    md = (masked / "report.md").read_text()
    assert "Cruce Seguro USA" in md and "Quiero cruzar la frontera" in md
    with open(masked / "items.csv", newline="", encoding="utf-8-sig") as handle:  # the spreadsheet's byte-order mark
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    # The same number as a phone and as a WhatsApp contact gets the same mask, so the cluster reads.
    assert rows["1"]["phone"] == rows["2"]["whatsapp"] == rows["3"]["phone"]
    assert re.fullmatch(r"\[phone [0-9a-f]{8}\]", rows["1"]["phone"])
    assert rows["1"]["phone"] != rows["6"]["phone"]
    assert re.fullmatch(r"\[profile [0-9a-f]{8}\]", rows["9"]["name"])
    assert rows["4"]["telegram"] == rows["10"]["telegram"]  # "@cruces_rapidos" and "cruces_rapidos"
    with open(masked / "clusters.csv", newline="", encoding="utf-8-sig") as handle:
        assert {row["shared_contacts"] for row in csv.DictReader(handle) if row["cluster"] == "C1"} == {rows["1"]["phone"]}
    conn = sqlite3.connect(case / "case.db")
    assert conn.execute("SELECT count(*) FROM meta WHERE key = ?", (SALT_KEY,)).fetchone()[0] == 1


def test_redaction_is_stable_across_runs(case, masked, tmp_path):
    again = run(case, tmp_path / "again", "--redact")
    for name in ("report.md", "items.csv", "report.json"):
        assert (again / name).read_bytes() == (masked / name).read_bytes(), name


def test_redactor_masks_contacts_written_in_names():
    redactor = Redactor("salt", [{"type": "phone", "value": "+525555550101", "matched": "55 5555 0101"}])
    text = redactor.text("Cruce seguro 55 5555 0101, wa.me/525555550102, +52 (55) 5555-0103, $8000.00 en 2021")
    assert "5555" not in text
    assert "$8000.00 en 2021" in text  # prices and years are not phone numbers
    assert redactor.text("55 5555 0101") == redactor.contact("phone", "+525555550101")
    assert Redactor(None).text("55 5555 0101") == "55 5555 0101"
    assert Redactor("other").contact("phone", "+525555550101") != redactor.contact("phone", "+525555550101")


def test_posts_on_personal_profiles_are_masked_like_the_profile(tmp_path, invoke):
    from report_builder import CaseBuilder

    b = CaseBuilder(tmp_path / "c")
    profile = b.item("maria.g", kind="profile", name="María González")
    post = b.item("maria.g/posts/1", kind="post", name="María González: cruzo gente, 55 5555 0111")
    page_post = b.item("cruce.seguro/posts/2", kind="post", name="Cruce Seguro USA")
    b.db.execute("UPDATE item SET parent_id = ? WHERE id = ?", (profile, post))
    for item in (post, page_post):
        b.review(item)
    b.close()
    result = invoke("report", tmp_path / "c", "--redact", "-o", tmp_path / "out", "--format", "csv,md")
    assert result.exit_code == 0, result.output
    for name in ("items.csv", "report.md"):
        text = (tmp_path / "out" / name).read_text()
        assert "María" not in text and "maria.g" not in text and "0111" not in text, name
    assert "Cruce Seguro USA" in (tmp_path / "out" / "items.csv").read_text()
