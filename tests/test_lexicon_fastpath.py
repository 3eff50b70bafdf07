"""The batch fast paths (per-post cache key, scoring from term ids) give what the full scorer gives."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from toolkit.lexicon import Tagger, resolve
from toolkit.lexicon.scoring import Scorer

with (Path(__file__).resolve().parent / "fixtures" / "lexicon" / "labelled.csv").open(encoding="utf-8", newline="") as handle:
    TEXTS = [row["text"] for row in csv.DictReader(handle)]
# Overlapping terms, repeats and a post with nothing: the shapes the fast paths must hand back to the full one.
EXTRA = ["cruce cruce seguro cruce", "coyote coyote coyote", "nada que ver aqui", "pago al llegar, pago al llegar",
         # `within` terms near and far from their signals, terms that require a signal they give
         # themselves (alone, repeated, next to another term or an indicator that gives it).
         "entrega hoy mismo, 500 dolares", "entrega " + "palabra " * 20 + "$500", "pollos para cruzar a USA",
         "pollos " + "palabra " * 30 + "cruzar", "💊 disponibles", "💊💊 disponibles $300", "💊 🍁", "m30 m30 azules",
         "m30 azules wa.me/5215555550104", "sicarios", "sicarios bien pagados 8 mil", "levanton", "levanton, amenaza",
         "entrega en Tijuana", "asilo de ancianos y asilo", "WhatsApp 55 5555 0101 entrega", "envios discretos 💰",
         # Compositional rules, handles split into words (overlapping hits), framing signals.
         "Te cobramos 500 dólares por persona", "Si no tienes visa, te llevamos a Houston", "Vendo cocaína $500",
         "medio gramo 80 euros", "@Empresa.4.letras6", "#CruceSeguroUSA pago al llegar", "Si no pagas, te vamos a visitar",
         "Need 2 or 3 drivers, easy cash", "“Cruce seguro a USA $4,500”, informó la fiscalía en TikTok",
         "Lancha, salida esta semana, $1,000 https://www.example.com/noticias/detienen-a-un-coyote-en-reynosa",
         # A place inside a term's own words (not its co-signal) and one beside it, in both orders.
         "brincar la frontera", "brincar la frontera en Tijuana", "Tijuana: brincar la frontera",
         "brincar la frontera, brincar la frontera", "rumbo a usa", "Quer ir para os EUA? R$ 30.000"]


@pytest.mark.parametrize("indicators", [True, False])
def test_batch_scores_equal_the_full_scorer(indicators):
    lexicons = resolve(["default"])
    tagger = Tagger(lexicons)
    texts = TEXTS + EXTRA
    # Twice over, so the second half is answered from the per-post cache.
    analyses = tagger.analyse_batch([{"text": t} for t in texts + texts], indicators=indicators)
    reference = Scorer(lexicons, tagger.matcher.terms)
    scored = 0
    for analysis in analyses:
        if not analysis.fields:
            assert analysis.score.score == 0.0
            continue
        expected = reference.score(analysis.fields) if reference.scoring(analysis.fields[0].hits) else tagger.zero
        got = analysis.score
        assert (got.score, got.raw, got.category) == (expected.score, expected.raw, expected.category)
        assert got.explanation == expected.explanation
        scored += got.score > 0
    assert scored >= len(TEXTS)  # the table is mostly offers and look-alikes that carry terms


@pytest.mark.parametrize("indicators", [True, False])
def test_two_field_scores_equal_the_full_scorer(indicators):
    """Captures with a name and a text: the cheap key across fields gives the full scorer's result."""
    lexicons = resolve(["default"])
    tagger = Tagger(lexicons)
    texts = TEXTS + EXTRA
    records = [{"name": texts[i - 1] if i % 3 else None, "text": text} for i, text in enumerate(texts)]
    records += [{"name": "entrega hoy", "text": "500 dolares, entrega en Tijuana"}, {"name": "💊", "text": "💊 $300"},
                {"name": "sicarios", "text": "sicarios, buena paga"}]
    analyses = tagger.analyse_batch(records + records, indicators=indicators)
    reference = Scorer(lexicons, tagger.matcher.terms)
    two = 0
    for analysis in analyses:
        if not any(reference.scoring(f.hits) for f in analysis.fields):
            assert analysis.score.score == 0.0
            continue
        expected = reference.score(analysis.fields)
        got = analysis.score
        assert (got.score, got.raw, got.category) == (expected.score, expected.raw, expected.category)
        assert got.explanation == expected.explanation
        two += len(analysis.fields) == 2
    assert two >= 40


@pytest.mark.parametrize("indicators", [True, False])
def test_batch_numbers_equal_the_full_scorer(indicators):
    """The batch's columns of score, raw value and category per record are the full scorer's,
    one and two fields alike."""
    lexicons = resolve(["default"])
    tagger = Tagger(lexicons)
    texts = TEXTS + EXTRA
    records = [{"text": t} for t in texts] + [{"name": texts[i - 1] if i % 3 else None, "text": text}
                                              for i, text in enumerate(texts)]
    batch = tagger.tag_batch(records + records, indicators=indicators)
    numbers = list(zip(batch.score.tolist(), batch.raw.tolist(), batch.category, strict=True))
    reference = Scorer(lexicons, tagger.matcher.terms)
    for number, analysis in enumerate(batch.analyses()):
        if not any(reference.scoring(f.hits) for f in analysis.fields):
            assert numbers[number] == (0.0, 0.0, None)
            continue
        expected = reference.score(analysis.fields)
        assert numbers[number] == (expected.score, expected.raw, expected.category), records[number % len(records)]


