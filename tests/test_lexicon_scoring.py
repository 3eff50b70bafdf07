"""The labelled table: expected categories, and offers ranked far above news, warnings and look-alikes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from toolkit.lexicon import Tagger, resolve

with (Path(__file__).resolve().parent / "fixtures" / "lexicon" / "labelled.csv").open(encoding="utf-8", newline="") as handle:
    ROWS = list(csv.DictReader(handle))
LOW = 30.0  # news, warnings, wildlife, food and other look-alikes stay under this score
NEGATIVE_GROUPS = {"news", "warning", "wildlife", "food", "benign"}


@pytest.fixture(scope="module")
def scored():
    tagger = Tagger(resolve(["default"]))
    analyses = tagger.analyse_batch([{"text": row["text"]} for row in ROWS])
    return {row["id"]: (row, analysis.score) for row, analysis in zip(ROWS, analyses, strict=True)}


def test_table_is_large_and_covers_every_group_and_language():
    assert len(ROWS) >= 60
    groups = {row["group"] for row in ROWS}
    assert groups >= {"offer", "solicitation", "information", "news", "warning", "wildlife", "food", "drug",
                      "recruitment", "extortion"}
    assert {row["lang"] for row in ROWS} >= {"es", "en", "pt", "ht"}


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_expected_category(scored, row):
    _, score = scored[row["id"]]
    if row["expected"]:
        assert score.category == row["expected"], score.explanation
        assert score.score >= LOW, score.explanation
    else:
        assert score.score < LOW, score.explanation


def test_offers_rank_far_above_news_and_warnings(scored):
    offers = [s.score for row, s in scored.values() if row["group"] == "offer"]
    negatives = [s.score for row, s in scored.values() if row["group"] in NEGATIVE_GROUPS]
    assert min(offers) >= 60
    assert min(offers) >= max(negatives) + 30
    # Every offer outranks every news story and warning that uses the same words.
    assert min(offers) > 3 * max(s.score for row, s in scored.values() if row["group"] in {"news", "warning"})


def test_explanation_names_terms_signals_and_negatives(scored):
    _, offer = scored["o01"]
    terms = {t["term"] for t in offer.explanation["terms"]}
    assert {"cruce seguro", "pago al llegar"} <= terms
    assert {"contact", "price", "place"} <= set(offer.explanation["signals"])
    _, news = scored["n01"]
    assert "news" in news.explanation["negatives"]["smuggling_offer"]
    _, chicken = scored["f04"]
    assert chicken.category is None


def test_requires_within_counts_a_term_alone_at_a_share():
    tagger = Tagger(resolve(["default"]))
    near = tagger.analyse("pollos para cruzar a USA")
    far = tagger.analyse("pollos " + "palabra " * 30 + "cruzar")
    pollos = next(t for t in near.score.explanation["terms"] if t["term"] == "pollos")
    pollos_far = next(t for t in far.score.explanation["terms"] if t["term"] == "pollos")
    assert pollos["counted"] == 1.0
    assert pollos_far["counted"] < 1.0 and pollos_far["notes"][0].startswith("alone")


def test_excludes_drop_a_term_in_its_negative_context():
    tagger = Tagger(resolve(["default"]))
    analysis = tagger.analyse("Pollero de la colonia: pollo asado y alitas, cruzando la calle")
    pollero = next(t for t in analysis.score.explanation["terms"] if t["term"] == "pollero")
    assert pollero["counted"] == 0 and "excluded by food" in pollero["notes"]


def test_name_and_text_are_tagged_as_separate_fields_and_scored_together():
    tagger = Tagger(resolve(["default"]))
    [analysis] = tagger.analyse_batch([{"name": "Cruce seguro a USA", "text": "pago al llegar, cel 55 5555 0101"}])
    assert [f.field for f in analysis.fields] == ["name", "text"]
    assert analysis.score.category == "smuggling_offer"
    fields = {t["field"] for t in analysis.score.explanation["terms"]}
    assert fields == {"name", "text"}
    assert "contact" in analysis.score.explanation["signals"]


SELF_PLACED = "Hoy mi primo va a brincar la frontera, que Dios lo cuide"  # the place is the phrase's own word
PLACED = "Brincar la frontera por Tijuana"  # a place of its own beside the phrase


def _term(analysis, name):
    return next(t for t in analysis.score.explanation["terms"] if t["term"] == name)


def test_a_place_inside_a_terms_own_words_is_not_its_co_signal():
    # "brincar la frontera" requires a place; the places lexicon reads "frontera" inside it. That
    # place is the phrase's own word: before, it satisfied the phrase and a family post scored 31.
    tagger = Tagger(resolve(["default"]))
    own = _term(tagger.analyse(SELF_PLACED), "brincar el muro")
    beside = _term(tagger.analyse(PLACED), "brincar el muro")
    assert own["counted"] < 1.0 and own["notes"][0].startswith("alone")
    assert tagger.analyse(SELF_PLACED).score.score < 20
    assert beside["counted"] == 2.0 and not beside["notes"]


@pytest.mark.parametrize("order", [(SELF_PLACED, PLACED), (PLACED, SELF_PLACED)])
def test_the_memo_tells_a_place_inside_a_term_from_one_beside_it(order):
    # Both texts hold the same scoring term and the same signals; only where the place stands
    # differs, so the memoised score of one must not be handed to the other, in either order.
    alone = {text: Tagger(resolve(["default"])).analyse(text).score for text in order}
    shared = Tagger(resolve(["default"]))
    for text in order:
        assert shared.analyse(text).score.raw == alone[text].raw
    batch = Tagger(resolve(["default"])).tag_batch([{"text": text} for text in order])
    assert list(batch.raw) == [alone[text].raw for text in order]
