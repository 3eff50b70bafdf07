"""Words glued without capitals in handles, hashtags and web hosts ("#weedforsale",
"orderpainkillersonline.com"): split with the lexicons' own words, never inventing one."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.lexicon import Tagger, resolve
from toolkit.lexicon.glued import Splitter, hosts
from toolkit.lexicon.matcher import HITS_PER_TERM
from toolkit.lexicon.normalise import fold_str


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


def test_splits_with_known_words_longest_first():
    splitter = Splitter({"pharmacy", "pharma", "painkillers", "carts", "vape"})
    assert splitter.spaced("orderpainkillersonline") == "order painkillers online"
    assert splitter.spaced("pharmacystores") == "pharmacy stores"  # not "pharma cy stores"
    assert splitter.spaced("vapecartsforsale") == "vape carts for sale"
    assert splitter.spaced("xqzvapecarts") == "xqz vape carts"  # unknown letters stay together
    assert splitter.spaced("short") == "short"  # too short to be glued words


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", max_size=40))
def test_splitting_only_places_spaces(token):
    splitter = Splitter({"coyote", "cruce", "seguro", "weed", "meds", "plug"})
    assert splitter.spaced(token).replace(" ", "") == fold_str(token).replace(" ", "")


def test_finds_hosts_before_a_top_level_domain():
    text = "pide en orderpainkillersonline.com o https://www.usa-meds.shop/x, mail@foo-bar.com no"
    assert [(h, text[s:e]) for h, s, e in hosts(text)] == [
        ("orderpainkillersonline", "orderpainkillersonline.com"), ("usa-meds", "www.usa-meds.shop")]


@pytest.mark.parametrize("text", ["#vapecartsforsale", "orderpainkillersonline.com", "USAmedstores.com"])
def test_glued_dealer_names_score_as_drug_sales(tagger, text):
    score = tagger.analyse(text).score
    assert score.category == "drug_sale" and score.score >= 20, score.explanation


@pytest.mark.parametrize("text", ["https://www.facebook.com/groups/123", "#throwbackthursday", "www.nytimes.com"])
def test_ordinary_hosts_and_hashtags_score_nothing(tagger, text):
    assert tagger.analyse(text).score.score == 0


def test_a_glued_hit_spans_the_whole_token(tagger):
    text = "compra en orderpainkillersonline.com hoy"
    spans = {text[s:e] for _, s, e in tagger.matcher.match(text)}
    assert "orderpainkillersonline.com" in spans


def test_handles_repeated_in_a_post_are_split_and_matched_once(tagger, monkeypatch):
    """A hostile post repeating a handle thousands of times (21 s per MB when each handle was
    matched on its own) costs one match of its distinct glued tokens; every copy keeps its hits."""
    unit = "@CruceSeguro #CruceSeguro visita cruce-seguro.com"
    matcher = tagger.matcher
    one = set(matcher.match(unit))
    calls = []
    find = matcher.find

    def counted(texts):
        calls.append(list(texts))
        return find(texts)

    monkeypatch.setattr(matcher, "find", counted)
    found = counted([" ".join([unit] * 500)])
    many = found.hits()
    # The post itself, then one batch of its distinct glued tokens ("cruce seguro" from all three forms).
    assert len(calls) == 2 and calls[1] == ["cruce seguro"]
    # Every copy's hits are found and counted; each term keeps its first HITS_PER_TERM (matcher.py).
    per_term = Counter(tid for tid, _, _ in one)
    assert one and found.over == {0: {tid: 500 * count for tid, count in per_term.items()}}
    assert Counter(tid for tid, _, _ in many) == {tid: HITS_PER_TERM for tid in per_term}
    assert {hit for hit in many if hit[2] <= len(unit)} == one
