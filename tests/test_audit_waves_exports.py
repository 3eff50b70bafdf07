"""Audit of rechecks from later exports: every look a file holds at an item counts, not only its first."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from _har import har as _har
from _recheck_server import FB_LIVE, FB_LOGIN, FB_UNAVAILABLE_ES

PAGE = "https://www.facebook.com/CruceSeguroUSA.Oficial"


def _tracked_page(case: Path, invoke, tmp_path: Path) -> None:
    urls = tmp_path / "tracked.txt"
    urls.write_text(PAGE + "\n", encoding="utf-8")
    assert invoke("scan", case, urls).exit_code == 0
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at)"
                     " SELECT id, 'violating', 'ana', '2021-04-10T00:00:00Z' FROM item")
    conn.close()


def _wave_items(invoke, case: Path) -> list[dict]:
    result = invoke("waves", case, "--items", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_har_that_loaded_the_page_twice_gives_both_looks(case, invoke, tmp_path):
    # The researcher's browser met a login wall at 10:00, they logged in, and at 10:05 the page read
    # "Este contenido no está disponible". Before: only the file's first capture gave a check, so the
    # wave read the item unknown (the wall) and the gone reading was dropped without a word.
    _tracked_page(case, invoke, tmp_path)
    har = _har(tmp_path / "session.har", [(PAGE, "2021-05-17T10:00:00.000Z", FB_LOGIN),
                                          (PAGE, "2021-05-17T10:05:00.000Z", FB_UNAVAILABLE_ES)])
    result = invoke("recheck", case, "--wave", "w2", har)
    assert result.exit_code == 0, result.output
    assert "2 export check(s) added" in result.stderr
    (row,) = _wave_items(invoke, case)
    assert (row["status"], row["observed_at"], row["state"]) == ("unavailable", "2021-05-17T10:05:00Z", "pending")

    # Running it again adds nothing: the same file gives the same looks.
    again = invoke("recheck", case, "--wave", "w2", har)
    assert again.exit_code == 0, again.output
    assert "0 export check(s) added" in again.stderr


def test_a_gone_look_followed_by_a_live_one_in_the_same_file_is_not_a_removal(case, invoke, tmp_path):
    # "Este contenido no está disponible" at 10:00, the page itself at 10:05 (a passing error page):
    # the item was live at the wave's latest look. Before: the first entry alone gave the check and
    # the wave counted the item gone.
    _tracked_page(case, invoke, tmp_path)
    har = _har(tmp_path / "session.har", [(PAGE, "2021-05-17T10:00:00.000Z", FB_UNAVAILABLE_ES),
                                          (PAGE, "2021-05-17T10:05:00.000Z", FB_LIVE)])
    result = invoke("recheck", case, "--wave", "w2", har)
    assert result.exit_code == 0, result.output
    (row,) = _wave_items(invoke, case)
    assert (row["status"], row["observed_at"], row["state"]) == ("available", "2021-05-17T10:05:00Z", "live")
    items = json.loads(invoke("items", case, "--format", "json").stdout)
    assert (items[0]["status"], items[0]["status_at"]) == ("available", "2021-05-17T10:05:00Z")
