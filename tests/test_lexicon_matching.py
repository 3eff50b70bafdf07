"""Folding and matching: obfuscations, inflection, emoji, phrases across lines, spans, engines."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.lexicon import Matcher, resolve
from toolkit.lexicon.loader import load_lexicon
from toolkit.lexicon.matcher import available_engines
from toolkit.lexicon.normalise import fold, fold_bulk, fold_str


@pytest.fixture(scope="module")
def lexicons():
    return resolve(["default"])


@pytest.fixture(scope="module")
def matcher(lexicons):
    return Matcher(lexicons, "ahocorasick")


def found(matcher, text):
    """(term, matched text) for every hit, checking each span against the original text."""
    out = []
    for tid, start, end in matcher.match(text):
        assert 0 <= start < end <= len(text)
        out.append((matcher.terms[tid].term, text[start:end]))
    return out


def terms(matcher, text):
    return {term for term, _ in found(matcher, text)}


def test_fold_is_one_byte_per_character():
    text = "Crúce SEGURO 🇺🇸 a ｃｏｙｏｔｅ, c0y0te — ñandú"
    assert len(fold(text)) == len(text)
    assert fold_str("Crúce SEGURO!!") == "cruce seguro"
    assert fold_str("c0y0te") == "coyote"
    assert fold_str("ｃｏｙｏｔｅ") == "coyote"  # full-width letters
    assert fold_str("соуоте") == "coyote"  # Cyrillic look-alikes


@pytest.mark.parametrize("text,term,matched", [
    ("Se busca COYOTE", "coyote", "COYOTE"),
    ("el c0y0te sale hoy", "coyote", "c0y0te"),
    ("habla con el c o y o t e", "coyote", "c o y o t e"),
    ("con el c-o-y-o-t-e", "coyote", "c-o-y-o-t-e"),
    ("viaje a E.U.A hoy", "Estados Unidos", "E.U.A"),
    ("viaje a EE.UU.", "Estados Unidos", "EE.UU"),
    ("Cruze frontera", "cruze", "Cruze"),
    ("somos coyotes", "coyote", "coyotes"),
    ("los polleros de siempre", "pollero", "polleros"),
    ("guías de confianza", "guia de confianza", "guías de confianza"),
    ("pago\nal\r\nllegar", "pago al llegar", "pago\nal\r\nllegar"),
    ("pago   al  llegar", "pago al llegar", "pago   al  llegar"),
    ("venta de p.a.s.t.i.l.l.a.s", "pastillas", "p.a.s.t.i.l.l.a.s"),
    ("(cruce seguro)", "cruce seguro", "cruce seguro"),
    ("#cruceseguro y cruce_seguro", "cruce seguro", "cruce_seguro"),
    ("coy\u200dote en camino", "coyote", "coy\u200dote"),
    ("coyo\u0301te en camino", "coyote", "coyo\u0301te"),
    ("tengo🍁disponible", "🍁", "🍁"),
    ("🍁🍁", "🍁", "🍁"),
    ("precio❄️ya", "❄️", "❄️"),
    ("🍪⛄📦🪂 llegó", "🍪⛄📦🪂", "🍪⛄📦🪂"),
    ("M-30 azules", "m30", "M-30"),
    ("Cruce seguro🇺🇸🇺🇸", "cruce seguro", "Cruce seguro"),
    ("🙏coyote🙏", "coyote", "coyote"),
    ("¡¡CRUZE!!", "cruze", "CRUZE"),
])
def test_obfuscations_inflections_emoji(matcher, text, term, matched):
    assert (term, matched) in found(matcher, text)


@pytest.mark.parametrize("text,term", [
    ("cruceseguro", "cruce seguro"),  # glued words are a different token
    ("coyoteria", "coyote"),  # word boundaries hold
    ("pollera de flores", "pollero"),  # plural only, not the skirt
    ("mexicoyote", "coyote"),
])
def test_no_match_across_word_boundaries(matcher, text, term):
    assert term not in terms(matcher, text)


@pytest.mark.parametrize("gap,found_it", [(1, True), (3, True), (4, False), (9, False)])
def test_a_phrase_allows_up_to_three_separators_between_its_words(matcher, gap, found_it):
    text = "ya pago" + " " * gap + "al" + " " * gap + "llegar hoy"
    assert ("pago al llegar" in terms(matcher, text)) is found_it
    # In a batch next to a post where it is found, each post keeps its own answer.
    result = matcher.match_batch([text, "pago al llegar", "pago" + " " * 5 + "al llegar"])
    assert (0 in result) is found_it and 1 in result and 2 not in result


def test_hits_in_a_batch_map_to_their_own_post(matcher):
    posts = ["nada aquí", "pago al llegar", "", "🍁 y coyote", "otra vez coyote coyote"]
    result = matcher.match_batch(posts)
    assert set(result) == {1, 3, 4}
    for post, hits in result.items():
        for _tid, start, end in hits:
            assert posts[post][start:end]
    assert len([h for h in result[4] if matcher.terms[h[0]].term == "coyote"]) == 2


def test_phrase_does_not_cross_posts(matcher):
    matched = {matcher.terms[t].term for hits in matcher.match_batch(["pago al", "llegar"]).values() for t, _, _ in hits}
    assert "pago al llegar" not in matched
    assert "pago al llegar" in terms(matcher, "pago al llegar")


def test_regex_terms_run_on_folded_text(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[lexicon]\nname = "r"\nversion = "1"\ncategory = "other"\n'
                    '[[terms]]\nterm = "folio"\nregex = "\\\\bfolio [0-9]{3}\\\\b"\n', encoding="utf-8")
    matcher = Matcher([load_lexicon(path)], "ahocorasick")
    text = "FOLIO 928 y folio 9"
    hits = matcher.match(text)
    assert [(text[s:e]) for _, s, e in hits] == ["FOLIO 928"]


def _corpus(seed: int, n: int, words: list[str]) -> list[str]:
    rng = random.Random(seed)
    filler = ["hola", "amigos", "de", "la", "el", "venta", "casa", "hoy", "🍁", "💊", "❄️", "\n", ",", "E.U.A",
              "c o y o t e", "coy\u200dote", "!!", "  ", "$4,500", "55 5555 0101", "pago  al llegar"]
    return [" ".join(rng.choice(words + filler) for _ in range(rng.randint(0, 25))) for _ in range(n)]


@pytest.mark.skipif("hyperscan" not in available_engines(), reason="hyperscan is not installed")
def test_hyperscan_and_portable_engines_give_identical_hits(lexicons, matcher):
    fast = Matcher(lexicons, "hyperscan")
    words = sorted({t.term for t in matcher.terms if t.regex is None} | {v for t in matcher.terms for v in t.variants})
    posts = _corpus(7, 3000, words)
    assert fast.match_batch(posts) == matcher.match_batch(posts)
    assert sum(len(h) for h in matcher.match_batch(posts).values()) > 3000


PIECES = ["a", "o", " ", "\u0301", "\u200d", "\u200f", "\u202e", "ع", "ש", "🍁", "\ufe0f", "\x00", "\x01", "\n",
          "c0y0te", "coyote", ".", "\xad", "ｃ", "\U0001F1FA", "pago al", "llegar", "❄️", "e.u.a"]
ODD = st.text(st.characters(codec="utf-8"), max_size=200) | st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(ODD)
def test_folding_is_idempotent_and_length_preserving(text):
    text = text.replace("\x00", " ")  # NUL is reserved as the separator between posts
    once = fold(text)
    assert len(once) == len(text)
    assert fold(once.decode("latin-1")) == once
    assert fold_str(fold_str(text)) == fold_str(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(), max_size=60) | ODD, max_size=8).map(" ".join))
def test_bulk_folding_equals_folding(text):
    """The vector fold of a batch gives the codec fold's bytes, and where the wide characters are."""
    folded, wide, points = fold_bulk(text)
    assert folded == fold(text)
    assert wide.tolist() == [i for i, c in enumerate(text) if ord(c) > 0xFF]
    assert points.tolist() == [ord(text[i]) for i in wide.tolist()]


