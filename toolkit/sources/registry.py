"""The one registry of importers, and format detection over it.

Built-in importers live in modules of `toolkit.sources` and call `register()` at import; third-party
packages register theirs through the `toolkit.importers` entry-point group. An importer that fails
to import is an error, never silently skipped.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import FormatError
from toolkit.plugins import load_plugins
from toolkit.safeio import recode_head, text_encoding
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
    """The file's first HEAD_BYTES, as UTF-8 when it is UTF-16/32 text with a byte-order mark (as
    `ReadContext.open_binary` will read it), so every sniffer sees the same bytes its reader will."""
    with open(path, "rb") as handle:
        return recode_head(handle.read(HEAD_BYTES))


def detect(path: Path, head: bytes | None = None) -> Importer | None:
    """The importer that recognises this file, or None."""
    head = read_head(path) if head is None else head
    for importer in importers():
        if importer.sniff(path, head):
            return importer
    return None


def unknown_format_error(path: Path) -> FormatError:
    """The error for a file no importer recognises: what a URL list needs when it is a CSV, and its
    text encoding when it has a byte-order mark (read as UTF-8, still no format) or looks like UTF-16
    without one."""
    _load()
    problem = "not a format toolkit knows"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        head = b""
    found = text_encoding(head)
    if head.startswith(b"\x1f\x8b"):
        # Formats read compressed (a .warc.gz) were recognised before this: an export gzipped whole is not.
        problem += f" (gzip-compressed: decompress it first, e.g. gunzip -k {path.name}, and scan the result)"
    elif head.startswith(b"PK\x03\x04"):
        problem += " (a zip archive: unzip it and scan the folder)"
    elif found:
        problem += f" ({found[1]} text with a byte-order mark, read as UTF-8)"
    elif _utf16_without_bom(head):
        problem += " (it looks like UTF-16 text without a byte-order mark: re-save it as UTF-8)"
    elif path.suffix.lower() in {".csv", ".tsv"} and "urls" in _REGISTRY:
        # A sheet of links is the likeliest CSV nobody recognised: say what a URL list needs.
        try:
            why = get("urls").mismatch(path, read_head(path))
        except OSError:
            why = None
        if why:
            problem += f" (as a URL list: {why})"
    elif "urls" in _REGISTRY:
        # Links with a title or a note among them: say which line, and how to import the links.
        stray = get("urls").stray_line(path, head)
        if stray:
            problem += f" ({stray})"
    return FormatError(
        str(path),
        problem,
        f"Known formats: {', '.join(sorted(imp.name for imp in importers()))}; "
        "force one with --format, or see `toolkit formats`",
    )


def _utf16_without_bom(head: bytes) -> bool:
    """Text of one-byte characters in UTF-16 has a NUL in every other byte, and printable
    characters in the others (a file of zeros has NULs in both)."""
    sample = head[:512]
    if len(sample) < 16:
        return False
    for nuls, chars in ((sample[0::2], sample[1::2]), (sample[1::2], sample[0::2])):
        if nuls.count(0) > len(nuls) * 0.9 and sum(32 <= c < 127 or c in (9, 10, 13) for c in chars) > len(chars) * 0.9:
            return True
    return False
