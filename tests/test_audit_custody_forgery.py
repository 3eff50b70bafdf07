"""Audit "custody": forgeries that `toolkit verify` (and `verify --bundle --key`) used to pass.

Each test builds a small case through the commands (a URL list and a CrowdTangle export scanned,
verdicts, a notice, a manual recheck wave), makes one change an adversary who holds the case
folder (but not the signing key) could make, and checks that verify names it, or that the next
command refuses to seal it as genuine.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
URLS = "https://www.facebook.com/CruceSeguroUSA\nhttps://www.facebook.com/groups/123456789/\n"


def _run(*args, input=None):
    result = CliRunner().invoke(app, [str(a) for a in args], input=input)
    return result


def _ok(*args, input=None):
    result = _run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A case made through the commands only, with a signed bundle and its key beside it."""
    root = tmp_path_factory.mktemp("custody-audit")
    case = root / "case"
    _ok("init", case)
    urls = root / "urls.txt"
    urls.write_text(URLS)
    _ok("scan", case, urls, FIXTURES / "crowdtangle" / "pages.csv")
    conn = sqlite3.connect(case / "case.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM item WHERE kind = 'page' ORDER BY id LIMIT 3")]
    conn.close()
    sheet = root / "sheet.csv"
    sheet.write_text("item_id,verdict,category,reviewed_at\n"
                     + "".join(f"{i},violating,smuggling_offer,2021-04-12T12:00:00Z\n" for i in ids))
    _ok("review", case, "--import", sheet, "--reviewer", "ana")
    _ok("flag", case, str(ids[0]), "--channel", "in_app", "--at", "2021-04-16", "--by", "ana")
    _ok("recheck", case, "--manual", "--all", "--wave", "m1", input="l" * 40)
    assert "intact" in _ok("verify", case).stdout
    _ok("key", "new", root / "key")
    _ok("export", case, "--bundle", root / "bundle.zip", "--sign", root / "key")
    return case


@pytest.fixture
def copy(pristine, tmp_path) -> Path:
    target = tmp_path / "case"
    shutil.copytree(pristine, target)
    return target


