"""Count parsing (property tests) and marker data: normalising, loading, overriding."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.models import Status
from toolkit.platforms import counts, markers
from toolkit.platforms.counts import _HAS_WORD, _WORDS, find_counts, parse_count
from toolkit.platforms.detect import read_page

SEPARATORS = [",", ".", " ", "\u00a0", "\u202f"]


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(SEPARATORS))
def test_grouped_integers_round_trip(number, separator):
    printed = f"{number:,}".replace(",", separator)
    assert parse_count(printed) == number


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=9), st.sampled_from([",", "."]),
       st.sampled_from([("K", 1000), ("k", 1000), (" K", 1000), (" mil", 1000), ("M", 10**6), (" M", 10**6),
                        (" millones", 10**6), (" mill.", 10**6), (" million", 10**6), ("B", 10**9)]))
def test_abbreviated_counts(whole, tenth, mark, suffix):
    text, multiplier = suffix
    assert parse_count(f"{whole}{mark}{tenth}{text}") == whole * multiplier + tenth * multiplier // 10
    assert parse_count(f"{whole}{text}") == whole * multiplier


@given(st.text(max_size=40))
def test_parse_count_never_raises(text):
    value = parse_count(text)
    assert value is None or (isinstance(value, int) and value >= 0)


@pytest.mark.parametrize("text,expected", [
    ("44 mil miembros", {"members": 44000}),
    ("1,1 K seguidores", {"followers": 1100}),
    ("12K followers", {"followers": 12000}),
    ("Public group · 1.2M members", {"members": 1200000}),
    ("Meedan. 3,783 likes · 65 were here.", {"likes": 3783}),
    ("A 1,2 mil personas les gusta esto", {"likes": 1200}),
    ("12 345 subscribers", {"followers": 12345}),
    ("2,5 millones de seguidores", {"followers": 2500000}),
    ("3 412 abonnés", {"followers": 3412}),
    ("Grupo privado · 980 membros", {"members": 980}),
    ("Salimos el 12 de mayo", {}),
    # A name ending in a number, then the count: the sentence's ". " is no decimal mark.
    ("Cruce Seguro 1. 75 mil seguidores. Viajes al norte.", {"followers": 75000}),
    ("Viajes Norte 2021. 49,3 K seguidores.", {"followers": 49300}),
])
def test_find_counts(text, expected):
    assert find_counts(text) == expected


# Letters with case-insensitive look-alikes in Python's regex engine (long s, dotless i, Kelvin sign...).
WORD_PIECES = st.sampled_from(["s", "S", "\u017f", "i", "I", "\u0131", "\u0130", "k", "\u212a", "é", "É", "’", "'", " ",
                               "seguidores", "SEGUIDORES", "followers", "Miembros", "membres", "abonnés", "J’AIME",
                               "people like this", "personas les gusta", "curtidas", "44 mil ", "\n", "x"])


@given(st.lists(WORD_PIECES, max_size=12).map("".join))
def test_word_tests_find_what_the_plain_patterns_find(text):
    for field, words in _WORDS.items():
        plain = re.compile(words, re.I).search(text)
        fast = _HAS_WORD[field].search(text)
        assert (plain.span() if plain else None) == (fast.span() if fast else None)


COUNT_PIECES = st.sampled_from(["12", "1,1", " ", " K", " mil ", "\n", "de ", "seguidores", "SEGUIDORES", "ſeguidores",
                                 "Follower", "FOLLOWERS", "İnscritos", "ınscritos", "li\u212ae", "likes", "Me gusta",
                                 "miembros", "MEMBRES", "abonnÉs", "personas les gusta", "PERSONNES SUIVENT ÇA",
                                 "j’aime", "x", "é", "\u0307"])


@given(st.lists(COUNT_PIECES, max_size=14).map("".join))
@example("12 ſeguidores")
@example("1,1 K İnscritos y 40 ınscritos")
@example("3 li\u212ae")
def test_stem_prefilter_changes_no_count(text):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counts, "_STEMS", {field: ("",) for field in counts._STEMS})  # excludes nothing
        plain = find_counts(text)
    assert find_counts(text) == plain


def test_decimal_without_suffix_is_not_a_count():
    assert parse_count("1,5") is None and parse_count("12,34") is None


@given(st.text(max_size=60))
def test_normalise_is_idempotent(text):
    once = markers.normalise(text)
    assert markers.normalise(once) == once


@pytest.mark.parametrize("variant", ["This content isn't available", "This content isn’t available",
                                     "This content isn&#039;t available", "This content isn&#39;t available",
                                     "  THIS   content ISN'T\navailable "])
def test_apostrophes_case_and_whitespace(variant):
    assert markers.normalise(variant) == "this content isn't available"


def test_accents_fold():
    assert markers.normalise("Este contenido no está disponible") == markers.normalise("ESTE CONTENIDO NO ESTA DISPONIBLE")


def test_every_builtin_rule_has_four_languages_or_is_structural():
    for platform in markers.book().platforms():
        for rule in markers.book().rules(platform):
            languages = {lang for lang, _, _ in rule.texts}
            structural = rule.match == "present" or languages == {"any"}
            assert structural or {"es", "en", "pt", "fr"} <= languages, (platform, rule.status, rule.places)


OVERRIDE = """
[[rule]]
platform = "facebook"
status = "unavailable"
places = ["heading"]
match = "contains"
es = ["Esta publicación fue retirada"]
"""

PAGE = """<html><head><title>Facebook</title><meta property="og:url" content="https://www.facebook.com/cruceseguro.usa/">
<meta property="al:android:url" content="fb://page/100064000000001"></head>
<body><h2>Esta publicación fue retirada</h2></body></html>"""


def test_override_file_adds_a_marker_without_code(tmp_path, monkeypatch):
    url = "https://www.facebook.com/cruceseguro.usa/"
    assert read_page(PAGE, url).verdict.status == Status.AVAILABLE
    override = tmp_path / "markers.toml"
    override.write_text(OVERRIDE, encoding="utf-8")
    monkeypatch.setenv(markers.ENV_VAR, str(override))
    verdict = read_page(PAGE, url).verdict
    assert (verdict.status, verdict.marker, verdict.place) == (Status.UNAVAILABLE, "Esta publicación fue retirada", "heading")


def test_case_folder_markers(tmp_path):
    (tmp_path / "markers.toml").write_text(OVERRIDE, encoding="utf-8")
    try:
        markers.use_markers(markers.case_markers(tmp_path))
        assert read_page(PAGE, "https://www.facebook.com/cruceseguro.usa/").verdict.status == Status.UNAVAILABLE
    finally:
        markers.use_markers([])
    assert markers.case_markers(tmp_path / "nowhere") == []


@pytest.mark.parametrize("text,problem", [
    ("[[rule]]\nstatus = 'gone'\nplaces=['title']\nplatform='x'\nen=['a']", "unknown status 'gone'"),
    ("[[rule]]\nstatus = 'unavailable'\nplaces=['body']\nplatform='x'\nen=['a']", "no valid places (body)"),
    ("[[rule]]\nstatus = 'unavailable'\nplaces=['title']\nen=['a']", "names no platform"),
    ("[[rule]]\nstatus = 'unavailable'\nplaces=['title']\nplatform='x'", "has no marker strings"),
    ("[[rule]]\nstatus = 'unavailable'\nplaces=['title']\nplatform='x'\nspanish=['a']", "unknown keys ['spanish']"),
    ("[[rule]\n", "not valid TOML"),
])
def test_bad_marker_files_name_the_file_and_rule(tmp_path, text, problem):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        markers.load_file(path)
    assert str(path) in caught.value.message and problem in caught.value.message
    assert caught.value.hint


def test_leaf_texts_only_count_whole():
    """A post that merely mentions a checkpoint phrase is not a checkpoint page."""
    page = """<html><head><title>Cruce Seguro USA | Facebook</title>
    <meta property="og:url" content="https://www.facebook.com/cruceseguro.usa/">
    <meta property="al:android:url" content="fb://page/100064000000001"></head>
    <body><div role="main"><span>Pasamos el control de seguridad sin problema, salimos el lunes.</span>
    <span>Control de seguridad</span></div></body></html>"""
    assert read_page(page.replace("<span>Control de seguridad</span>", ""),
                     "https://www.facebook.com/cruceseguro.usa/").verdict.status == Status.AVAILABLE
    verdict = read_page(page, "https://www.facebook.com/cruceseguro.usa/").verdict
    assert (verdict.status, verdict.place) == (Status.RESTRICTED, "leaf")
