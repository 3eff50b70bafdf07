"""Marker strings: what each platform's pages say when an item is gone, walled or limited.

Markers are data, not code. Each platform has a TOML file in this folder (`facebook.toml`, ...)
holding rules; a researcher adds strings without touching code, either by editing a copy of these
files or with an override file (`markers.toml` in the case folder, `toolkit detect --markers FILE`,
or the `TOOLKIT_MARKERS` environment variable, a path list). A rule reads:

    [[rule]]
    platform = "facebook"          # optional in the built-in files (the file's top-level value)
    status = "unavailable"         # one of the closed status vocabulary
    places = ["title", "heading"]  # where the text must appear (see PLACES below)
    match = "contains"             # contains | equals | prefix | present
    reason = "owner-or-platform"   # optional short code recorded with the verdict
    wall = false                   # optional: true makes a login_required, restricted or
                                   # rate_limited rule a wall, read before identity (see roles.py)
    en = ["This content isn't available right now"]
    es = ["Este contenido no está disponible en este momento"]

Places: `title`, `heading` (h1-h3), `meta:<name>` (og:title, description, ...), `final_url` (the
URL the page ended on, lower-cased), `container:<selector>` (text of elements matching a simple
selector: `tag`, `.class`, `#id`, `[attr=value]` and combinations such as
`div.tgme_widget_message_error`), `leaf` (a short text that is the whole content of its
element; always compared with `equals`, whatever `match` says), and `json:<key>` (values a detector read from the page's inline JSON). Texts are
compared after `normalise`: case, accents, apostrophe variants, HTML entities and whitespace
do not matter.
"""

from __future__ import annotations

import html
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from pathlib import Path

from toolkit.errors import InputError
from toolkit.models import Status

ENV_VAR = "TOOLKIT_MARKERS"
MATCH_MODES = ("contains", "equals", "prefix", "present")
LANGUAGES = ("es", "en", "pt", "fr", "de", "it", "ar", "any")
PLACE_RE = re.compile(r"^(title|heading|final_url|leaf|meta:[\w:.\-]+|json:[\w:.\-]+|container:\S+)$")
SELECTOR_RE = re.compile(r"^([a-z][a-z0-9]*)?((?:[.#][\w\-]+|\[[\w\-:]+(?:=[\"']?[^\"'\]]*[\"']?)?\])*)$")

# Apostrophe look-alikes folded to the ASCII apostrophe, and odd spaces, before matching.
_LOOKALIKES = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u00b4", "'"), ("`", "'"), ("\u2032", "'"),
               ("\uff07", "'"), ("\u00a0", " "), ("\u202f", " "), ("\u200b", ""))
_LOOKALIKE_RE = re.compile("[" + "".join(a for a, _ in _LOOKALIKES) + "]")


def _fold_lookalikes(text: str) -> str:
    # str.replace per character is C-speed; str.translate with a dict is not, on long texts.
    if _LOOKALIKE_RE.search(text):
        for old, new in _LOOKALIKES:
            if old in text:
                text = text.replace(old, new)
    return text


# Combining marks left by NFKD decomposition (accents on Latin, Greek and Cyrillic letters).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise(text: str) -> str:
    """Fold text for marker matching: entities decoded, accents and case removed, apostrophes and
    whitespace unified. Idempotent."""
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = _fold_lookalikes(_COMBINING.sub("", unicodedata.normalize("NFKD", _fold_lookalikes(text))))
    return " ".join(text.casefold().split())


_SEPARATOR = "\ue000"  # a private-use character: survives folding, is not whitespace


def normalise_many(values: Sequence[str]) -> list[str]:
    """`normalise` each value, folding them all in one pass (much faster for hundreds of texts)."""
    if len(values) < 4:
        return [normalise(v) for v in values]
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) != len(values) - 1:  # a value holds the separator itself
        joined = _SEPARATOR.join(v.replace(_SEPARATOR, " ") for v in values)
    return list(map(str.strip, normalise(joined).split(_SEPARATOR)))


