"""`toolkit lexicon reviewed CASE --out FILE`: a case's verdicts as a labelled file that `lexicon
eval` and `lexicon train` read."""

from __future__ import annotations

import json
import sqlite3

from review_data import RECIPE, merge, populate, record_review


def test_verdicts_become_labelled_texts(case, invoke, tmp_path):
    ids = populate(case)
    record_review(case, ids["cruceseguro"], "violating", "2021-04-20T09:00:00Z", category="smuggling_offer")
    record_review(case, ids["viajesnorte"], "violating", "2021-04-12T09:00:00Z")  # no category: the score's
    record_review(case, ids["noticias"], "not_violating", "2021-04-12T09:00:00Z")
    record_review(case, ids["tiktok"], "unsure", "2021-04-12T09:00:00Z")
    # recetas merged into noticias: its later verdict is the group's.
    merge(case, ids["noticias"], ids["recetas"])
    record_review(case, ids["recetas"], "not_violating", "2021-04-21T09:00:00Z")
    out = tmp_path / "reviewed.jsonl"
    result = invoke("lexicon", "reviewed", case, "--out", out)
    assert result.exit_code == 0, result.output
    assert "3 texts (none 1, smuggling_offer 2); left out: unsure verdict 1" in " ".join(result.output.split())
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(row["item_id"], row["label"]) for row in rows] == [
        (ids["cruceseguro"], "smuggling_offer"), (ids["viajesnorte"], "smuggling_offer"), (ids["noticias"], "none")]
    assert rows[0]["text"].startswith("Cruce Seguro USA\nCruce seguro a USA") and rows[0]["language"] == "es"
    assert rows[0]["source"] == "https://www.facebook.com/cruceseguro"
    # The group's text is its latest capture's: recetas' was recorded after noticias' at the same moment.
    assert rows[2]["text"] == "Noticias Frontera\n" + RECIPE
    # The file is what lexicon eval and lexicon train read.
    measured = invoke("lexicon", "eval", out, "--format", "json")
    assert measured.exit_code == 0, measured.output
    assert json.loads(measured.stdout)["offers"]["n"] == 2
    trained = invoke("lexicon", "train", out, "--out", tmp_path / "mine.npz")
    assert trained.exit_code == 0, trained.output


def test_csv_neutralises_formulas_and_bad_names_are_refused(case, invoke, tmp_path):
    ids = populate(case)
    conn = sqlite3.connect(case / "case.db")
    conn.execute("UPDATE capture SET text = '=HYPERLINK(\"http://x\")' WHERE item_id = ?", (ids["recetas"],))
    conn.execute("UPDATE item SET name = NULL WHERE id = ?", (ids["recetas"],))
    conn.execute("UPDATE capture SET name = NULL WHERE item_id = ?", (ids["recetas"],))
    conn.commit()
    conn.close()
    record_review(case, ids["recetas"], "not_violating", "2021-04-12T09:00:00Z")
    out = tmp_path / "reviewed.csv"
    assert invoke("lexicon", "reviewed", case, "--out", out).exit_code == 0
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8")
    wrong = invoke("lexicon", "reviewed", case, "--out", tmp_path / "reviewed.txt")
    assert wrong.exit_code == 2 and "ending in .jsonl or .csv" in wrong.output
    assert not (tmp_path / "reviewed.txt").exists()
