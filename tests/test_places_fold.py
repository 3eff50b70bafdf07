"""Leaf texts left unfolded must be ones no `equals` marker could match."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from toolkit.platforms.markers import normalise
from toolkit.platforms.places import _folded_floor

# Letters with accents, look-alike apostrophes, odd spaces, entities, combining marks, dots.
PIECES = st.sampled_from(["a", "Z", "9", "_", "é", "ñ", "ß", "ﬁ", "\u0301", "\u037a", "\u2019", "`", "\u00a0",
                          "\u200b", " ", "\n", "\x1c", ".", "!", "&amp;", "&#39;", "-", "¿", "Ⅻ", "ǅ"])


@given(st.lists(PIECES, max_size=60).map("".join) | st.text(max_size=80))
def test_floor_never_exceeds_folded_length(text):
    assert _folded_floor(text) <= len(normalise(text).rstrip(".!"))


def test_floor_counts_what_folding_keeps():
    assert _folded_floor("Este contenido no está disponible") == 28
    assert _folded_floor("Tom &amp; Jerry") == 0  # an entity could fold any run: unsure
