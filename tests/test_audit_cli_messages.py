"""What the everyday commands print reads as written: table titles and messages naming a wave, a
file or a case folder are not Rich markup or emoji codes, and a URL that cannot be requested is a
one-line error for that argument while `detect` reads the others."""

from __future__ import annotations

from pathlib import Path

# A page as Firefox's "Save page as" writes it (the `saved from url=` comment, og: tags), like the
# saved Facebook pages of shared/samples; synthetic: the page and its name are made up.
PAGE_URL = "https://www.facebook.com/CruceSeguro.Ejemplo"
SAVED_PAGE = f"""<!-- saved from url=(0044){PAGE_URL} -->
<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Cruce Seguro | Facebook</title>
<meta property="og:title" content="Cruce Seguro"><meta property="og:url" content="{PAGE_URL}">
<meta property="og:site_name" content="Facebook"></head><body><h1>Cruce Seguro</h1></body></html>
"""


def _saved_page(folder: Path, name: str = "cruce.html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(SAVED_PAGE, encoding="utf-8")
    return path


def test_a_wave_name_in_a_table_title_is_printed_as_written(invoke, case, tmp_path):
    """`recheck --wave 'w[/]1'` wrote its checks, then crashed on the summary's title (a closing
    tag with nothing to close); `[red]x` was shown as `x`."""
    urls = tmp_path / "urls.txt"
    urls.write_text(PAGE_URL + "\n", encoding="utf-8")
    assert invoke("scan", case, urls, "--quiet").exit_code == 0
    _saved_page(tmp_path / "wave")
    result = invoke("recheck", case, "--all", "--wave", "w[/]1 [red]x", tmp_path / "wave",
                    "--collected-at", "2021-05-17T15:00:00Z")
    assert result.exit_code == 0, result.output
    assert "Wave w[/]1 [red]x" in result.stdout


def test_emoji_codes_in_file_and_folder_names_are_printed_as_written(invoke, tmp_path):
    result = invoke("detect", tmp_path / "página:cross_mark:.html")
    assert result.exit_code == 1
    assert "página:cross_mark:.html: cannot read" in result.stderr
    assert "❌" not in result.stderr
    result = invoke("items", tmp_path / "caso:thumbs_up:")
    assert result.exit_code == 1
    assert "caso:thumbs_up:: no such case folder" in result.stderr


def test_detect_says_which_url_cannot_be_requested_and_reads_the_rest(invoke, tmp_path):
    """`detect 'http://[::1' page.html` ended in an InvalidURL traceback, reading nothing."""
    page = _saved_page(tmp_path)
    result = invoke("detect", "http://[::1", page, "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Error: http://[::1: not a valid URL" in result.stderr
    assert "Traceback" not in result.output
    assert '"status": "available"' in result.stdout
    result = invoke("detect", "http://[::1")
    assert result.exit_code == 1
    assert "not a valid URL" in result.stderr and not result.stdout