@dataclass(frozen=True, slots=True)
class Rule:
    """One marker rule: the texts that, found in one of `places`, mean `status`."""

    platform: str
    status: Status
    places: tuple[str, ...]
    match: str
    texts: tuple[tuple[str, str, str], ...]  # (language, text as written, normalised text)
    reason: str | None
    origin: str  # the file the rule came from
    # A wall rule: the page is a wall in front of the item, decided before any identity is read
    # from it (toolkit.platforms.roles); only for statuses that say nothing about the item.
    wall: bool = False

    def find(self, place_texts: Sequence[str], total: int | None = None,
             quoted: Callable[[str], bool] | None = None) -> tuple[str, str] | None:
        """The first (language, marker) of this rule found in the given normalised texts. `total`
        is how many texts the place has when `place_texts` leaves out some that cannot match
        (see `Places.short_texts`): the same marker is reported either way. A marker for which
        `quoted` (given its normalised text) says True is passed over: the item says it itself."""
        if self.match == "present":
            return ("any", self.places[0]) if place_texts else None
        index = _index(self)
        if self.match == "equals":
            if (len(place_texts) if total is None else total) > 4:
                # Look the rule's few markers up among the texts, not every text up in the rule.
                present = _stripped_set(place_texts)
                key = next((k for k in index.by_text if k in present and not (quoted and quoted(k))), None)
                return index.by_text[key] if key is not None else None
            for value in place_texts:
                key = value.rstrip(".!")
                hit = index.by_text.get(key)
                if hit and not (quoted and quoted(key)):
                    return hit
            return None
        if len(place_texts) > 4:
            # One scan over all texts joined by newlines (markers never hold one), not one per text.
            pattern = index.line_pattern if self.match == "prefix" else index.pattern
            for found in pattern.finditer("\n".join(place_texts)):
                if not (quoted and quoted(found.group(0))):
                    return index.by_text[found.group(0)]
            return None
        for value in place_texts:
            for found in index.pattern.finditer(value):
                if self.match == "prefix" and found.start() != 0:
                    break
                if not (quoted and quoted(found.group(0))):
                    return index.by_text[found.group(0)]
        return None


@dataclass(slots=True)
class _Index:
    rule: Rule
    by_text: dict[str, tuple[str, str]]  # folded marker -> (language, marker as written)
    pattern: re.Pattern[str] | None = None
    longest: int = 0  # the longest folded marker
    line_pattern: re.Pattern[str] | None = None


def longest_marker(rule: Rule) -> int:
    """The length of the rule's longest marker once folded (and stripped of `.!` for `equals`)."""
    return _index(rule).longest


_INDEXES: dict[int, _Index] = {}
_STRIPPED: dict[int, tuple[Sequence[str], frozenset[str]]] = {}  # id(texts) -> (texts, set)


def _stripped_set(texts: Sequence[str]) -> frozenset[str]:
    # Holding each list itself keeps its identity from being reused while it is cached; a page
    # has a few lists (its leaf texts, cut to each rule's longest marker).
    found = _STRIPPED.get(id(texts))
    if found is None or found[0] is not texts:
        if len(_STRIPPED) >= 8:
            _STRIPPED.clear()
        found = _STRIPPED[id(texts)] = (texts, frozenset(map(str.rstrip, texts, repeat(".!"))))
    return found[1]


def _index(rule: Rule) -> _Index:
    """Per rule, built once: a dict for `equals`, one alternation regex for `contains`/`prefix`."""
    found = _INDEXES.get(id(rule))
    if found is None or found.rule is not rule:
        by_text: dict[str, tuple[str, str]] = {}
        for lang, written, folded in rule.texts:
            by_text.setdefault(folded.rstrip(".!") if rule.match == "equals" else folded, (lang, written))
        found = _Index(rule, by_text, longest=max(map(len, by_text), default=0))
        if rule.match != "equals":
            alternatives = "|".join(re.escape(f) for f in sorted(by_text, key=len, reverse=True))
            found.pattern = re.compile(alternatives)
            found.line_pattern = re.compile(f"^(?:{alternatives})", re.M)
        _INDEXES[id(rule)] = found
    return found


class MarkerBook:
    """All rules, grouped by platform, in the order they were loaded (built-ins first)."""

    def __init__(self, rules: Iterable[Rule] = ()):
        self._by_platform: dict[str, list[Rule]] = {}
        self._longest: dict[str, int] = {}
        for rule in rules:
            self._by_platform.setdefault(rule.platform, []).append(rule)

    def rules(self, platform: str, status: Status | None = None) -> list[Rule]:
        """The platform's rules (of one status when given); wall rules are left out of a status's
        list, as they are read before identity (see `walls`)."""
        rules = self._by_platform.get(platform, [])
        return rules if status is None else [r for r in rules if r.status == status and not r.wall]

    def walls(self, platform: str) -> list[Rule]:
        """The platform's wall rules, in the order loaded."""
        return [r for r in self._by_platform.get(platform, []) if r.wall]

    def longest_equals(self, platform: str) -> int:
        """The longest folded marker of the platform's `equals` rules (0 when it has none)."""
        found = self._longest.get(platform)
        if found is None:
            found = self._longest[platform] = max(
                (longest_marker(r) for r in self.rules(platform) if r.match == "equals"), default=0)
        return found

    def platforms(self) -> list[str]:
        return sorted(self._by_platform)

    def __len__(self) -> int:
        return sum(len(rules) for rules in self._by_platform.values())


