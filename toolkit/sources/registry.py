"""The one registry of importers, and format detection over it.

Built-in importers live in modules of `toolkit.sources` and call `register()` at import; third-party
packages register theirs through the `toolkit.importers` entry-point group. An importer that fails
to import is an error, never silently skipped.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import FormatError
from toolkit.plugins import load_plugins
from toolkit.sources.base import HEAD_BYTES, Importer

_REGISTRY: dict[str, Importer] = {}
_loaded = False


def register(importer_class: type[Importer]) -> type[Importer]:
    """Class decorator: add an importer to the registry under its `name`."""
    importer = importer_class()
    if importer.name in _REGISTRY and type(_REGISTRY[importer.name]) is not importer_class:
        raise RuntimeError(f"two importers named {importer.name!r}")
    _REGISTRY[importer.name] = importer
    return importer_class


def _load() -> None:
    global _loaded
    if _loaded:
        return
    load_plugins("toolkit.sources", "toolkit.importers", register)
    _loaded = True


def importers() -> list[Importer]:
    """Every registered importer, most specific (highest priority) first, then by name."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda imp: (-imp.priority, imp.name))


def get(name: str) -> Importer:
    """The importer for a `--format` token; FormatError lists the known ones."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise FormatError(
            "--format", f"unknown format {name!r}", f"Known formats: {', '.join(sorted(_REGISTRY))}"
        ) from None


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def detect(path: Path, head: bytes | None = None) -> Importer | None:
    """The importer that recognises this file, or None."""
    head = read_head(path) if head is None else head
    for importer in importers():
        if importer.sniff(path, head):
            return importer
    return None


def unknown_format_error(path: Path) -> FormatError:
    _load()
    problem = "not a format toolkit knows"
    if path.suffix.lower() in {".csv", ".tsv"} and "urls" in _REGISTRY:
        # A sheet of links is the likeliest CSV nobody recognised: say what a URL list needs.
        try:
            why = get("urls").mismatch(path, read_head(path))
        except OSError:
            why = None
        if why:
            problem += f" (as a URL list: {why})"
    return FormatError(
        str(path),
        problem,
        f"Known formats: {', '.join(sorted(imp.name for imp in importers()))}; "
        "force one with --format, or see `toolkit formats`",
    )
