"""Audit (tagging): a text repeating terms is scored in time that grows with its length, not its
square, and gets the score and explanation of one copy of what it repeats.

Hostile posts (written by the people investigated) can repeat a phrase a million times. Scoring
tested each hit against every other hit in three places (a term inside a longer term, a context
word inside a threat, a signal within reach of a `within` term): a 320 KB text of "coyote cruce
seguro" took 13 s, 740 KB of "no llames a la policía" 100 s, 250 KB of "Tijuana" after a
"pollos" 200 s, against the project's bound of 10 s per MB (docs/hostile-input.md). The helpers
that replace those tests are checked here against the plain definitions they replace.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.lexicon import Tagger, resolve
from toolkit.lexicon.scoring import _covered, _near, _Spans

SECONDS_PER_MB = 10.0  # docs/hostile-input.md: time under 10 s per MB of input
WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


def _timed(tagger, text):
    began = time.perf_counter()
    analysis = tagger.analyse(text)
    return analysis, time.perf_counter() - began


@pytest.mark.parametrize(("head", "unit", "copies"), [
    ("", "coyote cruce seguro ", 10_000),  # "cruce" inside "cruce seguro", 30,000 hits
    ("", "no llames a la policía ", 16_000),  # "policía" inside a threat, 48,000 hits
    ("pollos " + "palabra " * 20, "Tijuana ", 12_000),  # a `within` term and 12,000 places out of reach
], ids=["term-inside-term", "context-inside-threat", "within-and-far-places"])
def test_a_text_repeating_terms_is_scored_in_linear_time_as_one_copy(tagger, head, unit, copies):
    text = head + unit * copies
    analysis, seconds = _timed(tagger, text)
    assert seconds <= max(1.0, SECONDS_PER_MB * len(text.encode()) / 1e6), f"{seconds:.1f}s for {len(text):,} characters"
    once = tagger.analyse(head + unit).score
    assert analysis.score.score == once.score and analysis.score.category == once.category
    assert analysis.score.explanation["terms"] == once.explanation["terms"]
    assert analysis.score.explanation["rules"] == once.explanation["rules"]


# The plain definitions the fast helpers must agree with.

def _covered_plainly(hits, tid, start, end):
    return any(other != tid and s <= start and end <= e and e - s > end - start for other, s, e in hits)


def _inside_plainly(spans, start, end):
    return any(s <= start and end <= e and e - s > end - start for s, e in spans)


def _near_plainly(places, where, within, texts):
    # A place inside the term's own span (its own words, the same span included) is not another place.
    places = [p for p in places if not (p[0] == where[0] and where[1] <= p[1] and p[2] <= where[2])]
    if not places:
        return False
    if within is None:
        return True
    field_name, start, end = where
    text = texts[field_name]
    for other_field, other_start, other_end in places:
        if other_field != field_name:
            continue
        if other_start >= end:
            gap = text[end:other_start]
        elif other_end <= start:
            gap = text[other_end:start]
        else:
            return True
        if len(WORD.findall(gap)) <= within:
            return True
    return False


SPANS = st.tuples(st.integers(0, 30), st.integers(1, 8)).map(lambda p: (p[0], p[0] + p[1]))
HITS = st.lists(st.tuples(st.integers(0, 3), SPANS).map(lambda p: (p[0], *p[1])), max_size=25)


@settings(max_examples=400, deadline=None)
@given(HITS)
def test_covered_is_the_plain_definition(hits):
    assert _covered(hits) == [_covered_plainly(hits, *hit) for hit in hits]


@settings(max_examples=400, deadline=None)
@given(st.lists(SPANS, max_size=12), SPANS)
def test_inside_a_span_is_the_plain_definition(spans, hit):
    assert _Spans(spans).holds(*hit) == _inside_plainly(spans, *hit)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab ,.", max_size=40), st.lists(st.tuples(st.sampled_from("nt"), SPANS), max_size=8),
       st.tuples(st.sampled_from("nt"), SPANS), st.one_of(st.none(), st.integers(1, 4)))
def test_near_is_the_plain_definition(text, places, where, within):
    places = [(f, s, e) for f, (s, e) in places]
    where = (where[0], *where[1])
    texts = {"n": text, "t": text[::-1]}
    assert _near(places, where, within, texts) == _near_plainly(places, where, within, texts)
