"""`toolkit` loads a command's module only when that command runs, and lists every command in help."""

from __future__ import annotations

import json
import os
import pkgutil
import shutil
import subprocess
import sys

import typer
import typer.main
from conftest import FIXTURES, ROOT

import toolkit.cli
from toolkit.cli import COMMANDS, app

# Run the real entry point in a fresh interpreter, then say which modules the run had imported.
PROBE = """
import json, sys
from toolkit.cli import app
try:
    app(sys.argv[1:], prog_name="toolkit")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

# What recheck, report and review load, and scan never needs.
NOT_FOR_SCAN = ("httpx", "pandas", "statsmodels", "scipy", "networkx", "toolkit.recheck", "toolkit.report",
                "toolkit.cohort", "toolkit.cli.cmd_recheck", "toolkit.cli.cmd_report",
                # `toolkit tag`'s engine and its Parquet library (the distributed extra).
                "dask", "distributed", "pyarrow", "toolkit.tagjob", "toolkit.cli.cmd_tag",
                # The browser (the browser extra) and the commands that drive it.
                "playwright", "toolkit.browser", "toolkit.cli.cmd_capture", "toolkit.cli.cmd_browser")


def _modules_after(*args: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # From the repository's root: `-c` puts the working directory first on the path.
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_scan_of_a_small_folder_imports_no_recheck_or_report_libraries(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(FIXTURES / "singlefile" / "page_cruce_seguro.html", folder)
    shutil.copy(FIXTURES / "singlefile" / "group_login_wall.html", folder)
    case = tmp_path / "case"
    _modules_after("init", str(case))
    loaded = _modules_after("scan", "--quiet", str(case), str(folder))
    assert "toolkit.scan" in loaded  # the probe really ran the scan
    assert [m for m in loaded if m.startswith(NOT_FOR_SCAN)] == []


def test_the_command_table_names_what_each_module_registers():
    modules = {info.name for info in pkgutil.iter_modules(toolkit.cli.__path__) if info.name.startswith("cmd_")}
    assert set(COMMANDS.values()) == modules
    for module in modules:
        holder = typer.Typer()
        __import__(f"toolkit.cli.{module}", fromlist=["register"]).register(holder)
        registered = set(typer.main.get_group(holder).commands)
        assert registered == {name for name, owner in COMMANDS.items() if owner == module}, module


def test_help_lists_every_command_with_its_help(invoke):
    result = invoke("--help")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.split("Commands:", 1)[1].splitlines() if line.strip()]
    assert listed == list(COMMANDS)
    group = typer.main.get_command(app)
    for name in COMMANDS:
        assert group.commands[name].help  # every command has its help text
