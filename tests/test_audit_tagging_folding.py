"""Audit (tagging): ligatures, letter-like symbols and a raw \\x01 are read as the words they are
part of, with spans on the original characters, in both engines.

The fold keeps one byte per character, so a ligature ("ﬁ", common in text copied from a PDF
article, also a cheap way to dodge a keyword filter) kept only its first letter: "ﬁscalía" read
"fscalia", and a news story lost its `news` context and scored as an offer. A symbol that
abbreviates letters ("™", "№") was read as its first letter glued to the word before it
("Cruce seguro™" read "cruce segurot": no hit). A raw \\x01 (which the fold reads as an
invisible character) hid the word it touched, since the cleaned copy kept it.
"""

from __future__ import annotations

import pytest

from toolkit.cli.review_screen import HIT_STYLE, highlighted
from toolkit.lexicon import Tagger, resolve
from toolkit.lexicon.matcher import available_engines


@pytest.fixture(scope="module", params=available_engines())
def tagger(request):
    return Tagger(resolve(["default"]), engine=request.param)


def _hits(tagger, text):
    analysis = tagger.analyse(text)
    return analysis, [(tagger.matcher.terms[tid].term, text[start:end]) for f in analysis.fields for tid, start, end in f.hits]


def test_a_ligature_reads_as_its_letters(tagger):
    # Imitates a news story pasted from a PDF, as in tests/fixtures/lexicon/labelled.csv's news rows.
    plain = "La fiscalía informó que un coyote ofrecía cruce seguro a migrantes."
    ligature = plain.replace("fi", "ﬁ")
    once, plain_hits = _hits(tagger, plain)
    analysis, hits = _hits(tagger, ligature)
    assert [term for term, _ in hits] == [term for term, _ in plain_hits]
    assert ("policia", "ﬁscalía") in hits  # the span is the original word, ligature included
    assert analysis.score.score == once.score.score
    assert analysis.score.explanation["negatives"] == once.score.explanation["negatives"]


def test_every_ligature_is_written_out():
    tagger = Tagger(resolve(["default"]), engine="ahocorasick")
    for word, written in [("conﬁanza", "confianza"), ("traﬃckers", "traffickers"), ("ﬂetes", "fletes"),
                          ("arreﬆado", "arrestado")]:
        assert [t for t, _ in _hits(tagger, f"el {written} aquí")[1]] == [t for t, _ in _hits(tagger, f"el {word} aquí")[1]]


@pytest.mark.parametrize("symbol", ["™", "℠", "№", "℡"])
def test_a_letter_symbol_after_a_word_is_a_separator(tagger, symbol):
    offer = "Cruce seguro a USA, pago al llegar"
    marked = offer.replace("seguro", "seguro" + symbol)
    once, plain_hits = _hits(tagger, offer)
    analysis, hits = _hits(tagger, marked)
    assert hits == plain_hits
    assert analysis.score.score == once.score.score


def test_circled_and_full_width_letters_still_read_as_letters(tagger):
    assert ("coyote", "ⓒⓞⓨⓞⓣⓔ") in _hits(tagger, "un ⓒⓞⓨⓞⓣⓔ aquí")[1]
    assert ("coyote", "ｃｏｙｏｔｅ") in _hits(tagger, "un ｃｏｙｏｔｅ aquí")[1]


def test_a_raw_control_one_hides_no_word(tagger):
    _, hits = _hits(tagger, "cruce seguro\x01 con co\x01yote")
    assert ("cruce seguro", "cruce seguro") in hits
    assert ("coyote", "co\x01yote") in hits


def test_the_review_screen_highlights_the_word_with_its_ligature(tagger):
    text = "La ﬁscalía dijo"
    analysis = tagger.analyse(text)
    hits = [{"field": "text", "start": start, "end": end} for f in analysis.fields for _, start, end in f.hits]
    drawn = highlighted(text, hits, "text")
    marked = {drawn.plain[span.start:span.end] for span in drawn.spans if HIT_STYLE in str(span.style)}
    assert marked == {"ﬁscalía", "dijo"}
