"""Hostile input: every nasty file ends in a clear per-file error or a bounded, correct import.

Each file is scanned by a real `toolkit scan` process whose peak memory is measured; none may
crash (no traceback), exceed MEMORY_BOUND_MB or TIME_BOUND_S, or write outside the case folder.
A folder scan of the whole corpus (with a symlink pointing outside it) goes on past every file.
"""

from __future__ import annotations

from pathlib import Path

import hostile
import pytest

ROOT = Path(__file__).resolve().parent.parent
MEMORY_BOUND_MB = 400
TIME_BOUND_S = 90

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return hostile.write_all(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", sorted(hostile.GENERATORS))
def test_hostile_file_is_bounded_and_clear(name, corpus, tmp_path):
    case = tmp_path / "case"
    hostile.run_measured("init", case)
    result, peak_mb, seconds = hostile.run_measured("scan", case, corpus[name])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-3000:]
    if result.returncode == 1:
        assert corpus[name].name in result.stderr  # the error names the file
    assert peak_mb < MEMORY_BOUND_MB, f"{name}: peak {peak_mb:.0f} MB"
    assert seconds < TIME_BOUND_S, f"{name}: {seconds:.1f} s"
    # Nothing escaped the case folder (zip entries with .. or absolute paths are never extracted).
    assert not (corpus[name].parent.parent / "escaped.txt").exists()
    assert not Path("/etc/escaped-absolute.txt").exists()
    check, _, _ = hostile.run_measured("verify", case)
    assert check.returncode == 0, check.stderr


def test_folder_of_hostile_files_goes_on(corpus, tmp_path):
    folder = next(iter(corpus.values())).parent
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("https://www.facebook.com/secret-page\n")
    link = folder / "link-to-outside"
    if not link.exists():
        link.symlink_to(outside, target_is_directory=True)
    good = folder / "zz-good-urls.txt"
    good.write_text("https://www.facebook.com/CruceSeguroUSA\n")
    case = tmp_path / "case"
    hostile.run_measured("init", case)
    result, peak_mb, _ = hostile.run_measured("scan", case, folder)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "zz-good-urls.txt: urls" in result.stderr
    assert "secret" not in result.stderr  # the symlink was not followed
    assert peak_mb < MEMORY_BOUND_MB