def parse_rules(text: str, origin: str, default_platform: str | None = None) -> list[Rule]:
    """Rules from one TOML document; raises InputError naming `origin` for anything invalid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(origin, f"not valid TOML ({exc})", "Check the quoting of marker strings.") from exc
    default_platform = data.get("platform", default_platform)
    rules = []
    for number, entry in enumerate(data.get("rule", []), start=1):
        where = f"rule {number}"
        platform = entry.get("platform", default_platform)
        if not platform:
            raise InputError(origin, f"{where} names no platform", 'Add platform = "facebook" (or another).')
        try:
            status = Status(entry.get("status", ""))
        except ValueError:
            raise InputError(origin, f"{where} has unknown status {entry.get('status')!r}",
                             "Use one of: " + ", ".join(s.value for s in Status)) from None
        places = entry.get("places", [])
        if isinstance(places, str):
            places = [places]
        bad = [p for p in places if not PLACE_RE.match(p) or (p.startswith("container:")
                                                              and not SELECTOR_RE.match(p[10:]))]
        if not places or bad:
            raise InputError(origin, f"{where} has no valid places ({', '.join(bad) or 'none given'})",
                             "Places: title, heading, final_url, leaf, meta:<name>, json:<key>, container:<selector>.")
        match = entry.get("match", "contains")
        if match not in MATCH_MODES:
            raise InputError(origin, f"{where} has unknown match {match!r}", "Use " + ", ".join(MATCH_MODES) + ".")
        texts = []
        for lang in LANGUAGES:
            values = entry.get(lang, [])
            for value in [values] if isinstance(values, str) else values:
                if not isinstance(value, str) or not normalise(value):
                    raise InputError(origin, f"{where} has an empty or non-text {lang} marker",
                                     "Marker strings must be non-empty text.")
                texts.append((lang, value, normalise(value)))
        wall = entry.get("wall", False)
        if not isinstance(wall, bool) or (wall and status.family.value != "unknown"):
            raise InputError(origin, f"{where} has wall = {wall!r}",
                             "wall = true marks a login_required, restricted or rate_limited rule only.")
        unknown = set(entry) - {"platform", "status", "places", "match", "reason", "note", "wall", *LANGUAGES}
        if unknown:
            raise InputError(origin, f"{where} has unknown keys {sorted(unknown)}",
                             "Language lists use two-letter codes: " + ", ".join(LANGUAGES) + ".")
        if not texts and match != "present":
            raise InputError(origin, f"{where} has no marker strings", 'Add e.g. es = ["..."].')
        reason = entry.get("reason")
        leaf_too = "leaf" in places and match in ("contains", "prefix")
        if leaf_too:
            places = [p for p in places if p != "leaf"]
        if places:
            rules.append(Rule(platform, status, tuple(places), match, tuple(texts), reason, origin, wall))
        if leaf_too:
            # A leaf is any short text on the page, a post's included: it only counts when the
            # whole text is the notice, so leaf is always compared with equals.
            rules.append(Rule(platform, status, ("leaf",), "equals", tuple(texts), reason, origin, wall))
    return rules


def builtin_rules() -> list[Rule]:
    rules: list[Rule] = []
    folder = resources.files(__package__)  # the package folder holding the TOML files
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            rules.extend(parse_rules(entry.read_text(encoding="utf-8"), f"markers/{entry.name}",
                                     entry.name.removesuffix(".toml")))
    return rules


def load_file(path: str | Path) -> list[Rule]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read marker file ({exc.__class__.__name__})",
                         "Give a UTF-8 TOML file of [[rule]] entries (see docs/detectors.md, Markers are data).") from exc
    return parse_rules(text, str(path))


_builtin: list[Rule] | None = None
_active: tuple[str, ...] = ()
_book_cache: dict[tuple[str, ...], MarkerBook] = {}


def book(extra: Sequence[str | Path] = ()) -> MarkerBook:
    """The marker book: built-in rules, then override files from TOOLKIT_MARKERS, `use_markers`,
    and `extra`. Loaded once per combination of files."""
    global _builtin
    env = tuple(p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p)
    key = (*env, *_active, *(str(p) for p in extra))
    found = _book_cache.get(key)
    if found is None:
        if _builtin is None:
            _builtin = builtin_rules()
        rules = list(_builtin)
        for path in key:
            rules.extend(load_file(path))
        found = _book_cache[key] = MarkerBook(rules)
    return found


def use_markers(paths: Sequence[str | Path]) -> tuple[str, ...]:
    """Make override files part of every later `book()` (e.g. a case folder's markers.toml).
    Returns the previous list, so a caller can put it back."""
    global _active
    previous, _active = _active, tuple(str(p) for p in paths)
    return previous


def case_markers(case_dir: str | Path) -> list[Path]:
    """The case's own marker override file, when it has one (`<case>/markers.toml`)."""
    path = Path(case_dir) / "markers.toml"
    return [path] if path.is_file() else []
