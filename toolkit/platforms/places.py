"""The places on a page where markers may appear, read once per page and normalised.

Detectors never search the whole HTML for a marker: they ask for the text of a named place
(`title`, `heading`, `meta:og:title`, `final_url`, `container:div.tgme_widget_message_error`,
`leaf`, `json:<key>`), and rules say which places each marker belongs in.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

from toolkit.platforms.markers import normalise
from toolkit.platforms.pages import Page

_SIMPLE = re.compile(r"([.#])([\w\-]+)|\[([\w\-:]+)(?:=[\"']?([^\"'\]]*)[\"']?)?\]")
# Elements whose whole text can be a platform notice ("This content isn't available right now").
_LEAF_XPATH = ("//body//*[self::span or self::div or self::h1 or self::h2 or self::h3 or self::h4 or self::p"
               " or self::strong or self::b or self::td][not(*)][string-length(normalize-space()) > 3]"
               "[string-length(normalize-space()) < 300]/text()")


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


class Places:
    """Lazily computed, normalised texts of each place on one page."""

    def __init__(self, page: Page, extra: dict[str, list[str]] | None = None):
        self.page = page
        self._cache: dict[str, list[str]] = {}
        self.data: dict[str, object] = {}  # what a detector read while building places, for inspect()
        for key, values in (extra or {}).items():
            self.add(key, values)

    def add(self, place: str, values: list[str]) -> None:
        """Record texts a detector found itself (e.g. `json:statusCode` from inline JSON)."""
        self._cache.setdefault(place, []).extend(normalise(str(v)) for v in values if v is not None)

    def texts(self, place: str) -> list[str]:
        found = self._cache.get(place)
        if found is None:
            found = self._cache[place] = [t for t in (normalise(v) for v in self._raw(place)) if t]
        return found

    def raw(self, place: str) -> list[str]:
        """The texts of a place as written (for display), not normalised."""
        return self._raw(place)

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
            return [str(t) for t in tree.xpath(_LEAF_XPATH)]
        if place.startswith("container:"):
            nodes = tree.xpath(selector_xpath(place[10:]))
            return [" ".join(n.text_content().split()) or place[10:] for n in nodes]
        return []

    def present(self, selector: str) -> bool:
        tree = self.page.tree
        return tree is not None and bool(tree.xpath(selector_xpath(selector)))
