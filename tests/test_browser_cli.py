"""The browser commands' setup: the login in a visible browser (on a virtual display here), its
refusal without a display, the profile kept outside the case, and a toolkit without Playwright."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from _browser_server import BrowserServer, require_browser, require_xvfb
from _recheck_server import allow_local_hosts

from toolkit.browser.options import profile_folder
from toolkit.case import open_case
from toolkit.errors import CaseError


@pytest.fixture
def display(monkeypatch):
    """A virtual X display (Xvfb) for the visible-browser login; skipped where Xvfb is missing."""
    xvfb = require_xvfb()
    # Xvfb picks a free display number itself and writes it to the pipe when it listens: no race with
    # another test worker (or another suite on this machine) choosing the same number.
    read_end, write_end = os.pipe()
    process = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                               pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], 30)
        number = pipe.readline().strip().decode() if ready else ""
    if not number.isdigit():
        process.kill()
        process.wait()
        pytest.skip("Xvfb did not start")
    monkeypatch.setenv("DISPLAY", f":{number}")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    yield f":{number}"
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow
def test_login_keeps_a_session_that_later_runs_use(case, invoke, display):
    require_browser()
    allow_local_hosts(case)  # the login window obeys the address guard too: the server is on 127.0.0.1
    with BrowserServer(canary_live=0) as server:  # the canary and the closed group show only to a session
        result = invoke("browser", "login", case, "--url", server.base + "/login-form", input="\n")
        assert result.exit_code == 0, result.output
        profile = profile_folder("", case)
        assert f"Profile kept at {profile}" in " ".join(result.stderr.split())
        assert (profile / "Default").is_dir() and oct(profile.stat().st_mode & 0o777) == "0o700"
        assert server.hits("/login-form") == 1
        assert "never a personal one" in result.stderr and "does not see what you type" in result.stderr

        captured = invoke("capture", case, server.base + "/groups/cerrado", "--platform", "facebook", "--format", "json")
        assert captured.exit_code == 0, captured.output
        assert [r["status"] for r in orjson.loads(captured.stdout)] == ["available"]
        assert f"Browser profile: {profile}" in " ".join(captured.stderr.split())
        logged_out = invoke("capture", case, server.base + "/groups/cerrado", "--platform", "facebook", "--again",
                            "--logged-out", "--format", "json")
        assert [r["status"] for r in orjson.loads(logged_out.stdout)] == ["login_required"]

        invoke("canary", "add", case, server.base + "/ControlCanario", "--platform", "facebook")
        status = invoke("browser", "status", case, "--format", "json")
        assert [r["live"] for r in orjson.loads(status.stdout)] == [True]
    with open_case(case) as opened:
        sessions = [orjson.loads(opened.read_evidence(row[0]).split(b"\n-->\n", 1)[0].split(b"\n", 1)[1])["session"]
                    for row in opened.db.execute("SELECT evidence FROM source ORDER BY id")]
    assert sessions == ["profile", "none"]
    assert not any(case.rglob("Cookies"))  # the session's cookies never enter the case folder


def test_login_without_a_display_refuses_clearly(case, invoke, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform in {"darwin", "win32"}:
        pytest.skip("macOS and Windows always have a display")
    result = invoke("browser", "login", case, "--platform", "facebook")
    assert result.exit_code == 1
    assert "no display" in result.stderr and "DISPLAY" in result.stderr
    assert not profile_folder("", case).exists()  # nothing was set up
    assert invoke("browser", "login", case, "--platform", "myspace").exit_code == 2


def test_a_profile_inside_the_case_is_refused(case, invoke):
    config = case / "case.toml"
    config.write_text(config.read_text().replace('profile = ""', 'profile = "./perfiles/fb"'))
    with pytest.raises(CaseError, match="inside the case folder"):
        profile_folder("./perfiles/fb", case)
    result = invoke("capture", case, "https://www.facebook.com/CruceSeguroUSA.Oficial")
    assert result.exit_code == 1 and "must never travel with the case" in result.stderr


def test_a_bare_profile_name_lives_in_the_user_data_folder(case, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert profile_folder("research-fb", case) == (tmp_path / "data" / "toolkit" / "browser-profiles" / "research-fb").resolve()
    assert profile_folder("", case).name == "default"
    assert profile_folder("~/perfiles/fb", case) == (Path.home() / "perfiles" / "fb").resolve()


def test_without_playwright_the_browser_commands_say_how_to_install_it(case, invoke, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright", None)  # `import playwright` now fails
    result = invoke("capture", case, "https://www.facebook.com/CruceSeguroUSA.Oficial")
    assert result.exit_code == 1
    assert "Playwright is not installed" in result.stderr and "pip install 'toolkit[browser]'" in result.stderr
    result = invoke("recheck", case, "--all", "--method", "browser")
    assert result.exit_code == 1 and "Playwright is not installed" in result.stderr
    with open_case(case) as opened:
        assert opened.db.execute("SELECT count(*) FROM wave").fetchone()[0] == 0  # refused before a wave opened


@pytest.mark.slow
def test_the_rest_of_the_toolkit_runs_without_playwright(tmp_path):
    """A fresh interpreter where `import playwright` fails: init, scan and items work as before."""
    page = Path(__file__).resolve().parent / "fixtures" / "singlefile" / "page_cruce_seguro.html"
    script = (
        "import sys; sys.modules['playwright'] = None\n"
        "from toolkit.cli import app\n"
        "for args in (['init', sys.argv[1]], ['scan', '--quiet', sys.argv[1], sys.argv[2]], ['items', sys.argv[1]]):\n"
        "    try:\n"
        "        app(args, prog_name='toolkit')\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, (args, exc.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "case"), str(page)], capture_output=True,
                          text=True, timeout=120, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert "Cruce Seguro" in done.stdout


def test_the_login_window_obeys_the_address_guard(case, invoke, display):
    require_browser()
    with BrowserServer() as server:  # on 127.0.0.1, and the case does not allow private hosts
        result = invoke("browser", "login", case, "--url", server.base + "/login-form", input="\n")
        assert result.exit_code == 0, result.output
        assert server.hits("/login-form") == 0
