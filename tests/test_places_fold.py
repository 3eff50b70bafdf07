"""Leaf texts: which text nodes are leaves, and which are left unfolded (ones no `equals` marker
could match)."""

from __future__ import annotations

from html import escape

import lxml.html
from hypothesis import given
from hypothesis import strategies as st

from toolkit.platforms.markers import normalise
from toolkit.platforms.places import _folded_floor, _folded_floors, leaf_texts

# Letters with accents, look-alike apostrophes, odd spaces, entities, combining marks, dots.
PIECES = st.sampled_from(["a", "Z", "9", "_", "é", "ñ", "ß", "ﬁ", "\u0301", "\u037a", "\u2019", "`", "\u00a0",
                          "\u200b", " ", "\n", "\x1c", ".", "!", "&amp;", "&#39;", "-", "¿", "Ⅻ", "ǅ"])


@given(st.lists(PIECES, max_size=60).map("".join) | st.text(max_size=80))
def test_floor_never_exceeds_folded_length(text):
    assert _folded_floor(text) <= len(normalise(text).rstrip(".!"))


def test_floor_counts_what_folding_keeps():
    assert _folded_floor("Este contenido no está disponible") == 28
    assert _folded_floor("Tom &amp; Jerry") == 0  # an entity could fold any run: unsure


# The leaf definition as one XPath: `leaf_texts` must select exactly these text nodes.
LEAF_BY_XPATH = "//body/descendant::text()[not(parent::script) and not(parent::style) and not(parent::noscript)]" \
                "[string-length(normalize-space(.)) > 3][string-length(.) < 400]"
TEXTS = st.lists(st.sampled_from(["a", "bc", "Ñ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "x" * 120]),
                 max_size=8).map("".join)
TAGS = st.sampled_from(["div", "span", "script", "style", "noscript", "p", "h1", "b"])


@st.composite
def documents(draw):
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        tag, text, tail = draw(TAGS), draw(TEXTS), draw(TEXTS)
        inner = f"<b>{draw(TEXTS)}</b>" if tag in ("div", "noscript", "p") and draw(st.booleans()) else ""
        parts.append(f"<{tag}>{escape(text)}{inner}</{tag}>{escape(tail)}")
    return f"<html><head><title>t</title></head><body>{escape(draw(TEXTS))}{''.join(parts)}</body></html>"


@given(documents())
def test_leaf_texts_are_the_xpath_leaves(document):
    tree = lxml.html.document_fromstring(document)
    assert leaf_texts(tree) == tree.xpath(LEAF_BY_XPATH, smart_strings=False)


@given(st.lists(st.lists(PIECES, max_size=30).map("".join) | st.text(max_size=40), max_size=12))
def test_batched_floors_match_one_by_one(texts):
    assert _folded_floors(texts) == [_folded_floor(text) for text in texts]
