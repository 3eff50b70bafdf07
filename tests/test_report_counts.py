"""Counting a wave's items per group (`report.stats.count_by`) gives what counting the rows as
text gives, whatever the groups hold: categories, booleans, missing values, repeated names."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from toolkit.report.stats import count_by

FAMILY = {"available": "live", "unavailable": "gone", "sold": "ended", "login_required": "unknown",
          "blind": "unknown", "not_checked": "not_checked"}
ROW = st.tuples(st.sampled_from(sorted(FAMILY)), st.one_of(st.none(), st.booleans(), st.sampled_from(["es", "en", "none"])))


def _by_hand(rows: list[tuple[str, object]]) -> dict[str, tuple[Counter, Counter]]:
    out: dict[str, tuple[Counter, Counter]] = {}
    for label, group in rows:
        families, labels = out.setdefault(str(group) if group is not None else "nan", (Counter(), Counter()))
        families[FAMILY[label]] += 1
        labels[label] += 1
    return out


@given(st.lists(ROW, max_size=30), st.booleans())
def test_counts_per_group_are_the_rows_counted_as_text(rows, categorical):
    frame = pd.DataFrame({"label": [label for label, _ in rows], "family": [FAMILY[label] for label, _ in rows]},
                         dtype="category" if categorical else object)
    groups = pd.Series([group if group is not None else float("nan") for _, group in rows], dtype=object)
    if categorical and all(isinstance(g, str) for _, g in rows):
        groups = groups.astype("category")
    counted = count_by(frame, groups)
    expected = _by_hand(rows)
    assert set(counted) == set(expected)
    for group, (families, labels) in expected.items():
        got = counted[group]
        assert (got.live, got.gone, got.ended, got.unknown, got.not_checked) == tuple(
            families[f] for f in ("live", "gone", "ended", "unknown", "not_checked"))
        assert got.statuses == dict(sorted(labels.items()))
        assert got.items == len([1 for label, g in rows if (str(g) if g is not None else "nan") == group])
