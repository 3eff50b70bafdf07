"""Audit of the confirm rule: one look at an item confirms nothing, whichever waves it was filed under."""

from __future__ import annotations

import json

from _recheck_server import FB_UNAVAILABLE_ES
from test_audit_waves_exports import PAGE, _har, _tracked_page, _wave_items


def test_one_saved_file_given_to_two_waves_does_not_confirm_a_removal(case, invoke, tmp_path):
    # One HAR saved on 2021-05-17, where the page read "Este contenido no está disponible", given to
    # wave w2 and again (by mistake, or to fill the next wave) to wave w3. Before: the same look stood
    # for both waves and the item was confirmed gone "in two consecutive waves".
    _tracked_page(case, invoke, tmp_path)
    har = _har(tmp_path / "session.har", [(PAGE, "2021-05-17T10:05:00.000Z", FB_UNAVAILABLE_ES)])
    for wave in ("w2", "w3"):
        result = invoke("recheck", case, "--wave", wave, har)
        assert result.exit_code == 0, result.output
    rows = _wave_items(invoke, case)
    assert [(r["wave"], r["status"], r["state"]) for r in rows] == [
        ("w2", "unavailable", "pending"), ("w3", "unavailable", "pending")]

    # A later look that still reads gone confirms it.
    later = _har(tmp_path / "later.har", [(PAGE, "2021-06-16T09:00:00.000Z", FB_UNAVAILABLE_ES)])
    result = invoke("recheck", case, "--wave", "w4", later)
    assert result.exit_code == 0, result.output
    assert [r["state"] for r in _wave_items(invoke, case)] == ["pending", "pending", "gone"]
    counts = json.loads(invoke("waves", case, "--format", "json").stdout)
    assert [(w["wave"], w["gone"], w["pending"]) for w in counts] == [("w2", 0, 1), ("w3", 0, 1), ("w4", 1, 0)]
