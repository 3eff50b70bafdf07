"""`toolkit lexicon eval`: figures worked by hand on a tiny labelled set, reading labelled files, the CLI."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from toolkit.errors import InputError
from toolkit.lexicon.evaluate import Labelled, Result, figures, read_labelled, roc_auc, sweep


def _result(label: str, score: float, category: str | None, language: str = "es") -> Result:
    flagged = category is not None and score >= 25
    return Result(Labelled("t", label, language, "", 0), score, category, flagged, "", [], [])


# Scores chosen by hand; threshold 25.
TINY = [
    _result("smuggling_offer", 80, "smuggling_offer"),  # hit, right category
    _result("drug_sale", 40, "smuggling_offer", "en"),  # hit, wrong category
    _result("smuggling_offer", 10, "smuggling_offer"),  # miss
    _result("news", 50, "smuggling_offer"),  # false alarm
    _result("news", 0, None),
    _result("none", 30, "smuggling_offer"),  # false alarm
    _result("none", 0, None),
    _result("none", 0, None),
]


def test_figures_worked_by_hand():
    f = figures(TINY)
    assert f["offers"] == {"n": 3, "flagged": 2, "recall": pytest.approx(2 / 3)}
    # 2 flagged offers; 1 flagged unrelated text; 1 flagged news story.
    assert f["precision"] == {"vs_unrelated": pytest.approx(2 / 3), "vs_news_warnings": pytest.approx(2 / 3),
                              "overall": pytest.approx(2 / 4)}
    assert f["false_alarms"] == {"unrelated": 1, "of_unrelated": 3, "news_warnings": 1, "of_news_warnings": 2}
    # Offers 80, 40, 10 against news 50, 0: 80>50, 80>0, 40>0, 10>0 win; 40<50, 10<50 lose: 4 of 6.
    # Against unrelated 30, 0, 0: 80 and 40 beat all three, 10 beats two: 8 of 9.
    assert f["roc_auc"] == {"offers_vs_news_warnings": pytest.approx(4 / 6), "offers_vs_unrelated": pytest.approx(8 / 9)}
    by_category = {row["category"]: row for row in f["categories"]}
    # smuggling_offer: 2 labelled, 1 flagged with that category; flagged as smuggling_offer: the
    # offer, the drug sale, the news story and the unrelated text, of which 1 is labelled so.
    assert by_category["smuggling_offer"] == {"category": "smuggling_offer", "n": 2, "flagged": 1, "recall_any": 0.5,
                                              "recall": 0.5, "predicted": 4, "precision": 0.25}
    # The drug sale was flagged, but as smuggling: surfaced (recall_any 1), miscategorised (recall 0).
    assert by_category["drug_sale"]["recall_any"] == 1.0 and by_category["drug_sale"]["recall"] == 0.0
    assert by_category["drug_sale"]["precision"] is None
    languages = {row["language"]: row for row in f["languages"]}
    assert languages["es"] == {"language": "es", "n": 2, "flagged": 1, "recall": 0.5}
    assert languages["en"] == {"language": "en", "n": 1, "flagged": 1, "recall": 1.0}
    none = next(row for row in f["distribution"] if row["label"] == "none")
    assert (none["n"], none["min"], none["median"], none["max"], none["mean"]) == (3, 0.0, 0.0, 30.0, 10.0)


def test_sweep_worked_by_hand():
    """TINY's scores at other thresholds; texts without a category are never flagged (news 0, none 0)."""
    rows = {row["threshold"]: row for row in sweep(TINY, [0, 25, 45, 90])}
    # At 0: the three offers, the news story at 50 and the unrelated text at 30.
    assert rows[0] == {"threshold": 0.0, "flagged": 5, "offers_flagged": 3, "recall": 1.0, "false_alarms_unrelated": 1,
                       "false_alarms_news_warnings": 1, "precision_overall": pytest.approx(3 / 5)}
    # At 25, the evaluation's own threshold: the same counts as `figures`.
    assert rows[25] == {"threshold": 25.0, "flagged": 4, "offers_flagged": 2, "recall": pytest.approx(2 / 3),
                        "false_alarms_unrelated": 1, "false_alarms_news_warnings": 1, "precision_overall": 0.5}
    assert (rows[45]["flagged"], rows[45]["offers_flagged"], rows[45]["false_alarms_unrelated"],
            rows[45]["false_alarms_news_warnings"]) == (2, 1, 0, 1)
    assert rows[90] == {"threshold": 90.0, "flagged": 0, "offers_flagged": 0, "recall": 0.0, "false_alarms_unrelated": 0,
                        "false_alarms_news_warnings": 0, "precision_overall": None}


def test_roc_auc_counts_ties_as_half_and_needs_both_sides():
    assert roc_auc([1, 2], [2, 3]) == pytest.approx(0.5 / 4)
    assert roc_auc([5, 5], [5]) == 0.5
    assert roc_auc([3], [1, 2]) == 1.0
    assert roc_auc([], [1]) is None and roc_auc([1], []) is None


def test_outcomes():
    assert [r.outcome for r in TINY] == ["hit", "hit", "miss", "false_alarm", "pass", "false_alarm", "pass", "pass"]
    assert _result("smuggling_information", 90, "smuggling_information").outcome == "other"


