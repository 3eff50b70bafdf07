"""Synthetic HAR files for tests of later-export waves."""

from __future__ import annotations

import json
from pathlib import Path


def har(path: Path, entries: list[tuple[str, str, str]]) -> Path:
    """A synthetic HAR 1.2 file ("Save all as HAR" from the browser's devtools), shaped like the
    genuine samples `har/haralyzer_*.har` (shared/samples/SOURCES.md section 6) and
    tests/fixtures/har/facebook_session.har: one entry per (url, startedDateTime, HTML body)."""
    path.write_text(json.dumps({"log": {
        "version": "1.2", "creator": {"name": "Firefox", "version": "88.0"}, "pages": [],
        "entries": [{"startedDateTime": when, "time": 120.5,
                     "request": {"method": "GET", "url": url, "httpVersion": "HTTP/2", "headers": []},
                     "response": {"status": 200, "statusText": "", "httpVersion": "HTTP/2", "headers": [],
                                  "content": {"size": len(html), "mimeType": "text/html; charset=utf-8", "text": html}}}
                    for url, when, html in entries]}}), encoding="utf-8")
    return path