def _sql(case: Path, *statements: str) -> None:
    conn = sqlite3.connect(case / "case.db", isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def _caught(case: Path) -> str:
    result = _run("verify", case)
    assert result.exit_code == 1, f"not caught:\n{result.output}"
    assert "NOT intact" in result.stderr
    return result.stderr


# -- views and triggers: code in case.db that no row of the log covers ------------------------------------

def test_a_trigger_planted_in_case_db_is_caught_and_never_changes_a_later_write(copy):
    """The trigger turns every check recorded after it into `removed`: the researcher answered
    `live`, the case stored `removed`, and verify said intact."""
    _sql(copy, 'CREATE TRIGGER t AFTER INSERT ON "check"'
               " BEGIN UPDATE \"check\" SET status = 'removed' WHERE id = NEW.id; END")
    assert "trigger t in case.db was not made by toolkit" in _caught(copy)
    result = _run("recheck", copy, "--manual", "--all", "--wave", "m2", input="l" * 40)
    assert result.exit_code == 1
    assert "trigger t in case.db was not made by toolkit" in result.output
    conn = sqlite3.connect(copy / "case.db")
    try:
        assert conn.execute("SELECT count(*) FROM \"check\" WHERE status = 'removed'").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_redefined_view_is_caught_and_refused(copy):
    """notice_in_force is what every count of notices reads: emptied, the case had no notices."""
    _sql(copy, "DROP VIEW notice_in_force",
         "CREATE VIEW notice_in_force AS SELECT n.* FROM notice n WHERE n.id < 0")
    assert "view notice_in_force in case.db is not the one toolkit made" in _caught(copy)
    result = _run("items", copy, "--verdict", "violating")
    assert result.exit_code == 1 and "view notice_in_force" in result.output


def test_a_new_view_or_trigger_of_any_name_is_caught(copy, tmp_path):
    for statement in ("CREATE VIEW v AS SELECT 1",
                      "CREATE TRIGGER t2 BEFORE UPDATE ON item BEGIN SELECT 1; END"):
        case = tmp_path / str(abs(hash(statement)))
        shutil.copytree(copy, case)
        _sql(case, statement)
        _caught(case)


# -- bundles: the manifest is not signed ------------------------------------------------------------------

def _rezip(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(entries["manifest.json"])
    change(entries, manifest["files"])
    entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return target


def _evidence_entry(entries) -> str:
    return sorted(name for name in entries if name.startswith("evidence/"))[0]


def test_a_bundle_missing_an_evidence_file_and_its_manifest_line_is_caught(pristine, tmp_path):
    """The bundle stays signed (the receipt names the head, not the files): the evidence the case
    refers to must be there all the same."""
    bundle, key = pristine.parent / "bundle.zip", pristine.parent / "key.pub"
    assert _run("verify", "--bundle", bundle, "--key", key).exit_code == 0

    def left_out(entries, files):
        name = _evidence_entry(entries)
        del entries[name], files[name]

    def moved(entries, files):
        name = _evidence_entry(entries)
        elsewhere = "evidence/00/" + name.rsplit("/", 1)[1]
        entries[elsewhere], files[elsewhere] = entries.pop(name), files.pop(name)

    for change in (left_out, moved):
        forged = _rezip(bundle, tmp_path / f"{change.__name__}.zip", change)
        result = _run("verify", "--bundle", forged, "--key", key)
        assert result.exit_code == 1, (change.__name__, result.output)
        assert "is referenced by the case but missing from the bundle" in result.stderr


# -- captures belong to their source's event: one naming no source was in no event ------------------------

def test_a_capture_naming_no_source_is_caught_and_never_taken_in_by_the_next_scan(copy, tmp_path):
    """The forged capture names the id the next imported file will get: verify said intact, then
    the next scan sealed it inside that file's source event as if the file had held it."""
    _sql(copy, "INSERT INTO capture (item_id, source_id, observed_at, status)"
               " SELECT item_id, (SELECT max(id) + 1 FROM source), '2021-06-01T00:00:00Z', 'unavailable'"
               " FROM capture ORDER BY id LIMIT 1")
    assert "which is not in the case (added behind the log's back)" in _caught(copy)
    urls = tmp_path / "more.txt"
    urls.write_text("https://www.facebook.com/OtraPaginaNueva\n")
    result = _run("scan", copy, urls)
    assert result.exit_code == 1
    assert "which did not exist before this command: it was added outside toolkit" in result.output
    assert "which is not in the case" in _caught(copy)  # still caught: nothing was sealed


# -- a covered table dropped, or put back as a view -------------------------------------------------------

@pytest.mark.parametrize("statements", [
    ("DROP TABLE score",),  # every score gone: the check read only the tables there were
    ("DROP TABLE identity_conflict",),
    ("DROP TABLE notice_void",),  # a fact table, empty: verify crashed with a traceback
    ("DROP TABLE event",),
    ("DROP TABLE seal_leaf",),
], ids=["state-table", "another-state-table", "empty-fact-table", "log", "leaf-digests"])
def test_a_covered_table_dropped_is_caught_without_a_traceback(copy, statements):
    _sql(copy, *statements)
    result = _run("verify", copy)
    assert result.exit_code == 1, f"not caught:\n{result.output}"
    assert "NOT intact" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if statements[0] not in ("DROP TABLE event", "DROP TABLE seal_leaf"):
        assert "which the log covers, is no longer in case.db" in result.stderr


# -- what verify says of a case this toolkit made -------------------------------------------------------

def test_a_case_made_by_this_toolkit_is_not_said_to_be_made_by_an_older_one(tmp_path):
    """A case folder with its case.toml and no case.db yet (as cases/example ships): the first scan
    makes the database. verify then told it that it 'was made by an older toolkit, and a change to
    [derived rows] before that cannot be detected': untrue, and a gift to whoever disputes the case."""
    case = tmp_path / "case"
    _ok("init", case)
    for path in case.glob("case.db*"):
        path.unlink()
    urls = tmp_path / "urls.txt"
    urls.write_text(URLS)
    _ok("scan", case, urls)
    _ok("flag", case, "1", "--channel", "in_app", "--at", "2021-04-16", "--by", "ana")
    result = _run("verify", case)
    assert result.exit_code == 0, result.output
    assert "older toolkit" not in result.output and "cannot be detected" not in result.output
