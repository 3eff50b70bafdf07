"""Writing a file whole: through a temporary file beside it and a rename, so that a crash, a full
disk or Ctrl-C never leaves half a file where a whole one was (or was expected)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` (its folder made if needed) through a temporary file in the same
    folder, renamed into place; the temporary file is removed if anything fails."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
