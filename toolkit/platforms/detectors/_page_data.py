"""Helpers detectors share: JSON-LD, inline JSON objects, visible text, capture building."""

from __future__ import annotations

import html
import re
from typing import Any

import orjson

from toolkit.platforms.pages import Page
from toolkit.safeio import limit

MAX_TEXT = 20_000


def json_ld(page: Page) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page (lists and @graph flattened); unreadable blocks skipped."""
    found: list[dict[str, Any]] = []
    if not page.has(b"application/ld+json"):
        return found
    body = page.body
    position = body.find(b"application/ld+json")
    while position >= 0:
        start = body.find(b">", position)
        end = body.find(b"</script>", start)
        if start < 0 or end < 0:
            break
        block = body[start + 1:end]
        position = body.find(b"application/ld+json", end)
        if len(block) > limit("record_line_bytes"):  # parsed, JSON costs up to ~36x its bytes
            continue
        try:
            data = orjson.loads(block)
        except orjson.JSONDecodeError:
            try:
                data = orjson.loads(html.unescape(block.decode("utf-8", "replace")))
            except orjson.JSONDecodeError:
                continue
        stack = data if isinstance(data, list) else [data]
        for obj in stack:
            if isinstance(obj, dict):
                found.append(obj)
                graph = obj.get("@graph")
                if isinstance(graph, list):
                    found.extend(g for g in graph if isinstance(g, dict))
    return found


def script_json(page: Page, script_id: str) -> Any:
    """The JSON inside `<script id="...">`, or None when absent or unreadable."""
    marker = f'id="{script_id}"'.encode()
    start = page.body.find(marker)
    if start < 0:
        return None
    open_end = page.body.find(b">", start)
    close = page.body.find(b"</script>", open_end)
    if open_end < 0 or close < 0 or close - open_end > limit("record_line_bytes"):
        return None
    try:
        return orjson.loads(page.body[open_end + 1:close])
    except orjson.JSONDecodeError:
        return None


def balanced_object(raw: bytes, start: int, limit: int = 200_000) -> bytes | None:
    """The JSON object starting at `raw[start] == '{'`, found by brace counting (strings respected)."""
    depth = 0
    in_string = escaped = False
    end = min(len(raw), start + limit)
    for index in range(start, end):
        char = raw[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == 0x5C:
                escaped = True
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char == 0x7B:
            depth += 1
        elif char == 0x7D:
            depth -= 1
            if depth == 0:
                return raw[start:index + 1]
    return None


def enclosing_object(raw: bytes, position: int, limit: int = 20_000) -> dict[str, Any] | None:
    """The smallest JSON object around `position` that parses (searching back up to `limit` bytes)."""
    floor = max(0, position - limit)
    start = raw.rfind(b"{", floor, position)
    while start >= 0:
        chunk = balanced_object(raw, start, limit * 4)
        if chunk is not None and start + len(chunk) > position:
            try:
                value = orjson.loads(chunk)
                if isinstance(value, dict):
                    return value
            except orjson.JSONDecodeError:
                pass
        start = raw.rfind(b"{", floor, start)
    return None


def json_string(raw: bytes, key: str) -> str | None:
    """The first `"key":"value"` string value in raw inline JSON, decoded."""
    match = re.search(b'"' + re.escape(key.encode()) + rb'"\s*:\s*"((?:[^"\\]|\\.)*)"', raw)
    if not match:
        return None
    try:
        return orjson.loads(b'"' + match.group(1) + b'"')
    except orjson.JSONDecodeError:
        return None


def visible_text(page: Page, root: Any = None, limit: int = MAX_TEXT) -> str | None:
    """The page's visible text (scripts and styles left out), whitespace collapsed, capped."""
    node = root if root is not None else (page.tree.find(".//body") if page.tree is not None else None)
    if node is None:
        return None
    parts = node.xpath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]",
                       smart_strings=False)  # plain strings: a text node does not need its element
    text = " ".join(" ".join(parts).split())
    return text[:limit] or None


def first(*values: Any) -> Any:
    """The first value that is not None or empty."""
    for value in values:
        if value not in (None, "", [], {}):
            return value
    return None


def clean(text: str | None, limit: int = MAX_TEXT) -> str | None:
    if not text:
        return None
    text = " ".join(html.unescape(text).split()) if "&" in text else text.strip()
    return text[:limit] or None
