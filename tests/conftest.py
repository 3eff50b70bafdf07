"""Shared fixtures: a CLI runner, a fresh case, and the real samples (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# TOOLKIT_SAMPLES points elsewhere (e.g. from a git worktree nested one level deeper).
SAMPLES = Path(os.environ.get("TOOLKIT_SAMPLES") or ROOT.parent / "shared" / "samples")


@pytest.fixture(autouse=True)
def private_user_data(tmp_path_factory, monkeypatch):
    """A user data folder of the test's own (browser profiles live there), never the tester's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("user-data")))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run the CLI; returns the result (stdout in .stdout, stderr in .stderr)."""

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


@pytest.fixture
def case(tmp_path, invoke) -> Path:
    """A freshly initialised case folder."""
    path = tmp_path / "case"
    result = invoke("init", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def samples() -> Path:
    """The real samples folder; tests using it skip when it is absent."""
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present")
    return SAMPLES


def sample(*parts: str) -> Path:
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"sample {'/'.join(parts)} is not present")
    return path


@pytest.fixture(scope="module")
def shared():
    """One real browser for a test module's visits (tests/_browser_server.SharedBrowser); the test
    is skipped, saying why, where no browser can run."""
    from _browser_server import SharedBrowser, require_browser

    require_browser()
    browser = SharedBrowser()
    yield browser
    browser.close()
