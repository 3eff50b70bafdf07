"""Audit of the dates a researcher gives a recheck: a look in the future is a typo, refused before anything is written."""

from __future__ import annotations

import json
import sqlite3

import pytest
from _recheck_server import FB_UNAVAILABLE_ES
from test_audit_waves_exports import PAGE, _har, _tracked_page


def _rows(case, table: str) -> int:
    conn = sqlite3.connect(case / "case.db")
    try:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    finally:
        conn.close()


def test_a_manual_look_dated_in_the_future_is_refused(case, invoke, tmp_path):
    # "--at 2031-05-17" for 2021-05-17: before, the answers were recorded as looks of 2031, `items`
    # dated the item's status then and the report's default as-of moved ten years ahead.
    _tracked_page(case, invoke, tmp_path)
    result = invoke("recheck", case, "--manual", "--wave", "w2", "--at", "2999-05-17T10:00", input="u")
    assert result.exit_code == 2, result.output
    assert "--at: 2999-05-17T10:00:00Z is in the future" in " ".join(result.stderr.split())
    assert (_rows(case, "wave"), _rows(case, "check")) == (0, 0)
    # A date that is not ahead is taken as before.
    result = invoke("recheck", case, "--manual", "--wave", "w2", "--at", "2021-05-17T10:00-05:00", input="u")
    assert result.exit_code == 0, result.output
    (item,) = json.loads(invoke("items", case, "--format", "json").stdout)
    assert (item["status"], item["status_at"]) == ("unavailable", "2021-05-17T15:00:00Z")


@pytest.mark.parametrize("option", ["--observed-at", "--collected-at"])
def test_exports_said_to_be_saved_in_the_future_are_refused(case, invoke, tmp_path, option):
    _tracked_page(case, invoke, tmp_path)
    har = _har(tmp_path / "session.har", [(PAGE, "2021-05-17T10:05:00.000Z", FB_UNAVAILABLE_ES)])
    result = invoke("recheck", case, "--wave", "w2", har, option, "2999-05-17")
    assert result.exit_code == 2, result.output
    assert f"{option}: 2999-05-17T00:00:00Z is in the future" in " ".join(result.stderr.split())
    assert (_rows(case, "wave"), _rows(case, "check"), _rows(case, "source")) == (0, 0, 1)