def test_reads_csv_and_jsonl(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("text,label,language,source\nCruce seguro,smuggling_offer,es,http://x\nHola,none,,\n", encoding="utf-8")
    assert read_labelled(path) == [Labelled("Cruce seguro", "smuggling_offer", "es", "http://x", 2),
                                   Labelled("Hola", "none", "", "", 3)]
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'{"text": "Cruce seguro", "label": "smuggling_offer"}\n\n{"text": "Hola", "label": "news"}\n')
    assert [(x.label, x.line) for x in read_labelled(path)] == [("smuggling_offer", 1), ("news", 3)]


@pytest.mark.parametrize("name, content, problem", [
    ("a.csv", "text,kind\nx,none\n", "a.csv:1: no column label"),
    ("a.csv", "text,label\nx,offer\n", "a.csv:2: unknown label 'offer'"),
    ("a.csv", "text,label\n ,none\n", "a.csv:2: empty text"),
    ("a.jsonl", '{"text": "x", "label": "none"}\nnot json\n', "a.jsonl:2: not JSON"),
    ("a.jsonl", '["x", "none"]\n', "a.jsonl:1: not a JSON object"),
    ("a.csv", "text,label\n", "a.csv: no labelled texts"),
])
def test_bad_labelled_files_are_named_with_their_line(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_labelled(path)
    assert f"{tmp_path}/{problem}" in str(caught.value)


LABELLED = """text,label,language,source
"Cruce seguro a USA, salida esta semana, $7,500, pago al llegar, WhatsApp +52 55 5555 0101",smuggling_offer,es,synthetic
zorrito veloz,smuggling_offer,es,synthetic
"Detienen a coyote en Reynosa, informó la fiscalía",news,es,synthetic
Pollería: pollos asados,none,es,synthetic
"""

MINE = """[lexicon]
name = "mine"
version = "1"
category = "smuggling_offer"

[[terms]]
term = "zorrito veloz"
weight = 5
meaning = "a made-up page name, for the test"
"""


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text(LABELLED, encoding="utf-8")
    return path


def test_eval_json(invoke, labelled):
    result = invoke("lexicon", "eval", str(labelled), "--format", "json")
    assert result.exit_code == 0, result.output
    out = orjson.loads(result.stdout)
    assert out["threshold"] == 20.0 and out["texts"] == 4
    assert out["offers"] == {"n": 2, "flagged": 1, "recall": 0.5}
    assert out["false_alarms"]["unrelated"] == 0 and out["false_alarms"]["news_warnings"] == 0
    [miss] = out["wrong"]["misses"]
    assert miss["text"] == "zorrito veloz" and miss["line"] == 3 and miss["outcome"] == "miss"
    assert any(name.startswith("smuggling_offer@3.2#") for name in out["lexicons"])


def test_eval_with_an_edited_lexicon_added_and_a_threshold(invoke, labelled, tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(MINE, encoding="utf-8")
    result = invoke("lexicon", "eval", str(labelled), "--lexicon", str(mine), "--threshold", "15", "--format", "json")
    assert result.exit_code == 0, result.output
    out = orjson.loads(result.stdout)
    assert out["offers"]["recall"] == 1.0 and out["threshold"] == 15.0
    # The sweep includes the threshold asked for, and agrees with the figures at it.
    at = {row["threshold"]: row for row in out["thresholds"]}
    assert at[15.0]["offers_flagged"] == out["offers"]["flagged"] == 2 and at[15.0]["recall"] == 1.0
    assert [row["threshold"] for row in out["thresholds"]] == sorted(at) and 5.0 in at and 70.0 in at
    assert "added" in result.stderr and any(name.startswith("mine@1#") for name in out["lexicons"])


def test_eval_lexicon_of_a_shipped_name_replaces_it(invoke, labelled, tmp_path):
    copy = tmp_path / "extortion.toml"
    copy.write_text(MINE.replace('name = "mine"', 'name = "extortion"').replace('"smuggling_offer"', '"extortion"'),
                    encoding="utf-8")
    result = invoke("lexicon", "eval", str(labelled), "-l", str(copy), "--format", "json")
    assert result.exit_code == 0, result.output
    assert "in place of the loaded one" in result.stderr
    assert [n for n in orjson.loads(result.stdout)["lexicons"] if n.startswith("extortion@")] == [
        n for n in orjson.loads(result.stdout)["lexicons"] if n.startswith("extortion@1#")]


def test_eval_csv_is_one_row_per_text_and_formula_safe(invoke, labelled, tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text(LABELLED + '"=HYPERLINK(""http://x"")",none,en,synthetic\n', encoding="utf-8")
    result = invoke("lexicon", "eval", str(path), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5 and rows[0]["outcome"] == "hit" and rows[2]["outcome"] == "pass"
    assert rows[4]["text"].startswith("'=")


def test_eval_table_and_case_threshold(invoke, labelled, case):
    (case / "case.toml").write_text((case / "case.toml").read_text(encoding="utf-8").replace(
        "min_score = 20", "min_score = 90"), encoding="utf-8")
    result = invoke("lexicon", "eval", str(labelled), "--case", str(case))
    assert result.exit_code == 0, result.output
    assert "threshold 90" in result.stdout and "offers flagged (recall)" in result.stdout
    assert "misses (offers not flagged)" in result.stdout and "ROC AUC" in result.stdout


def test_eval_bad_file_is_one_line_error(invoke, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nx,offer\n", encoding="utf-8")
    result = invoke("lexicon", "eval", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: unknown label 'offer'" in result.output