def test_many_signals_give_the_same_scores():
    """Signals beyond one 64-bit mask (user lexicons with many tags) change no result."""
    lexicons = resolve(["default"])
    plain, crowded = Tagger(lexicons), Tagger(lexicons)
    crowded.scorer.bits.referenced |= {f"tag{n}" for n in range(70)}  # as if user lexicons referred to them
    for n in range(70):
        crowded.scorer.bits[f"tag{n}"]
    texts = TEXTS + EXTRA
    expected = plain.tag_batch([{"text": t} for t in texts])
    got = crowded.tag_batch([{"text": t} for t in texts])
    assert got.category == expected.category
    assert got.score.tolist() == expected.score.tolist()


def test_self_terms_on_overlapping_hits_follow_the_full_scorer(tmp_path):
    """Where hits overlap, a term that requires a signal it gives itself counts in full only when
    a hit at another place gives it: a second term on the very same span does not (the full
    scorer's test), a hit elsewhere does."""
    from toolkit.lexicon import load_lexicon
    from toolkit.lexicon.loader import check_set

    first = tmp_path / "pills_a.toml"
    first.write_text('[lexicon]\nname = "pills_a"\nversion = "1"\ncategory = "drug_sale"\n'
                     '[[terms]]\nterm = "perlas"\nweight = 3\ntags = ["pills"]\nrequires = ["pills"]\n',
                     encoding="utf-8")
    second = tmp_path / "pills_b.toml"
    second.write_text('[lexicon]\nname = "pills_b"\nversion = "1"\ncategory = "drug_sale"\n'
                      '[[terms]]\nterm = "perlas"\nweight = 1\ntags = ["pills"]\n'
                      '[[terms]]\nterm = "perlas azules"\nweight = 1\ntags = ["pills"]\n',
                      encoding="utf-8")
    lexicons = check_set([load_lexicon(first), load_lexicon(second)])
    texts = ["perlas", "perlas azules", "perlas y perlas azules", "hay perlas, perlas", "perlas azules perlas"] * 10
    records = [{"text": t} for t in texts]
    tagger = Tagger(lexicons)
    batch = tagger.tag_batch(records, indicators=False)
    reference = Scorer(lexicons, tagger.matcher.terms)
    numbers = list(zip(batch.score.tolist(), batch.raw.tolist(), batch.category, strict=True))
    for number, analysis in enumerate(batch.analyses()):
        expected = reference.score(analysis.fields)
        assert numbers[number] == (expected.score, expected.raw, expected.category), texts[number]
        assert analysis.score.explanation_json == expected.explanation_json, texts[number]
    alone = {texts[n]: "alone" in batch.scores[n].explanation_json for n in range(5)}
    assert alone["perlas"] is True  # the other lexicon's "perlas" has the same span: not another place


def test_bulk_keys_long_posts_and_within_terms_follow_the_full_scorer():
    """The bulk path's integer keys (term ids in base `radix`, as many as fit in 63 bits) and its
    `within` rule (no required signal anywhere in the field: nothing within reach) give the full
    scorer's results; posts with more hits than a key holds are scored one by one, alike."""
    lexicons = resolve(["default"])
    tagger = Tagger(lexicons)
    many = " ".join(["coyote", "pollero", "cruce seguro", "pago al llegar", "sin papeles", "perico", "cristal",
                     "mota", "sicarios", "levanton", "jale", "patero"][: tagger._key_hits + 3])
    texts = [many, many + " $4,500", "entrega hoy", "entrega hoy, 500 dolares", "entrega " + "palabra " * 20 + "$500",
             "pollos para cruzar", "pollos " + "palabra " * 30 + "cruzar", "cristal, entrega en Tijuana"] * 3
    for indicators in (True, False):
        batch = tagger.tag_batch([{"text": t} for t in texts], indicators=indicators)
        reference = Scorer(lexicons, tagger.matcher.terms)
        for number, analysis in enumerate(batch.analyses()):
            if not any(reference.scoring(f.hits) for f in analysis.fields):
                continue
            expected = reference.score(analysis.fields)
            got = batch.scores[number]
            assert (batch.score[number], batch.raw[number], batch.category[number]) == (
                expected.score, expected.raw, expected.category), texts[number]
            assert got.explanation_json == expected.explanation_json, texts[number]
    assert len(tagger.matcher.find([many]).tid) > tagger._key_hits


def test_within_terms_are_scored_in_bulk_past_64_signals(monkeypatch):
    """The shipped lexicons look at more than 64 signals (67 with lexicons 3.2). The bulk path's test
    for `within` terms (is a signal they require anywhere in the post?) holds the signals as 64-bit
    words; before, past 64 it sent every post with a `within` term one by one through the positional
    scorer (8% of posts instead of 3% in bench/tag_bench.py's corpus). Same results either way."""
    lexicons = resolve(["default"])
    tagger = Tagger(lexicons)
    assert len(tagger.scorer.bits.names) > 64
    texts = ["entrega hoy", "viaje tranquilo", "entrega en el cruce"]
    slow = []
    real = Tagger._score_fields
    monkeypatch.setattr(Tagger, "_score_fields", lambda self, fields, indicators: slow.append(fields) or real(
        self, fields, indicators))
    batch = tagger.tag_batch([{"text": t} for t in texts], indicators=False)
    assert [f[0].text for f in slow] == ["entrega en el cruce"]  # its required crossing is there: positions decide
    reference = Scorer(lexicons, tagger.matcher.terms)
    for number, analysis in enumerate(batch.analyses()):
        if any(reference.scoring(f.hits) for f in analysis.fields):
            expected = reference.score(analysis.fields)
            assert (batch.score[number], batch.category[number]) == (expected.score, expected.category), texts[number]
