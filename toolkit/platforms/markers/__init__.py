"""Marker strings: what each platform's pages say when an item is gone, walled or limited.

The TOML files in this folder are the built-in rules, one file per platform; `marker_rules.py`
reads them (and a case's overrides) into a `MarkerBook` and documents the format. This package
only re-exports that module's names, so `toolkit.platforms.markers.book()` and the like keep working.
"""

from toolkit.platforms.markers.marker_rules import (
    ENV_VAR,
    LANGUAGES,
    MATCH_MODES,
    PLACE_RE,
    SELECTOR_RE,
    MarkerBook,
    Rule,
    book,
    builtin_rules,
    case_markers,
    load_file,
    longest_marker,
    normalise,
    normalise_many,
    parse_rules,
    use_markers,
)

__all__ = ["ENV_VAR", "LANGUAGES", "MATCH_MODES", "PLACE_RE", "SELECTOR_RE", "MarkerBook", "Rule", "book",
           "builtin_rules", "case_markers", "load_file", "longest_marker", "normalise", "normalise_many",
           "parse_rules", "use_markers"]
