"""The report as a sequence of format-neutral blocks, rendered by render_md and render_html.

Block text is plain, unescaped text (platform values already redacted and neutralised); each
renderer escapes it for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # column indexes aligned right


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Chart:
    """A chart the HTML draws (the Markdown leaves it out): `kind` names the drawing, `data` feeds it."""

    kind: str
    title: str
    data: Any


@dataclass(frozen=True)
class Image:
    """A PNG the HTML embeds (as a data URI) with its caption; the Markdown names `path` instead."""

    caption: str
    path: str
    png: bytes | None  # None: not embedded, `note` says why
    width: int | None = None
    height: int | None = None
    note: str | None = None


Block = Heading | Para | Bullets | Table | Code | Chart | Image
