"""`Tagger.tag_columns` (what `toolkit tag` calls on each chunk's columns) gives exactly what
`Tagger.tag_batch` gives for the same posts as records."""

from __future__ import annotations

import numpy as np
import pytest
from test_lexicon_fastpath import EXTRA, TEXTS

from toolkit.lexicon import Tagger, resolve

NAMES = ["Cruces seguros", None, "", "viajes USA pago al llegar", "Bienes raíces", "coyote 💊"]


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


def _same(got, want) -> None:
    assert got.flat == want.flat
    assert list(got.record) == list(want.record)
    assert list(got.field) == list(want.field)
    for column in ("post", "tid", "start", "end"):
        assert np.array_equal(getattr(got.found, column), getattr(want.found, column)), column
    assert got.contacts == want.contacts
    assert got.score.tolist() == want.score.tolist()
    assert got.raw.tolist() == want.raw.tolist()
    assert got.category == want.category
    assert [a.fields for a in got.analyses()] == [a.fields for a in want.analyses()]
    assert [(s.score, s.raw, s.category, s.explanation_json) for s in got.scores] == \
        [(s.score, s.raw, s.category, s.explanation_json) for s in want.scores]


@pytest.mark.parametrize("indicators", [True, False])
@pytest.mark.parametrize("shape", ["texts", "names", "no-names", "some-empty", "all-empty", "nothing"])
def test_tag_columns_equals_tag_batch(tagger, shape, indicators):
    texts: list[str | None] = TEXTS + EXTRA
    names: list[str | None] | None = None
    if shape == "names":
        names = [NAMES[i % len(NAMES)] for i in range(len(texts))]
    elif shape == "no-names":
        names = [None] * len(texts)
    elif shape == "some-empty":
        texts = [None if i % 7 == 3 else "" if i % 11 == 5 else text for i, text in enumerate(texts)]
        names = [NAMES[i % len(NAMES)] for i in range(len(texts))]
    elif shape == "all-empty":
        texts = [None, "", None]
        names = ["", None, ""]
    elif shape == "nothing":
        texts = []
    records = ([{"text": text} for text in texts] if names is None
               else [{"name": name, "text": text} for name, text in zip(names, texts, strict=True)])
    # Twice each, in this order and the other, so that answers from the score memo are compared too.
    first = tagger.tag_columns(texts, names, indicators=indicators)
    _same(first, tagger.tag_batch(records, indicators=indicators))
    _same(tagger.tag_batch(records, indicators=indicators), tagger.tag_columns(texts, names, indicators=indicators))
    assert len(first.category) == len(texts)
