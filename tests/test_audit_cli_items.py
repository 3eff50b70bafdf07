"""`items` and `show` on a case whose items were merged, and on item numbers no case can hold."""

from __future__ import annotations

import json
from pathlib import Path

PAGE_ID = "100000111000001"
VANITY = "CruceSeguroUSA.Ejemplo"
# A page saved by the browser whose app link names its numeric id (as Facebook pages carry
# `al:android:url` fb://page/<id>), like the saved pages in shared/samples; synthetic.
SAVED = f"""<!-- saved from url=(0046)https://www.facebook.com/{VANITY} -->
<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Cruce Seguro USA | Facebook</title>
<meta property="og:title" content="Cruce Seguro USA"><meta property="og:url" content="https://www.facebook.com/{VANITY}">
<meta property="al:android:url" content="fb://page/{PAGE_ID}"><meta property="og:site_name" content="Facebook">
</head><body><h1>Cruce Seguro USA</h1></body></html>
"""


def _merged_case(invoke, case: Path, tmp_path: Path) -> None:
    """One page known by its vanity URL (a URL list) and its numeric id (another list): two items,
    the second merged into the first by the saved page that names both."""
    for name, text in (("vanity.txt", f"https://www.facebook.com/{VANITY}\n"),
                       ("numeric.txt", f"https://www.facebook.com/{PAGE_ID}\n"), ("page.html", SAVED)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = invoke("scan", case, path, "--collected-at", "2021-04-10T12:00:00Z", "--quiet")
        assert result.exit_code == 0, result.output


def test_what_the_case_holds_counts_a_merged_item_once(invoke, case, tmp_path):
    _merged_case(invoke, case, tmp_path)
    listed = json.loads(invoke("items", case, "--format", "json").stdout)
    assert len(listed) == 1, listed
    result = invoke("items", case, "--platform", "web")
    assert result.exit_code == 0
    # Before: "the case holds 2 items" and "facebook (2)" beside a listing of one.
    assert "(the case holds 1 items)" in result.stderr
    assert "its platforms: facebook (1)" in result.stderr
    assert "(the case holds 1 items)" in invoke("items", case, "--kind", "group").stderr


def test_show_an_item_number_beyond_any_id_is_an_unknown_item(invoke, case, tmp_path):
    """A 20-digit number (a platform id pasted as an item id) crashed with OverflowError."""
    _merged_case(invoke, case, tmp_path)
    for token in ("99999999999999999999", "#18446744073709551616", "²"):  # "²" is a digit int() refuses
        result = invoke("show", case, token)
        assert result.exit_code == 1, result.output
        assert f"unknown item '{token}'" in result.stderr
    assert invoke("show", case, "2", "--format", "json").exit_code == 0  # the merged item's own id still resolves


def test_a_negative_limit_is_a_usage_error(invoke, case, tmp_path):
    """`--limit -1` listed every item on a case without merges (SQLite's LIMIT -1) and silently all
    but the last on a case with them (a slice [:-1])."""
    _merged_case(invoke, case, tmp_path)
    (tmp_path / "more.txt").write_text("https://www.facebook.com/ViajesNorte.Ejemplo\n", encoding="utf-8")
    assert invoke("scan", case, tmp_path / "more.txt", "--quiet").exit_code == 0
    result = invoke("items", case, "--limit", "-1", "--format", "json")
    assert result.exit_code == 2
    assert "--limit" in result.output and not result.stdout.startswith("[")
    assert len(json.loads(invoke("items", case, "--limit", "2", "--format", "json").stdout)) == 2
