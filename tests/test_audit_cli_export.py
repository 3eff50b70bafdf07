"""`export --bundle` (and `--save-receipt`) replace only an earlier bundle (receipt): never the
case's own database, an input or a folder."""

from __future__ import annotations

import zipfile


def _case_with_an_item(invoke, case, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/CruceSeguro.Ejemplo\n", encoding="utf-8")
    assert invoke("scan", case, urls, "--quiet").exit_code == 0
    return urls


def test_a_bundle_never_replaces_the_case_database_or_an_input(invoke, case, tmp_path):
    urls = _case_with_an_item(invoke, case, tmp_path)
    db = (case / "case.db").read_bytes()
    listed = invoke("items", case, "--format", "json").stdout
    for target in (case / "case.db", case / "case.toml", urls):
        before = target.read_bytes()
        result = invoke("export", case, "--bundle", target)
        assert result.exit_code == 1, result.output
        assert "the file exists and is not a toolkit bundle" in result.stderr
        assert target.read_bytes() == before
    # Before: `--bundle CASE/case.db` replaced the database with the zip, and the case was gone.
    assert (case / "case.db").read_bytes() == db
    assert invoke("items", case, "--format", "json").stdout == listed


def test_a_bundle_into_a_folder_is_a_clear_error(invoke, case, tmp_path):
    _case_with_an_item(invoke, case, tmp_path)
    result = invoke("export", case, "--bundle", tmp_path)
    assert result.exit_code == 1
    assert "--bundle " + str(tmp_path) + ": is a folder" in result.stderr
    assert not isinstance(result.exception, IsADirectoryError)  # before: a traceback, after a snapshot was made


def test_an_earlier_bundle_and_receipt_are_replaced(invoke, case, tmp_path):
    _case_with_an_item(invoke, case, tmp_path)
    bundle, receipt = tmp_path / "case.zip", tmp_path / "receipt.json"
    for _ in range(2):
        result = invoke("export", case, "--bundle", bundle, "--save-receipt", receipt)
        assert result.exit_code == 0, result.output
    assert "manifest.json" in zipfile.ZipFile(bundle).namelist()
    assert invoke("verify", "--bundle", bundle, "--receipt", receipt).exit_code == 0


def test_a_receipt_never_replaces_another_file(invoke, case, tmp_path):
    _case_with_an_item(invoke, case, tmp_path)
    config = (case / "case.toml").read_bytes()
    result = invoke("export", case, "--bundle", tmp_path / "case.zip", "--save-receipt", case / "case.toml")
    assert result.exit_code == 1
    assert "the file exists and is not a toolkit receipt" in result.stderr
    assert (case / "case.toml").read_bytes() == config
    assert not (tmp_path / "case.zip").exists()  # refused before anything was written
    result = invoke("export", case, "--bundle", tmp_path / "b.zip", "--save-receipt", tmp_path / "b.zip")
    assert result.exit_code == 2
    assert "same file" in result.stderr


def test_verify_saves_a_receipt_only_over_an_earlier_receipt(invoke, case, tmp_path):
    urls = _case_with_an_item(invoke, case, tmp_path)
    before = urls.read_bytes()
    refused = invoke("verify", case, "--save-receipt", urls)
    assert refused.exit_code == 1 and "the file exists and is not a toolkit receipt" in refused.stderr
    assert urls.read_bytes() == before
    receipt = tmp_path / "receipt.json"
    assert invoke("verify", case, "--save-receipt", receipt).exit_code == 0
    assert invoke("verify", case, "--save-receipt", receipt).exit_code == 0  # an earlier receipt is replaced
    assert invoke("verify", case, "--save-receipt", tmp_path).exit_code == 1  # a folder
