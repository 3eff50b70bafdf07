"""One name, one concept: no two modules of the package share a basename.

A reader who meets `purge` or `notices` should not have to ask which one: once two modules shared
a name for two different things (the purge operation and its SQL; the flag operations and the
notice rows). Packages count as modules (`toolkit/browser/` and a `browser.py` elsewhere would
clash); `__init__.py` files are their package's; a leading underscore does not make another name
(`sources/_pages.py` and `platforms/pages.py` were two things called pages). The few names shared on purpose are listed below
with why, each as the exact set of paths, so a third module of that name still fails.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "toolkit"

PLATFORMS = ("facebook", "generic", "instagram", "telegram", "tiktok", "whatsapp")

# basename -> the exact paths (relative to toolkit/) allowed to share it, and why.
SHARED_ON_PURPOSE: dict[str, tuple[frozenset[str], str]] = {
    **{name: (frozenset({f"platforms/{name}.py", f"platforms/detectors/{name}.py"}),
              "one platform in each registry: its URL identity, and the detector reading its pages")
       for name in PLATFORMS},
    "telegram": (frozenset({"platforms/telegram.py", "platforms/detectors/telegram.py", "sources/_telegram.py"}),
                 "Telegram in each registry, and the reading its two export formats share (sources/)"),
    "base": (frozenset({"sources/base.py", "platforms/base.py"}),
             "each plugin package's contract (Importer, Platform); plugins.SKIP relies on the name"),
    "registry": (frozenset({"sources/registry.py", "platforms/registry.py"}),
                 "each plugin package's registry; plugins.SKIP relies on the name"),
}


def module_names(root: Path = PACKAGE) -> dict[str, set[str]]:
    """basename -> paths (relative to `root`) of the modules and packages with that name."""
    names: dict[str, set[str]] = defaultdict(set)
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts:
            continue
        if path.name == "__init__.py":
            if rel.parent != Path("."):
                names[rel.parent.name.lstrip("_")].add(rel.parent.as_posix() + "/")
        else:
            names[path.stem.lstrip("_")].add(rel.as_posix())
    return names


def clashes(names: dict[str, set[str]]) -> dict[str, list[str]]:
    """The names used by more than one module, beyond what SHARED_ON_PURPOSE allows."""
    out = {}
    for name, paths in names.items():
        if len(paths) < 2:
            continue
        allowed = SHARED_ON_PURPOSE.get(name)
        if allowed is None or paths != allowed[0]:
            out[name] = sorted(paths)
    return out


def test_no_two_modules_share_a_name():
    assert clashes(module_names()) == {}, (
        "two modules share a name: rename one after what it does for its stage "
        "(or, when it is the same concept in two plugin packages, list it in SHARED_ON_PURPOSE with why)")


def test_each_deliberate_exception_still_exists():
    names = module_names()
    stale = {name for name, (paths, _) in SHARED_ON_PURPOSE.items() if names.get(name) != paths}
    assert stale == set(), "SHARED_ON_PURPOSE lists names no longer shared: remove them"


def test_the_check_sees_a_clash(tmp_path):
    """The walk itself: a module named like a package, and two same-named modules, are both found."""
    for rel in ("a/__init__.py", "a/notices.py", "b/__init__.py", "b/_notices.py", "c/a.py", "c/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert clashes(module_names(tmp_path)) == {"a": ["a/", "c/a.py"], "notices": ["a/notices.py", "b/_notices.py"]}


def test_moved_modules_keep_their_public_names():
    """Code moved out of a module or an `__init__.py` stays importable where scripts found it."""
    import toolkit.cli
    import toolkit.platforms.markers
    import toolkit.report
    import toolkit.scan
    from toolkit.cli.root import main
    from toolkit.platforms.markers.marker_rules import book
    from toolkit.report.output import write_report
    from toolkit.scan.pipeline import FileResult, scan_file, scan_paths

    assert (toolkit.scan.scan_paths, toolkit.scan.scan_file, toolkit.scan.FileResult) == (scan_paths, scan_file,
                                                                                          FileResult)
    assert toolkit.report.write_report is write_report
    assert toolkit.cli.main is main
    assert toolkit.platforms.markers.book is book


def test_the_scan_reader_process_does_not_load_the_writer():
    """The spawned reader imports `toolkit.scan.reader`; the package must not pull in the pipeline
    (the case, the importer registry) with it."""
    import subprocess
    import sys

    probe = "import sys, toolkit.scan.reader; print('toolkit.scan.pipeline' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
