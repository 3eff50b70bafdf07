"""The files in force for a case's commands: case.toml, lexicons and markers, by sha256.

Each write records them in the custody log when they changed (a `context` event), so a report can
be reproduced from what the log names, and `verify` notices a case.toml or lexicon edited since
the last command. Kept free of the lexicon and platform packages (which load numpy and parsers):
every command opens a case, few tag or detect.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from toolkit import __version__

PACKAGE = Path(__file__).resolve().parent
LEXICON_DATA = PACKAGE / "lexicon" / "data"
SHIPPED_MODEL = LEXICON_DATA / "offer_model.npz"  # the offer model `[scan] model = "default"` names
MARKER_DATA = PACKAGE / "platforms" / "markers"
MARKERS_ENV = "TOOLKIT_MARKERS"  # as toolkit.platforms.markers.ENV_VAR
CASE_MARKERS = "markers.toml"  # as toolkit.platforms.markers.case_markers
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # as toolkit.lexicon.loader.NAME_RE
SHIPPED = "toolkit:"  # names of files that ship with toolkit (they change only with its version)


def file_sha256(path: Path) -> str | None:
    """The sha256 of a file's bytes, None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def lexicon_paths(specs: list[str], root: Path) -> list[Path]:
    """The lexicon files a case's `[scan] lexicons` names, resolved as toolkit.lexicon.resolve does
    (a test keeps the two in step). Names that resolve to nothing are left out."""
    paths: list[Path] = []
    for spec in specs:
        if spec == "default":
            paths.extend(sorted(LEXICON_DATA.glob("*.toml")))
        elif _NAME.match(spec) and (LEXICON_DATA / f"{spec}.toml").is_file():
            paths.append(LEXICON_DATA / f"{spec}.toml")
        elif spec.endswith(".toml") or "/" in spec or "\\" in spec:
            path = Path(spec)
            paths.append(path if path.is_absolute() else root / path)
    return list(dict.fromkeys(p.resolve() for p in paths))


def model_path(spec: str | None, root: Path | None = None) -> Path | None:
    """The offer model file a case's `[scan] model` (or a `--model` option) names: "" or "none"
    for none, "default" for the shipped model, else a path (relative to `root`, the case folder)."""
    if spec is None or spec.strip().lower() in ("", "none"):
        return None
    if spec.strip().lower() == "default":
        return SHIPPED_MODEL
    path = Path(spec).expanduser()
    return path if path.is_absolute() or root is None else root / path


def _name(path: Path, root: Path) -> str:
    """How a file is named in the log: relative to the case folder, or as shipped, or absolute."""
    resolved = path.resolve()
    for base, prefix in ((root.resolve(), ""), (PACKAGE, SHIPPED)):
        if resolved.is_relative_to(base):
            return prefix + resolved.relative_to(base).as_posix()
    return str(resolved)


def case_files(root: Path, config: dict[str, dict[str, Any]]) -> dict[str, Path]:
    """name -> path of every file in force: case.toml, lexicons, the offer model, markers (shipped and the case's)."""
    files = {"case.toml": root / "case.toml"}
    for path in lexicon_paths(config["scan"]["lexicons"], root):
        files[_name(path, root)] = path
    model = model_path(config["scan"].get("model", "none"), root)
    if model is not None:
        files[_name(model, root)] = model
    for path in sorted(MARKER_DATA.glob("*.toml")):
        files[_name(path, root)] = path
    if (root / CASE_MARKERS).is_file():
        files[CASE_MARKERS] = root / CASE_MARKERS
    for entry in os.environ.get(MARKERS_ENV, "").split(os.pathsep):
        if entry:
            files[_name(Path(entry), root)] = Path(entry)
    return files


def case_context(root: Path, config: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the log records of the files in force: the toolkit version and each file's sha256
    (None for a file named but unreadable)."""
    return {"toolkit": __version__,
            "files": {name: file_sha256(path) for name, path in sorted(case_files(root, config).items())}}


def compare(recorded: dict[str, Any], root: Path, config: dict[str, dict[str, Any]] | None) -> tuple[list[str], list[str]]:
    """(problems, notes): how the files in force now differ from those the log last recorded.

    A case file changed or gone is a problem. Shipped files are compared only when this toolkit is
    the version that recorded them (another version ships other files: a note)."""
    problems: list[str] = []
    notes: list[str] = []
    same_version = recorded.get("toolkit") == __version__
    now = case_context(root, config)["files"] if config is not None else {}
    for name, sha in sorted(recorded.get("files", {}).items()):
        if name.startswith(SHIPPED):
            if same_version and now.get(name, file_sha256(PACKAGE / name.removeprefix(SHIPPED))) != sha:
                problems.append(f"{name} differs from the file in force at the last command")
            continue
        path = Path(name) if Path(name).is_absolute() else root / name
        actual = file_sha256(path)
        if actual is None and sha is not None:
            problems.append(f"{name} was in force at the last command and is now missing")
        elif actual != sha:
            problems.append(f"{name} was changed after the last command that used it")
    for name in sorted(set(now) - set(recorded.get("files", {}))):
        if not name.startswith(SHIPPED):
            problems.append(f"{name} is in force now but was not at the last command")
    if not same_version:
        notes.append(f"the log was last written by toolkit {recorded.get('toolkit')}; this is {__version__}:"
                     " its shipped lexicons and markers were not compared")
    return problems, notes
