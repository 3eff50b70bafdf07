"""`toolkit lexicon ...`, tagging during `toolkit scan`, `scan --retag`, and `items --min-score/--category`."""

from __future__ import annotations

import sqlite3

import orjson

EXPORT = """url,name
https://www.facebook.com/CruceDemo.ejemplo,"Cruce seguro a USA, salida esta semana, $7,500, pago al llegar, WhatsApp +52 55 5555 0101"
https://www.facebook.com/NoticiasDemo.ejemplo,"Detienen a coyote en Reynosa, informó la fiscalía"
https://www.facebook.com/PolleriaDemo.ejemplo,"Pollería: pollos asados"
https://www.facebook.com/LanchaDemo.ejemplo,"Lancha rapida a Florida, 9 mil"
"""

MINE = """[lexicon]
name = "mine"
version = "{version}"
category = "smuggling_offer"

[[terms]]
term = "lancha rapida"
weight = 3
meaning = "Speedboat crossings (fictional test term)."
ambiguity = "Boat sales."
"""


def counts(case):
    conn = sqlite3.connect(case / "case.db")
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("hit", "indicator", "score")}
    finally:
        conn.close()


def rows(case, sql):
    conn = sqlite3.connect(case / "case.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def scan_export(invoke, case, tmp_path):
    export = tmp_path / "found.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = invoke("scan", case, export, "--quiet")
    assert result.exit_code == 0, result.output


def test_lexicon_list_show_check(invoke, tmp_path):
    result = invoke("lexicon", "list", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "smuggling_offer,3.2,terms,smuggling_offer" in result.stdout
    result = invoke("lexicon", "show", "places", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.stdout)
    assert any(t["term"] == "Reynosa" and t["value"] == "Reynosa, MX" for t in shown)
    mine = tmp_path / "mine.toml"
    mine.write_text(MINE.format(version="1"), encoding="utf-8")
    result = invoke("lexicon", "check", mine)
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stderr and "mine@1" in result.stderr
    mine.write_text(MINE.format(version="1") + 'requires = ["telepathy"]\n', encoding="utf-8")
    result = invoke("lexicon", "check", mine)
    assert result.exit_code == 1
    assert "term 'lancha rapida'" in result.stderr and "telepathy" in result.stderr


def test_lexicon_test_prints_hits_indicators_score_and_escapes_markup(invoke):
    result = invoke("lexicon", "test", "Cruce seguro [bold]x[/bold], pago al llegar, $7,500, wa.me/5215555550101")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[bold]x[/bold]" in out  # user text is printed literally, never as markup
    assert "cruce seguro" in out and "pago al llegar" in out
    assert "7500 USD" in out and "+525555550101" in out
    assert "category smuggling_offer" in out


def test_lexicon_test_reads_stdin_and_uses_named_lexicons(invoke):
    result = invoke("lexicon", "test", "-", "--lexicon", "drug_sale", input="M30 💊 envíos discretos 55 5555 0101")
    assert result.exit_code == 0, result.output
    assert "category drug_sale" in result.stdout


def test_scan_tags_and_items_filter(invoke, case, tmp_path):
    scan_export(invoke, case, tmp_path)
    assert counts(case)["score"] == 4
    assert counts(case)["hit"] > 5
    assert ("phone", "+525555550101") in rows(case, "SELECT type, value FROM indicator")
    assert ("place", "Reynosa, MX") in rows(case, "SELECT type, value FROM indicator")
    lexicons = {r[0] for r in rows(case, "SELECT DISTINCT lexicon FROM hit")}
    assert "smuggling_offer@3.2" in lexicons
    result = invoke("items", case, "--min-score", "50", "--format", "json")
    assert result.exit_code == 0, result.output
    items = orjson.loads(result.stdout)
    assert [i["name"][:12] for i in items] == ["Cruce seguro"]
    assert items[0]["category"] == "smuggling_offer" and "pago al llegar" in items[0]["tags"]
    result = invoke("items", case, "--category", "smuggling_offer", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "Cruce seguro" in result.stdout and "Pollería" not in result.stdout
    result = invoke("items", case, "--category", "weapons")
    assert result.exit_code == 2


def test_retag_after_a_lexicon_change_keeps_old_hits_and_never_duplicates(invoke, case, tmp_path):
    scan_export(invoke, case, tmp_path)
    before = counts(case)
    result = invoke("scan", case, "--retag")
    assert result.exit_code == 0, result.output
    assert "Re-tagged 0 of 4" in result.stderr
    assert counts(case) == before

    (case / "mine.toml").write_text(MINE.format(version="1"), encoding="utf-8")
    config = (case / "case.toml").read_text(encoding="utf-8").replace('lexicons = ["default"]', 'lexicons = ["default", "mine.toml"]')
    (case / "case.toml").write_text(config, encoding="utf-8")
    result = invoke("scan", case, "--retag")
    assert result.exit_code == 0, result.output
    after = counts(case)
    assert after["score"] == before["score"] + 4
    assert after["hit"] == before["hit"] + 1  # only the new lexicon's hit; shipped hits not written again
    assert after["indicator"] == before["indicator"]
    assert rows(case, "SELECT lexicon, matched FROM hit WHERE term = 'lancha rapida'") == [("mine@1", "Lancha rapida")]
    result = invoke("items", case, "--query", "Lancha", "--format", "json")
    assert orjson.loads(result.stdout)[0]["category"] == "smuggling_offer"

    assert invoke("scan", case, "--retag").exit_code == 0
    assert counts(case) == after  # unchanged lexicons: nothing added

    (case / "mine.toml").write_text(MINE.format(version="2"), encoding="utf-8")
    assert invoke("scan", case, "--retag").exit_code == 0
    assert sorted(rows(case, "SELECT lexicon FROM hit WHERE term = 'lancha rapida'")) == [("mine@1",), ("mine@2",)]


def test_scan_usage_errors(invoke, case, tmp_path):
    result = invoke("scan", case)
    assert result.exit_code == 2 and "no exports given" in result.stderr
    result = invoke("scan", case, tmp_path, "--retag")
    assert result.exit_code == 2


def test_bad_case_lexicon_is_a_clear_error(invoke, case):
    (case / "bad.toml").write_text('[lexicon]\nname = "bad"\nversion = "1"\ncategory = "other"\n[[terms]]\nterm = "x"\nweight = -1\n',
                                   encoding="utf-8")
    config = (case / "case.toml").read_text(encoding="utf-8").replace('lexicons = ["default"]', 'lexicons = ["bad.toml"]')
    (case / "case.toml").write_text(config, encoding="utf-8")
    result = invoke("scan", case, "--retag")
    assert result.exit_code == 1
    assert "bad.toml: term 'x': weight must be a number" in result.stderr


def test_scan_summary_counts_tagged_categories(invoke, case, tmp_path):
    export = tmp_path / "found.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = invoke("scan", case, export)
    assert result.exit_code == 0, result.output
    assert "Tagged 4 captures: " in result.stderr
    # The offer, and the boat to Florida for 9,000 (a boat with a price now counts as a weak offer);
    # not the news story nor the chicken shop.
    assert "2 smuggling_offer" in result.stderr


def test_item_tags_give_the_review_screen_spans_to_highlight(invoke, case, tmp_path):
    from toolkit.store import connect
    from toolkit.store.tags import item_tags

    scan_export(invoke, case, tmp_path)
    conn = connect(case / "case.db")
    try:
        item_id = conn.execute("SELECT id FROM item WHERE name LIKE 'Cruce seguro%'").fetchone()[0]
        name = conn.execute("SELECT name FROM capture WHERE item_id = ?", (item_id,)).fetchone()[0]
        found = item_tags(conn, item_id)
    finally:
        conn.close()
    assert {h["term"] for h in found["hits"]} >= {"cruce seguro", "pago al llegar"}
    for hit in found["hits"]:
        assert name[hit["start"]:hit["end"]] == hit["matched"]
    assert {(i["type"], i["value"]) for i in found["indicators"]} >= {("phone", "+525555550101"), ("price", "7500 USD")}
