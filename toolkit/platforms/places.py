"""The places on a page where markers may appear, read once per page and normalised.

Detectors never search the whole HTML for a marker: they ask for the text of a named place
(`title`, `heading`, `meta:og:title`, `final_url`, `container:div.tgme_widget_message_error`,
`leaf`, `json:<key>`), and rules say which places each marker belongs in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import unquote

from lxml import etree

from toolkit.platforms.markers import Rule, longest_marker, normalise, normalise_many
from toolkit.platforms.pages import Page

# Places that show an item's own words (a post's text in its <title>, a caption in og:title or a
# heading, a post's line as a leaf): a notice's wording there may be the item quoting it. Not the
# final URL, a container's presence or a status code read from inline JSON: those are the platform's.
QUOTABLE = ("title", "heading", "leaf", "meta:")
_SIMPLE = re.compile(r"([.#])([\w\-]+)|\[([\w\-:]+)(?:=[\"']?([^\"'\]]*)[\"']?)?\]")
# Short text nodes outside scripts: where a platform notice ("This content isn't available right
# now") sits as the whole text of its element. Text nodes under <body> less those of script, style
# and noscript elements (an EXSLT set difference: a `parent::` test per node costs twice as much);
# the length tests run in Python, as XPath predicates they cost more than the walk itself.
_TEXT_XPATH = etree.XPath("set:difference(//body//text(), (//script | //style | //noscript)/text())",
                          namespaces={"set": "http://exslt.org/sets"}, smart_strings=False)
LEAF_MAX = 400  # characters as written: longer texts are content, not a notice
_XML_BLANKS = " \t\r\n"  # what XPath's normalize-space() folds (not Unicode spaces)
_XML_BLANK_RUN = re.compile("[ \t\r\n]+")


def leaf_texts(tree) -> list[str]:
    """The page's leaf texts in document order: text nodes under <body>, outside script, style and
    noscript, of fewer than 400 characters and more than 3 once XML blanks are folded (the XPath
    `string-length(.) < 400 and string-length(normalize-space(.)) > 3`)."""
    blanks, run = _XML_BLANKS, _XML_BLANK_RUN
    return [text for text in _TEXT_XPATH(tree)
            if len(text) < LEAF_MAX and len(core := text.strip(blanks)) > 3
            # Four leading characters without a blank stay four once folded (the usual case, told
            # without a search); else runs of blanks inside fold to one space and may leave three.
            and ((core[1] not in blanks and core[2] not in blanks and core[3] not in blanks)
                 or not ("  " in core or "\t" in core or "\n" in core or "\r" in core) or len(run.sub(" ", core)) > 3)]


# Printable ASCII other than whitespace, `.` and `!` survives normalising one for one (no accent,
# space or entity folds it away, and only `.!` are stripped from the end), so its count is a floor
# on a text's folded length. `&` may start an entity, which folds a long run into one character.
_MAY_VANISH = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f.!"


def _folded_floor(text: str) -> int:
    """A number of characters `text` is certain to keep once normalised (0 when unsure)."""
    if "&" in text:
        return 0
    return len(text.encode("ascii", "ignore").translate(None, _MAY_VANISH))


def _folded_floors(texts: list[str]) -> list[int]:
    """`_folded_floor` of each text, in one pass over them all (texts from lxml hold no NUL, so it
    separates them; should one ever hold it, each text is measured on its own)."""
    kept = "\0".join(texts).encode("ascii", "ignore").translate(None, _MAY_VANISH)
    pieces = kept.split(b"\0")
    if len(pieces) != len(texts):
        return [_folded_floor(text) for text in texts]
    if b"&" not in kept:
        return list(map(len, pieces))
    return [0 if b"&" in piece else len(piece) for piece in pieces]


@lru_cache(maxsize=256)
def selector_xpath(selector: str) -> str:
    """XPath for a simple selector: `tag`, `.class`, `#id`, `[attr]`, `[attr=value]`, combined."""
    match = re.match(r"^([a-z][a-z0-9]*)?", selector)
    tag = match.group(1) if match and match.group(1) else "*"
    tests = []
    for dot, name, attr, value in _SIMPLE.findall(selector[match.end() if match else 0:]):
        if dot == ".":
            tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
        elif dot == "#":
            tests.append(f"@id='{name}'")
        elif value:
            tests.append(f"@{attr}='{value}'")
        else:
            tests.append(f"@{attr}")
    return f"//{tag}" + "".join(f"[{t}]" for t in tests)


@lru_cache(maxsize=256)
def selector_names(selector: str) -> tuple[bytes, ...]:
    """The names (tag, id, class, attribute and value) an element matching `selector` shows in the
    page's bytes: when one is missing, no element matches."""
    return tuple(n.encode() for n in re.split(r"[.#\[\]=\"' ]+", selector) if n)


