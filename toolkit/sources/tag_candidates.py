"""Candidates found by `toolkit tag` over a large dataset: `candidates.ndjson` in its output folder.

The first line is a header naming the format and saying what made the file (see
docs/distributed.md): `{"format": "toolkit-tag-candidates", "version": 1, "run": ..., "lexicons":
[...], "matchers": [...], "min_score": ..., ...}`. Every other line is one post that scored at
least `min_score`: `id`, `url`, `platform`, `text` (and, when the dataset had them, `name`,
`created`, `kind`/`key`/`parent` for posts read by an importer), its `score`, `raw`, `category`,
`hits` and `indicators`, the `source` file and `row` it came from, and the kept `fields`.

Each candidate becomes a capture of its post: by `kind`/`key` when the tag run read it through an
importer (Zeeschuimer), else by its URL (the platform from the record, else from the URL), else
by its id (after the header's `id_prefix`) under its platform (`generic` when the dataset names
none toolkit knows). The dataset
says nothing of whether a post is still up, so the capture carries no status. The tag run's
score, category, lexicons and run id are kept in the capture's fields; the scan then tags the
text again with the case's own lexicons, as it tags every export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toolkit.dates import parse_iso, to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Capture, ItemRef, Kind
from toolkit.platforms import identify, platforms
from toolkit.safeio import limit, skip_line, too_deep
from toolkit.sources._text import looks_binary
from toolkit.sources.base import Importer, MapError, ReadContext, head_text
from toolkit.sources.registry import register

FORMAT = "toolkit-tag-candidates"
VERSION = 1
KINDS = frozenset(k.value for k in Kind)


@dataclass(frozen=True)
class Run:
    """What the header says made the candidates: kept with every capture."""

    run: str | None
    lexicons: tuple[str, ...]
    matchers: tuple[str, ...]
    min_score: float | None
    id_prefix: str = ""  # put before ids that are not a platform's post ids (a DSA statement's uuid)


@register
class TagCandidates(Importer):
    name = "tag-candidates"
    version = "1"
    description = "Candidates from `toolkit tag` (candidates.ndjson: a header line, then one post per line)"
    priority = 70

    def sniff(self, path: Path, head: bytes) -> bool:
        if looks_binary(head):
            return False
        return head_text(head).lstrip().startswith('{"format":"' + FORMAT + '"')

    def mismatch(self, path: Path, head: bytes) -> str | None:
        if not head_text(head).strip():
            return "the file is empty"
        return ('its first line is not the header `toolkit tag` writes ({"format":"' + FORMAT + '",...}): '
                "give the candidates.ndjson of a tag run, unchanged")

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        most, depth = limit("record_line_bytes"), limit("json_depth")
        with ctx.open_binary() as binary:
            run: Run | None = None
            number = 0
            while line := binary.readline(most + 1):
                number += 1
                if len(line) > most and not line.endswith(b"\n"):
                    ctx.fail("line-too-long", f"a line longer than {most:,} bytes (limit record_line_bytes): skipped",
                             number)
                    skip_line(binary)
                    continue
                if not line.strip():
                    continue
                if line.count(b"{") + line.count(b"[") > depth and too_deep(line, ctx, number, depth):
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    if run is None:
                        raise InputError(str(path), "the header line is not JSON", "Use the candidates.ndjson that "
                                         "`toolkit tag` wrote, unchanged", line=number) from None
                    cause = "truncated-line" if not line.endswith(b"\n") else "not-json"
                    ctx.fail(cause, "line is not JSON" + (" (the file is cut off)" if cause == "truncated-line" else ""),
                             number)
                    continue
                if run is None:
                    run = _header(record, path)
                    ctx.collected_at = record.get("collected_at") or None
                    continue
                yield number, (run, record)

    def map(self, raw: tuple[Run, Any]) -> Iterable[Capture]:
        run, record = raw
        if not isinstance(record, dict):
            raise MapError("not-a-record", f"line holds a JSON {type(record).__name__}, not a candidate")
        item = _identity(record, run.id_prefix)
        parent = _ref(record.get("parent"))
        created = _text(record.get("created"))
        moment = parse_iso(created) if created else None
        fields: dict[str, Any] = {
            "tag_score": record.get("score"), "tag_raw": record.get("raw"), "tag_category": record.get("category"),
            "tag_lexicons": list(run.lexicons), "tag_matchers": list(run.matchers), "tag_run": run.run,
            "tag_min_score": run.min_score, "dataset_id": _text(record.get("id")), "dataset_source": record.get("source"),
            "dataset_row": record.get("row"),
        }
        if created and moment is None:
            fields["created_text"] = created  # a date the dataset wrote in a form toolkit does not read
        extra = record.get("fields")
        if isinstance(extra, dict):
            fields.update({f"dataset_{key}": value for key, value in extra.items()})
        return [Capture(item=item, status=None, parent=parent, name=_text(record.get("name")),
                        text=_text(record.get("text")), url=_text(record.get("url")) or item.url,
                        created_at=to_utc_iso(moment) if moment is not None else None,
                        fields={k: v for k, v in fields.items() if v is not None}, raw=record)]


def _header(record: Any, path: Path) -> Run:
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InputError(str(path), "the first line is not a toolkit candidates header",
                         "Use the candidates.ndjson that `toolkit tag` wrote, unchanged", line=1)
    version = record.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise InputError(str(path), f"candidates format version {version!r}: made by a newer toolkit",
                         "Update toolkit to read this file", line=1)
    lexicons = record.get("lexicons") or []
    matchers = record.get("matchers") or []
    threshold = record.get("min_score")
    return Run(_text(record.get("run")), tuple(str(x) for x in lexicons if isinstance(x, str)),
               tuple(str(x) for x in matchers if isinstance(x, str)),
               float(threshold) if isinstance(threshold, int | float) and not isinstance(threshold, bool) else None,
               _text(record.get("id_prefix")) or "")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None


def _platform(value: Any) -> str | None:
    """A platform name toolkit knows (DSA dumps write "Facebook", "TikTok"), else None."""
    name = (_text(value) or "").lower().replace(" ", "")
    return name if name in platforms() else None


def _ref(value: Any) -> ItemRef | None:
    """An item written out as {platform, kind, key, url} (by the tag run's importer), else None."""
    if not isinstance(value, dict):
        return None
    platform, kind, key = _platform(value.get("platform")), _text(value.get("kind")), _text(value.get("key"))
    if platform is None or kind not in KINDS or key is None:
        return None
    return ItemRef(platform, Kind(kind), key, _text(value.get("url")))


def _identity(record: dict[str, Any], id_prefix: str) -> ItemRef:
    ref = _ref(record)
    if ref is not None:
        return ref
    declared = _text(record.get("platform"))
    platform = _platform(declared)
    url = _text(record.get("url"))
    if url:
        return identify(url, platform)
    key = _text(record.get("id"))
    if key is None:
        raise MapError("no-identity", "candidate has neither a URL nor an id")
    key = id_prefix + key
    if platform is None:
        # A dataset id under a platform toolkit does not know (or none): namespaced so that it
        # cannot be mistaken for a web page's URL key, with the declared platform kept in front.
        prefix = f"{declared.lower()}:" if declared else ""
        return ItemRef("generic", Kind.POST, prefix + key, None)
    return ItemRef(platform, Kind.POST, key, None)