def test_batch_hits_equal_one_post_at_a_time(matcher):
    """Bulk mapping of a batch's hits to its posts gives what matching each post alone gives."""
    words = sorted({t.term for t in matcher.terms if t.regex is None})
    posts = [*_corpus(11, 600, words), "", "🍁", "coy\u200dote 🍁\ufe0f", "\u200d", "a\u200d\u200d b", "c o y o t e"]
    batch = matcher.match_batch(posts)
    assert batch == {i: hits for i, post in enumerate(posts) if (hits := matcher.match(post))}
    assert len(batch) > 300


def test_nul_inside_a_post_reads_as_a_space(matcher):
    """A NUL is the batch's post boundary once folded: one inside a post must not split it."""
    posts = ["coyote\x00pago al\x00llegar", "\x00", "cruce\x00\x00seguro coyote", "coyote"]
    spaced = [p.replace("\x00", " ") for p in posts]
    assert matcher.match_batch(posts) == matcher.match_batch(spaced)
    assert set(matcher.match_batch(posts)) == {0, 2, 3}


@settings(max_examples=200, deadline=None)
@given(st.lists(ODD, max_size=5))
def test_matcher_never_crashes_and_spans_are_valid(matcher, texts):
    for post, hits in matcher.match_batch(texts).items():
        for _tid, start, end in hits:
            assert 0 <= start < end <= len(texts[post])


def test_one_megabyte_without_spaces(matcher):
    blob = ("coyote" * 40_000) + ("🍁" * 10_000) + ("x" * 700_000) + "\u200d" * 1000
    assert matcher.match(blob) == [] or all(end <= len(blob) for _, _, end in matcher.match(blob))
    assert found(matcher, "a " + "x" * 1_000_000 + " coyote") == [("coyote", "coyote")]


def test_handles_and_hashtags_glued_by_case_or_digits_are_split():
    lexicons = resolve(["default"])
    matcher = Matcher(lexicons, "ahocorasick")
    text = "sígueme en #CruceSeguroUSA o @Empresa.4.letras6 y #ElSeñorDeLosGallos"
    found = {(matcher.terms[tid].term, text[start:end]) for tid, start, end in matcher.match(text)}
    assert ("cruce seguro", "#CruceSeguroUSA") in found
    assert ("4 letras", "@Empresa.4.letras6") in found
    assert ("cjng", "#ElSeñorDeLosGallos") in found  # "el señor de los gallos" is a cjng variant
    # Words the fold already separates are not matched twice; a lower-case glued tag is left alone.
    assert Matcher(lexicons, "ahocorasick").match("#trabajoparalamaña") == matcher.match("#trabajoparalamaña")
    assert [h for h in matcher.match("@pollero_usa") if matcher.terms[h[0]].term == "pollero"] == [(
        next(t for t, term in enumerate(matcher.terms) if term.term == "pollero"), 1, 8)]
