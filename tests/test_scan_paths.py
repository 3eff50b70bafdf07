"""What a scan reads (issue 16): a glob never leaves the folder it names through a symbolic link (as
a folder scan never does), and UTF-16/32 text with a byte-order mark is read, or refused with its
encoding named."""

from __future__ import annotations

import json

import orjson
import pytest

from toolkit.scan.pipeline import expand

URL = "https://www.facebook.com/CruceSeguroUSA\n"


@pytest.fixture
def tree(tmp_path):
    """exports/ with a page list, a link to a file outside and a link to a folder outside."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("https://www.facebook.com/secret-page\n")
    (outside / "deep" / "secret.txt").write_text("https://www.facebook.com/deeper-secret\n")
    exports = tmp_path / "exports"
    (exports / "april").mkdir(parents=True)
    (exports / "urls.txt").write_text(URL)
    (exports / "april" / "more.txt").write_text("https://www.facebook.com/ViajesNorte\n")
    (exports / "secret.txt").symlink_to(outside / "secret.txt")
    (exports / "linked").symlink_to(outside, target_is_directory=True)
    (exports / "april" / "linked").symlink_to(outside / "deep", target_is_directory=True)
    return exports


@pytest.mark.parametrize("pattern", ["{e}/*", "{e}/**/*.txt", "{e}/**", "{e}/*/*.txt", "{e}/li*/*"])
def test_globs_never_follow_links_out_of_the_folder(tree, pattern):
    found = sorted(str(p.relative_to(tree)) for p, _ in expand([pattern.format(e=tree)]))
    assert "secret" not in " ".join(found)
    assert set(found) <= {"urls.txt", "april/more.txt"}


def test_a_folder_scan_and_a_glob_read_the_same_files(tree):
    assert sorted(p for p, _ in expand([str(tree)])) == sorted(p for p, _ in expand([f"{tree}/**/*"]))


def test_the_folder_a_glob_names_may_itself_be_a_link(tree, tmp_path):
    (tmp_path / "alias").symlink_to(tree, target_is_directory=True)
    found = sorted(p.name for p, _ in expand([f"{tmp_path / 'alias'}/*.txt"]))
    assert found == ["urls.txt"]


def test_scanning_a_glob_never_imports_what_a_link_points_at(invoke, case, tree):
    result = invoke("scan", case, f"{tree}/**/*.txt")
    assert result.exit_code == 0, result.output
    assert "secret" not in result.output
    urls = {item["url"] for item in json.loads(invoke("items", case, "--format", "json").stdout)}
    assert not any("secret" in url for url in urls)


TEXTS = {
    "urls.txt": URL + "https://www.facebook.com/groups/ViajesNorte\n",
    "sheet.csv": "url,name\nhttps://www.facebook.com/CruceSeguroUSA,Cruce Seguro ñandú\n",
    "page.html": "<!DOCTYPE html><html><head><title>Cruce Seguro ñandú</title><meta property='og:url' "
                 "content='https://www.facebook.com/CruceSeguroUSA'></head><body>Salidas</body></html>",
    "items.ndjson": orjson.dumps({"nav_index": "1", "timestamp_collected": 1618567200000,
                                  "source_platform": "tiktok.com", "source_platform_url": "https://www.tiktok.com/",
                                  "data": {"id": "6944300000000000001", "desc": "Salida ñandú #cruce",
                                           "createTime": 1616371200, "author": {"uniqueId": "cuenta_1",
                                                                                "nickname": "Cuenta", "id": "680001"}}}
                                 ).decode() + "\n",
}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
@pytest.mark.parametrize("name", sorted(TEXTS))
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(invoke, case, tmp_path, encoding, name):
    path = tmp_path / name
    boms = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}
    path.write_bytes(boms.get(encoding, b"") + TEXTS[name].encode(encoding))
    result = invoke("scan", case, path)
    assert result.exit_code == 0, result.output
    assert f"{name}: " in result.stderr and "0 mapped" not in result.stderr
    assert json.loads(invoke("items", case, "--format", "json").stdout), result.output
    if "ñandú" in TEXTS[name]:  # decoded right: the accented text is found as written
        assert json.loads(invoke("items", case, "--query", "ñandú", "--format", "json").stdout), result.output


def test_text_in_no_known_format_names_its_encoding(invoke, case, tmp_path):
    bom = tmp_path / "notes.dat"
    bom.write_bytes("nothing toolkit reads\n".encode("utf-16"))
    result = invoke("scan", case, bom)
    assert result.exit_code == 1
    assert "not a format toolkit knows (UTF-16 LE text with a byte-order mark, read as UTF-8)" in result.output
    plain = tmp_path / "export.csv"
    plain.write_bytes("url,name\nhttps://www.facebook.com/a,Cruce\n".encode("utf-16-le"))
    result = invoke("scan", case, plain)
    assert "looks like UTF-16 text without a byte-order mark: re-save it as UTF-8" in result.output
