"""The matcher's engines: Hyperscan's Python binding (the `fast` extra) and pyahocorasick (portable).

Both scan the same space-padded literal keys and must give exactly the same hits: the comparisons
are skipped where the binding is not installed (the suite also runs without the `fast` extra).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import LexiconError
from toolkit.lexicon import Matcher, resolve
from toolkit.lexicon import matcher as matcher_module
from toolkit.lexicon.matcher import ENGINES, available_engines

with (Path(__file__).resolve().parent / "fixtures" / "lexicon" / "labelled.csv").open(encoding="utf-8", newline="") as handle:
    LABELLED = [row["text"] for row in csv.DictReader(handle)]

both = pytest.mark.skipif("hyperscan" not in available_engines(),
                          reason="the hyperscan binding (the `fast` extra) is not installed")


@pytest.fixture(scope="module")
def matchers():
    lexicons = resolve(["default"])
    return {engine: Matcher(lexicons, engine) for engine in available_engines()}


def test_the_binding_is_the_default_where_installed_and_the_portable_engine_always_is_there():
    engines = available_engines()
    assert engines[-1] == "ahocorasick"
    assert engines[0] == ("hyperscan" if matcher_module.hyperscan is not None else "ahocorasick")
    assert Matcher(resolve(["default"])).engine.name == engines[0]


def test_an_engine_that_is_not_installed_or_unknown_is_refused_with_the_fix(monkeypatch):
    lexicons = resolve(["default"])
    with pytest.raises(LexiconError, match="unknown matching engine 'native'"):
        Matcher(lexicons, "native")
    monkeypatch.setattr(matcher_module, "hyperscan", None)
    assert available_engines() == ["ahocorasick"]
    with pytest.raises(LexiconError, match="not installed") as caught:
        Matcher(lexicons, "hyperscan")
    assert "fast" in caught.value.hint
    assert Matcher(lexicons).engine.name == "ahocorasick"


@both
def test_engines_give_identical_hits_on_the_labelled_examples(matchers):
    results = {engine: matcher.match_batch(LABELLED) for engine, matcher in matchers.items()}
    assert len(results["ahocorasick"]) > len(LABELLED) // 2
    assert results["hyperscan"] == results["ahocorasick"]


@both
def test_engines_give_identical_hits_on_a_large_batch(matchers):
    words = sorted({t.term for t in matchers["ahocorasick"].terms if t.regex is None})
    rng = random.Random(3)
    filler = ["hola", "de", "la", "🍁", "💊", "\n", ",", "  ", "c o y o t e", "coy\u200dote", "E.U.A", "pago  al llegar"]
    posts = [" ".join(rng.choice(words + filler) for _ in range(rng.randint(0, 30))) for _ in range(4000)]
    results = {engine: matcher.match_batch(posts) for engine, matcher in matchers.items()}
    assert sum(map(len, results["ahocorasick"].values())) > 10_000
    assert results["hyperscan"] == results["ahocorasick"]


def _posts(words: list[str]):
    piece = st.sampled_from(words) | st.sampled_from(["", " ", "  ", "\n", ",", ".", "🍁", "\u200d", "\x00", "ｃ", "É"])
    post = st.lists(piece, max_size=20).map(" ".join) | st.text(max_size=80)
    return st.lists(post, min_size=1, max_size=8)


TERMS = sorted({t.term for lex in resolve(["default"]) for t in lex.terms if t.regex is None})


@both
@settings(max_examples=300, deadline=None)
@given(_posts(TERMS))
def test_engines_give_identical_hits_on_generated_text(matchers, posts):
    assert matchers["hyperscan"].match_batch(posts) == matchers["ahocorasick"].match_batch(posts)


@pytest.mark.parametrize("engine", available_engines())
@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.text("ab ", min_size=1, max_size=4), min_size=1, max_size=30, unique=True),
       data=st.text("ab \n\x00", max_size=400))
def test_scan_finds_every_occurrence_of_every_key(engine, keys, data):
    """Raw scans over overlapping and nested keys: every (end, key) once, in order of end.

    Keys are folded words and spaces (never a NUL: the binding takes keys as C strings); the data
    may hold the post boundary and NULs."""
    got = [tuple(pair) for pair in ENGINES[engine](keys).scan(data.encode("ascii")).tolist()]
    expected = sorted((end, kid) for kid, key in enumerate(keys) for end in range(len(key), len(data) + 1)
                      if data[end - len(key) : end] == key)
    assert sorted(got) == expected
    assert [end for end, _ in got] == sorted(end for end, _ in got)


@pytest.mark.parametrize("engine", available_engines())
def test_no_keys_and_no_data(engine):
    assert ENGINES[engine]([]).scan(b"anything").shape == (0, 2)
    assert ENGINES[engine]([" a "]).scan(b"").shape == (0, 2)
    assert ENGINES[engine]([" a ", "ab", "b"]).scan(b" a ab").tolist() == [[3, 0], [5, 1], [5, 2]]
