"""Loading the modules that register plugins: built-in ones by walking a package, third-party
ones through an entry-point group. Shared by the importer, platform and detector registries. A module that
fails to import is an error, never silently skipped."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

SKIP = frozenset({"base", "registry"})


def load_plugins(package: str, group: str, register: Callable[[Any], Any]) -> None:
    """Import every public module of `package` (they register themselves at import), then
    register each object the `group` entry points name."""
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        if not info.name.startswith("_") and info.name not in SKIP:
            importlib.import_module(f"{package}.{info.name}")
    for entry in entry_points(group=group):
        register(entry.load())
