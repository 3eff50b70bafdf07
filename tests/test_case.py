"""Case folders: init, config validation, schema versions."""

from __future__ import annotations

import sqlite3

import pytest

from toolkit.case import load_config, open_case
from toolkit.errors import CaseError
from toolkit.store.schema import LATEST

NOUNS = {"source", "item", "capture", "hit", "indicator", "review", "notice", "wave", "check"}


def test_init_creates_config_db_and_evidence(case):
    assert (case / "case.toml").read_text().startswith("# toolkit case file")
    assert (case / "evidence").is_dir()
    conn = sqlite3.connect(case / "case.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= NOUNS
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST


@pytest.mark.parametrize("name", ['bs\\q', 'dos "comillas"', "línea\nnueva"])
def test_init_writes_any_folder_name_as_a_toml_string(invoke, tmp_path, name):
    """A folder name with a backslash, quotes or a line break made a case.toml that was not TOML: the
    half-made case could not be opened, and a second init refused it."""
    folder = tmp_path / name
    assert invoke("init", folder).exit_code == 0
    assert load_config(folder)["case"]["name"] == name
    assert invoke("items", folder).exit_code == 0


def test_init_refuses_existing_case(case, invoke):
    result = invoke("init", case)
    assert result.exit_code == 1
    assert "a case already exists here" in result.output


def test_unknown_key_is_named(case, invoke):
    (case / "case.toml").write_text('[recheck]\nper_host_intervl = 3\n')
    result = invoke("items", case)
    assert result.exit_code == 1
    assert "unknown key 'recheck.per_host_intervl'" in result.output
    assert "Known keys in [recheck]" in result.output


def test_wrong_type_is_named(case, invoke):
    (case / "case.toml").write_text('[recheck]\nconcurrency = "many"\n')
    result = invoke("items", case)
    assert result.exit_code == 1
    assert "'recheck.concurrency' must be int" in result.output


def test_bool_is_not_a_number(case):
    (case / "case.toml").write_text("[recheck]\nretries = true\n")
    with pytest.raises(CaseError, match=r"recheck\.retries"):
        open_case(case)


def test_newer_schema_is_refused(case, invoke):
    conn = sqlite3.connect(case / "case.db")
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    result = invoke("items", case)
    assert result.exit_code == 1
    assert "made by a newer toolkit" in result.output
    assert "Upgrade toolkit" in result.output


def test_missing_case_folder(tmp_path, invoke):
    result = invoke("items", tmp_path / "nope")
    assert result.exit_code == 1
    assert "no such case folder" in result.output
