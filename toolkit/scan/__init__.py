"""The scan: saved exports and pages -> importer (sniff, read, map) -> store, one transaction per file.

    pipeline.py  `scan_paths` / `scan_file`: each file claimed, read, stored and tagged in one
                 transaction; what both `toolkit scan` and recheck-from-exports call
    reader.py    the reading half: an importer's records read and mapped into batches, here or in
                 a spawned reader process feeding the writer through a bounded queue

`toolkit.scan.scan_paths` (and `scan_file`, `FileResult`) stay importable from here for scripts.
They are resolved on first use, not at import: the reader process imports `toolkit.scan.reader`,
and must not pay for the writer's imports (the case, the store's writer, the importer registry).
"""

from typing import Any

__all__ = ["FileResult", "Progress", "Tagger", "scan_file", "scan_paths"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from toolkit.scan import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'toolkit.scan' has no attribute {name!r}")
