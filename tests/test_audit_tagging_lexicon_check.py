"""Audit (tagging): `toolkit lexicon check` refuses a term regex with nested repeats.

A term's regex runs on every text scanned, and those texts are written by the people
investigated. `(a+)+b` was accepted ("ok"), and then a post of 24 letters "a" took 1.6 s to
match, 30 letters over a minute: one hostile post stalls the scan for good. Nested repeats are
refused with the file, the term and the way out (a possessive repeat or an atomic group, which do
not backtrack); ordinary patterns still load.
"""

from __future__ import annotations

import time

import pytest

from toolkit.errors import LexiconError
from toolkit.lexicon import Tagger
from toolkit.lexicon.loader import load_lexicon

LEXICON = """[lexicon]
name = "mine"
version = "1"
category = "smuggling_offer"

[[terms]]
term = "folio"
regex = '{regex}'
"""


def _write(tmp_path, regex):
    path = tmp_path / "mine.toml"
    path.write_text(LEXICON.format(regex=regex), encoding="utf-8")
    return path


@pytest.mark.parametrize("regex", [r"(a+)+b", r"(\w+\s?)+$", r"(a*b?)*c", r"(a{1,3})+z", r"(x|(a+))+y"])
def test_check_refuses_nested_repeats_naming_file_and_term(invoke, tmp_path, regex):
    path = _write(tmp_path, regex)
    result = invoke("lexicon", "check", path)
    assert result.exit_code == 1
    assert f"{path}: term 'folio': regex repeats a group that holds a repeat" in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("regex", [r"\bfolio [0-9]{3}\b", r"(a|b)+c", r"(ab{2})+", r"(?>a+)+b", r"(a++)+b",
                                   r"(a{2,5}){2,3}"])
def test_ordinary_and_possessive_patterns_load_and_match_in_bounded_time(tmp_path, regex):
    lexicon = load_lexicon(_write(tmp_path, regex))
    tagger = Tagger([lexicon], engine="ahocorasick")
    began = time.perf_counter()
    tagger.analyse("a" * 5_000 + " folio 123")
    assert time.perf_counter() - began < 2.0


def test_the_refused_pattern_is_the_one_that_hangs(tmp_path):
    # Why the check exists: 24 letters already cost ~1.6 s, each more doubles it.
    with pytest.raises(LexiconError):
        load_lexicon(_write(tmp_path, r"(a+)+b"))