class Places:
    """Lazily computed, normalised texts of each place on one page."""

    def __init__(self, page: Page, extra: dict[str, list[str]] | None = None):
        self.page = page
        self._cache: dict[str, list[str]] = {}
        self._raw_cache: dict[str, list[str]] = {}
        self._short: dict[int, tuple[list[str], int]] = {}  # leaf texts by longest marker
        self._floors: list[int] | None = None  # _folded_floor of each leaf text
        self._folded: dict[int, str] = {}  # leaf text index -> normalised text
        self.data: dict[str, object] = {}  # what a detector read while building places, for inspect()
        for key, values in (extra or {}).items():
            self.add(key, values)

    def add(self, place: str, values: list[str]) -> None:
        """Record texts a detector found itself (e.g. `json:statusCode` from inline JSON)."""
        self._cache.setdefault(place, []).extend(normalise(str(v)) for v in values if v is not None)

    def texts(self, place: str) -> list[str]:
        """The normalised texts of a place (computed once)."""
        found = self._cache.get(place)
        if found is None:
            found = self._cache[place] = [t for t in normalise_many(self.raw(place)) if t]
        return found

    def short_texts(self, place: str, longest: int) -> tuple[list[str], int]:
        """The normalised texts of a place that may be at most `longest` characters once normalised,
        in page order, and how many (non-empty) texts the place has in all: what an `equals` marker
        can match. A page's feed holds hundreds of long leaf texts no notice can equal; they are
        never folded."""
        if place != "leaf" or place in self._cache:
            found = self.texts(place)
            return found, len(found)
        done = self._short.get(longest)
        if done is None:
            raw = self.raw(place)
            if self._floors is None:
                self._floors = _folded_floors(raw)
            # A floor is at most the text's length, so a text short enough as written passes too.
            wanted = [i for i, floor in enumerate(self._floors) if floor <= longest]
            missing = [i for i in wanted if i not in self._folded]
            self._folded.update(zip(missing, normalise_many([raw[i] for i in missing]), strict=True))
            found = [self._folded[i] for i in wanted if self._folded[i]]
            # A text left out keeps more than `longest` characters once folded: it is not empty.
            done = self._short[longest] = (found, len(found) + len(raw) - len(wanted))
        return done

    def raw(self, place: str) -> list[str]:
        """The texts of a place as written (for display), not normalised (computed once)."""
        found = self._raw_cache.get(place)
        if found is None:
            found = self._raw_cache[place] = self._raw(place)
        return found

    def _raw(self, place: str) -> list[str]:
        page, tree = self.page, self.page.tree
        if place == "title":
            return [page.title] if page.title else []
        if place.startswith("meta:"):
            value = page.meta.get(place[5:].lower())
            return [value] if value else []
        if place == "final_url":
            url = page.final_url or page.url
            return [unquote(url).lower()] if url else []
        if place.startswith("json:"):
            return []
        if tree is None:
            return []
        if place == "heading":
            return [" ".join(h.text_content().split()) for h in tree.iter("h1", "h2", "h3")]
        if place == "leaf":
            return leaf_texts(tree)
        if place.startswith("container:"):
            if not self._may_contain(place[10:]):
                return []
            nodes = tree.xpath(selector_xpath(place[10:]))
            return [" ".join(n.text_content().split()) or place[10:] for n in nodes]
        return []

    def _may_contain(self, selector: str) -> bool:
        """False when a name the selector needs (id, class, attribute value) is nowhere in the bytes:
        skips a whole-tree XPath scan on most pages."""
        return all(self.page.has(name) for name in selector_names(selector))

    def present(self, selector: str) -> bool:
        tree = self.page.tree
        return tree is not None and self._may_contain(selector) and bool(tree.xpath(selector_xpath(selector)))


def match_rules(rules: list[Rule], places: Places, longest: int | None = None,
                quoted: Callable[[str], bool] | None = None) -> tuple[str, str, str | None] | None:
    """The first (marker, place, reason) any rule finds in its places. `longest`, when given, is
    at least the longest marker of every `equals` rule: one list of short texts serves them all
    (a text longer than a rule's markers is never one of them, so the extra texts change nothing).
    `quoted` (a normalised marker -> True when the item's own words hold it) passes over markers
    the item quotes, in the places that show its words (`QUOTABLE`) only."""
    for rule in rules:
        for place in rule.places:
            if rule.match == "equals":
                texts, total = places.short_texts(place, longest_marker(rule) if longest is None else longest)
            else:
                texts, total = places.texts(place), None
            if not texts:
                continue
            found = rule.find(texts, total, quoted if place.startswith(QUOTABLE) else None)
            if found:
                return found[1], place, rule.reason
    return None
