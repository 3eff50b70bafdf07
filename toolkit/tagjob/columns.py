"""Which input columns hold a post's id, text, name, URL, platform and date; presets for known exports.

A `ColumnMap` names columns of a Parquet or CSV file, or dotted paths into an NDJSON record
(`data.desc`). Several text columns are tagged as one text, joined by a blank line. A preset
fills the map for an export whose columns are known (detected from the header, or chosen with
`--preset`); columns the user names override the preset's. Pure Python: the CLI resolves
columns before anything heavy is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from toolkit.errors import UsageError

TEXT_JOIN = "\n\n"  # between the text columns of one post


@dataclass(frozen=True)
class ColumnMap:
    """Where a post's values are in the input; every name is a column (or an NDJSON dotted path).

    `id` or `url` must be given (a candidate needs an identity); `text` is required. `platform`
    is a column, `platform_value` one platform for every row (`--platform`); with neither, the
    platform is read from the URL. `keep` columns are carried into the candidates file.
    `id_prefix` namespaces ids that are not platform post ids (a DSA statement's uuid).
    `mapper` names an importer whose `map` turns each record (an NDJSON object, or a CSV row as a
    dict of lower-cased column names) into captures: the post's identity, text and parent then
    come from the importer itself, as `scan` reads them (Zeeschuimer, Meta Content Library).
    """

    text: tuple[str, ...] = ()
    id: str | None = None
    name: str | None = None
    url: str | None = None
    platform: str | None = None
    platform_value: str | None = None
    created: str | None = None
    keep: tuple[str, ...] = ()
    id_prefix: str = ""
    mapper: str | None = None

    def needed(self) -> list[str]:
        """Every column read, each once, in a stable order."""
        names = [*self.text, self.id, self.name, self.url, self.platform, self.created, *self.keep]
        return list(dict.fromkeys(n for n in names if n))

    def describe(self) -> dict:
        """JSON-ready, for the manifest and the candidates header."""
        return {"text": list(self.text), "id": self.id, "name": self.name, "url": self.url,
                "platform": self.platform, "platform_value": self.platform_value, "created": self.created,
                "keep": list(self.keep), "id_prefix": self.id_prefix, "mapper": self.mapper}


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    detect: Callable[[set[str]], bool]  # from the columns (CSV/Parquet header, NDJSON record keys)
    build: Callable[[set[str]], ColumnMap]  # the map, given the columns present
    notes: tuple[str, ...] = field(default=())


def _present(columns: set[str], names: Iterable[str]) -> tuple[str, ...]:
    return tuple(n for n in names if n in columns)


# CrowdTangle dashboard CSV (see toolkit/sources/crowdtangle_csv.py): no post id column; the URL
# is the post's identity, as the importer reads it. Facebook posts carry Message, Instagram ones
# Description (on Facebook, Description is the linked article's).
CT_DISTINCTIVE = frozenset({"Page Name", "Group Name", "Facebook Id", "Page Category", "Page Admin Top Country",
                            "Likes at Posting", "Followers at Posting", "Post Created", "Total Interactions",
                            "Overperforming Score", "Account"})


def _crowdtangle(columns: set[str]) -> ColumnMap:
    instagram = "Account" in columns and "Facebook Id" not in columns
    return ColumnMap(
        text=("Description",) if instagram else ("Message",), id="URL", url="URL",
        created="Post Created" if "Post Created" in columns else None,
        keep=_present(columns, ("Account", "Page Name", "Group Name", "User Name", "Facebook Id", "Type", "Link")))


# Meta Content Library CSV (toolkit/sources/mcl.py): mapped by the importer itself, which reads the
# platform from a column, the URL or the owner's type, and keys posts as `scan` does.

# DSA Transparency Database statements of reasons (daily dumps, CSV parts in zip files): the free
# text a platform wrote about each decision is in the full dumps only (the light ones drop these
# three columns). A statement describes moderated content; its uuid is the statement's, not a
# post's, hence the prefix.
DSA_TEXT = ("decision_facts", "illegal_content_explanation", "incompatible_content_explanation")
DSA_KEEP = ("platform_name", "platform_uid", "category", "category_specification", "decision_ground",
            "decision_visibility", "decision_account", "content_type", "content_language", "automated_detection",
            "automated_decision", "source_type", "territorial_scope", "application_date", "created_at")


def _dsa(columns: set[str]) -> ColumnMap:
    text = _present(columns, DSA_TEXT)
    if not text:
        raise UsageError("these DSA statements of reasons carry no free text (a light dump?)",
                         "Download the full daily dumps: only they hold decision_facts and the explanations")
    return ColumnMap(text=text, id="uuid", created="content_date" if "content_date" in columns else None,
                     keep=_present(columns, DSA_KEEP), id_prefix="dsa-sor:")


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("crowdtangle-csv", "CrowdTangle dashboard CSV (Facebook pages or groups, Instagram)",
           lambda cols: len(cols & CT_DISTINCTIVE) >= 3 and "URL" in cols, _crowdtangle),
    Preset("mcl", "Meta Content Library CSV (id, text, creation_time, post_owner.*), mapped by toolkit's importer",
           lambda cols: {"id", "text"} <= cols and any(c.startswith(("post_owner.", "statistics.")) for c in cols),
           lambda cols: ColumnMap(mapper="mcl")),
    Preset("dsa-sor", "DSA Transparency Database statements of reasons (full daily dumps)",
           lambda cols: {"uuid", "decision_ground", "platform_name"} <= cols, _dsa),
    Preset("zeeschuimer", "Zeeschuimer NDJSON (TikTok, Instagram, Facebook), mapped by toolkit's importer",
           lambda cols: {"source_platform", "data"} <= cols and "timestamp_collected" in cols,
           lambda cols: ColumnMap(mapper="zeeschuimer")),
)}


def detect(columns: Iterable[str]) -> str | None:
    """The preset whose columns these are, or None."""
    present = set(columns)
    for preset in PRESETS.values():
        if preset.detect(present):
            return preset.name
    return None


def resolve(columns: Iterable[str], *, preset: str | None, text: list[str] | None = None, id: str | None = None,
            name: str | None = None, url: str | None = None, platform_col: str | None = None,
            platform: str | None = None, created: str | None = None, keep: list[str] | None = None,
            paths: bool = False) -> tuple[ColumnMap, str | None]:
    """The column map for a file with these columns: the preset's (named, else detected), with the
    columns the user named in its place. Returns the map and the preset used (None: none).

    `paths`: the names are dotted paths into NDJSON records (whose keys vary record by record, so
    they are not checked against the first one's). UsageError when the text column is not known, a
    named column is not in the file, or there is neither an id nor a URL column.
    """
    present = list(columns)
    names = set(present)
    if preset is not None and preset not in PRESETS and preset != "none":
        raise UsageError(f"unknown preset {preset!r}", f"Known presets: {', '.join(PRESETS)}, or none")
    chosen = (detect(names) if preset is None else None if preset == "none" else preset)
    base = PRESETS[chosen].build(names) if chosen else ColumnMap()
    given = {k: v for k, v in {"text": tuple(text) if text else None, "id": id, "name": name, "url": url,
                               "platform": platform_col, "platform_value": platform, "created": created,
                               "keep": tuple(keep) if keep else None}.items() if v is not None}
    chosen_map = replace(base, **given)
    if chosen_map.mapper is None:
        if not chosen_map.text:
            raise UsageError("which column holds the posts' text?",
                             "Name it with --text-col (repeat it for several); columns found: " + _listed(present))
        if not (chosen_map.id or chosen_map.url):
            raise UsageError("which column identifies a post?",
                             "Name it with --id-col (or --url-col); columns found: " + _listed(present))
        missing = [] if paths else [c for c in chosen_map.needed() if c not in names]
        if missing:
            raise UsageError(f"no column {', '.join(map(repr, missing))} in the input",
                             "Columns found: " + _listed(present))
    return chosen_map, chosen


def _listed(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:40])
    return shown + (" ..." if len(columns) > 40 else "") if columns else "(none)"
