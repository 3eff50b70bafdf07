"""Bad input in a folder scan: each file is reported clearly and none stops the rest."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import hostile
from conftest import FIXTURES, ROOT
from test_archives import make_wacz, make_warc

from toolkit.sources import registry

BIG = 200 << 20


def write_single_line(path: Path, prefix: bytes, size: int) -> Path:
    """A file of `size` bytes on one line, written in chunks (never held in memory whole)."""
    chunk = b"x" * (1 << 20)
    with open(path, "wb") as handle:
        handle.write(prefix)
        left = size - len(prefix)
        while left > 0:
            handle.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


def test_mixed_bad_folder_is_scanned_to_the_end(invoke, case, tmp_path):
    folder = tmp_path / "descargas"
    folder.mkdir()
    shutil.copy(FIXTURES / "singlefile" / "page_cruce_seguro.html", folder / "bueno.html")
    shutil.copy(FIXTURES / "html" / "no_platform_no_url.html", folder / "sin_plataforma.html")
    shutil.copy(FIXTURES / "html" / "blog_no_platform.html", folder / "blog.html")
    shutil.copy(FIXTURES / "html" / "unknown_encoding.html", folder / "codificacion.html")
    corrupt = make_warc(folder / "rota.warc")
    data = corrupt.read_bytes()
    second = data.index(b"WARC/1.", 10)
    corrupt.write_bytes(data[:second] + b"XXXX" + data[second + 4:])
    make_wacz(folder / "hash_malo.wacz", wrong_hash=True)
    make_wacz(folder / "escape.wacz", extra={"../../fuera.txt": b"x"})
    (folder / "notas.bin").write_bytes(bytes(range(256)) * 10)

    result = invoke("scan", case, folder)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    # The good page and every readable part of the bad files are imported.
    assert "bueno.html: singlefile" in out
    # No platform and no URL: the file is named, and the reason says what is missing.
    assert "sin_plataforma.html: no records could be imported" in out and "no source URL" in out
    # A page of no known platform is still a generic item, marked as showing no markers.
    assert "blog.html: singlefile" in out and "1 error (no-markers)" in out
    assert "unknown encoding 'x-mac-klingon', read as windows-1252" in out
    assert "corrupt-record" in out and "rota.warc at byte" in out
    assert "hash-mismatch" in out and "unsafe-path" in out and "'../../fuera.txt'" in out
    assert "1 file(s) in no known format" in out and "notas.bin" in out
    assert not (tmp_path / "fuera.txt").exists()
    db = sqlite3.connect(case / "case.db")
    assert db.execute("SELECT count(*) FROM source").fetchone()[0] == 6


def test_a_200_mb_single_line_page_is_read_in_bounded_memory(tmp_path):
    folder = tmp_path / "grande"
    folder.mkdir()
    write_single_line(folder / "enorme.html", b"<!DOCTYPE html><html><head><title>Enorme</title>"
                      b'<meta property="og:url" content="https://noticias-frontera.example.org/enorme"></head><body><p>', BIG)
    shutil.copy(FIXTURES / "singlefile" / "page_cruce_seguro.html", folder / "zz_despues.html")
    case = tmp_path / "case"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = [sys.executable, "-m", "toolkit"]
    subprocess.run([*run, "init", str(case)], check=True, env=env, capture_output=True)
    (case / "case.toml").write_text((case / "case.toml").read_text().replace("keep_evidence = true", "keep_evidence = false"))
    # The scan's own peak (VmHWM, tests/hostile.py): RUSAGE_CHILDREN here would carry the pytest
    # process's peak over through fork.
    done, peak_mb, _ = hostile.run_measured("scan", case, folder, timeout=300, root=ROOT, cap_mb=None)
    assert done.returncode == 0, done.stderr
    err = " ".join(done.stderr.split())
    assert "enorme.html: html" in err and "only its first 32 MB were read" in err
    assert "zz_despues.html: singlefile" in err  # the scan went on
    # Reading the whole 200 MB line (and parsing it) would need well over 400 MB.
    assert 0 < peak_mb < 400, f"peak memory {peak_mb:.0f} MB"


def test_sniffers_never_claim_binary_or_empty_heads(tmp_path):
    path = tmp_path / "x.bin"
    for head in (b"", b"\x00" * 100, bytes(range(256)), b"PK\x03\x04" + b"\x00" * 100):
        for importer in registry.importers():
            if importer.name in {"singlefile", "html", "mhtml", "warc", "wacz", "har", "telegram-json",
                                 "telegram-html", "mcl", "facebook-dyi"}:
                assert not importer.sniff(path, head), (importer.name, head[:8])
