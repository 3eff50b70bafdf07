"""Build hook for the optional native accelerator; the project's metadata lives in pyproject.toml.

`toolkit/lexicon/_hsscan.c` (Hyperscan literal matching with matches collected in C) is compiled
only when Hyperscan's header is found (pkg-config `libhs`, else /usr/include/hs or
/usr/local/include/hs) and TOOLKIT_NO_NATIVE is not set to 1. It is `optional`: a failed build (no
compiler, no Python headers) only warns, and the matcher then uses its other engines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Extension, setup


def _pkg_config() -> dict[str, list[str]] | None:
    """Compiler and linker arguments for libhs from pkg-config, or None when it does not know libhs."""
    if shutil.which("pkg-config") is None:
        return None
    try:
        found = subprocess.run(["pkg-config", "--cflags", "--libs", "libhs"], capture_output=True, text=True,
                               timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    flags = found.stdout.split()
    return {"include_dirs": [f[2:] for f in flags if f.startswith("-I")],
            "library_dirs": [f[2:] for f in flags if f.startswith("-L")],
            "libraries": [f[2:] for f in flags if f.startswith("-l")] or ["hs"]}


def native_extensions() -> list[Extension]:
    if os.environ.get("TOOLKIT_NO_NATIVE") == "1":
        return []
    found = _pkg_config()
    if found is None:
        include = next((d for d in ("/usr/include/hs", "/usr/local/include/hs") if Path(d, "hs.h").is_file()), None)
        if include is None:
            return []
        found = {"include_dirs": [include], "library_dirs": [], "libraries": ["hs"]}
        if include.startswith("/usr/local/"):
            found["library_dirs"] = ["/usr/local/lib"]
    return [Extension("toolkit.lexicon._hsscan", ["toolkit/lexicon/_hsscan.c"], optional=True, **found)]


setup(ext_modules=native_extensions())
