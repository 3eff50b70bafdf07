"""The item appendix kept column by column: its rows, and items.json written in pieces."""

from __future__ import annotations

import pytest

from toolkit.report.build import CONTACT_TYPES, ROW_FIELDS, Appendix
from toolkit.report.render_tables import _dump_bytes, _dump_rows


def _appendix(n: int, waves: tuple[str, ...] = ("w1", "w2")) -> Appendix:
    columns: dict[str, list] = {name: [f"{name}-{i}" for i in range(n)] for name in ROW_FIELDS}
    columns["id"] = list(range(1, n + 1))
    columns["channel"] = [None if i % 2 else "dsa" for i in range(n)]
    for at, wave in enumerate(waves):
        columns[f"status:{wave}"] = ["available" if (i + at) % 3 else "unavailable" for i in range(n)]
        # A reason in one wave and not the other, in both, in neither.
        columns[f"reason:{wave}"] = ["" if (i + at) % 4 and i % 6 else "login wall" for i in range(n)]
    contacts = {i: {"phone": ["+34600000001"], "telegram": ["@a", "@b"]} for i in range(0, n, 5)}
    for kind in CONTACT_TYPES:
        columns[kind] = [";".join(contacts.get(i, {}).get(kind, ())) for i in range(n)]
    return Appendix(columns, list(waves), contacts)


def _expected(appendix: Appendix, n: int) -> dict:
    columns = appendix.columns
    return {**{name: columns[name][n] for name in ROW_FIELDS},
            "status": {w: columns[f"status:{w}"][n] for w in appendix.waves},
            "reason": {w: columns[f"reason:{w}"][n] for w in appendix.waves if columns[f"reason:{w}"][n]},
            "contacts": {k: list(v) for k, v in appendix._contacts.get(n, {}).items()}}


def test_rows_are_made_from_the_columns():
    appendix = _appendix(12)
    rows = list(appendix)
    assert len(appendix) == len(rows) == 12
    assert rows == [_expected(appendix, n) for n in range(12)]
    assert list(rows[0]) == [*ROW_FIELDS, "status", "reason", "contacts"]
    assert appendix[3] == rows[3] and appendix[-1] == rows[-1] and appendix[2:9:3] == rows[2:9:3]
    appendix[0]["contacts"]["phone"].append("changed")  # a row is the caller's own
    assert appendix[0]["contacts"]["phone"] == ["+34600000001"]
    for key in ("status", "reason", "contacts"):  # no dict shared between rows, even an empty one
        assert len({id(row[key]) for row in rows}) == len(rows)
    with pytest.raises(IndexError):
        appendix[12]


def test_rows_without_waves():
    appendix = _appendix(3, waves=())
    assert [row["status"] for row in appendix] == [{}, {}, {}]
    assert [row["reason"] for row in appendix] == [{}, {}, {}]


@pytest.mark.parametrize("n", [0, 1, 4, 5, 9, 10, 11])
def test_items_json_in_pieces_is_the_whole_dump(n):
    appendix = _appendix(n)
    assert b"".join(_dump_rows(appendix, chunk=5)) == _dump_bytes(list(appendix))
    assert b"".join(_dump_rows(list(appendix), chunk=5)) == _dump_bytes(list(appendix))
