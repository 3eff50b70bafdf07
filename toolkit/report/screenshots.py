"""The screenshots of the cohort's last checks, for `toolkit report --screenshots`.

For each cohort item, the screenshot of its latest check (up to the report's date) that kept one
(a browser check's), read back from evidence/ and checked against its sha256. The HTML report
embeds them as data URIs so that it stays one self-contained file; the Markdown names the evidence
file instead. Screenshots show pages as they were seen, names and contact numbers included: they
are never part of a redacted report (the CLI refuses the two together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolkit.neutralise import one_line
from toolkit.store.attachments import last_screenshots
from toolkit.store.db import Connection

# The embedded images together stay below this; the rest are named, not embedded.
MAX_EMBEDDED_BYTES = 96 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Shot:
    """One item's last screenshot: what it shows, when, and the PNG (None when not embedded)."""

    item_id: int
    caption: str
    path: str  # the evidence file, relative to the case folder
    width: int | None
    height: int | None
    png: bytes | None
    left_out: str | None = None  # why it is not embedded


def cohort_screenshots(conn: Connection, items: list[dict], as_of: str, read: Callable[[str], bytes],
                       path_of: Callable[[str], str]) -> list[Shot]:
    """The last screenshot of each cohort item (the report's appendix rows), in item order.

    `read(sha256)` returns an evidence file's checked content; `path_of(sha256)` names it."""
    found = last_screenshots(conn, [row["id"] for row in items], as_of)
    shots, total = [], 0
    for row in items:
        shot = found.get(row["id"])
        if shot is None:
            continue
        caption = one_line(f"#{row['id']} {row['name'] or row['url'] or row['key']}: {shot['status']} at "
                           f"{shot['observed_at']}" + (f" (wave {shot['wave']}, {shot['method']})" if shot["wave"]
                                                       else f" ({shot['method']})"))
        png, why = None, None
        try:
            data = read(shot["sha256"])
        except Exception as exc:  # a missing or changed file is said in the report, never fatal
            why = f"not embedded: {getattr(exc, 'message', exc)}"
        else:
            if not data.startswith(PNG_SIGNATURE):
                why = "not embedded: the file is not a PNG"
            elif total + len(data) > MAX_EMBEDDED_BYTES:
                why = f"not embedded: the report already holds {MAX_EMBEDDED_BYTES >> 20} MB of screenshots"
            else:
                png, total = data, total + len(data)
        shots.append(Shot(row["id"], caption, path_of(shot["sha256"]), shot["width"], shot["height"], png, why))
    return shots
