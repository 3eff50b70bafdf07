"""Audience counts as platforms print them: "44 mil miembros", "1,1 K seguidores", "12K followers",
"40,468 likes", "1.2M", "2,5 millones", "1.234.567".

`parse_count` turns one printed number into an int; `find_counts` finds followers, members and
likes in a piece of text in English, Spanish, Portuguese and French wording.
"""

from __future__ import annotations

import re

# Multipliers by suffix, lower-cased, without a trailing dot. "mil" is a thousand in Spanish and
# Portuguese; "mi"/"mio" a million in Portuguese/German abbreviations.
SUFFIXES = {
    "k": 1_000, "mil": 1_000, "m": 1_000_000, "mm": 1_000_000, "mi": 1_000_000, "mio": 1_000_000,
    "mill": 1_000_000, "millon": 1_000_000, "millón": 1_000_000, "millones": 1_000_000, "million": 1_000_000,
    "millions": 1_000_000, "milhão": 1_000_000, "milhões": 1_000_000, "milhao": 1_000_000, "milhoes": 1_000_000,
    "b": 1_000_000_000, "bn": 1_000_000_000, "md": 1_000_000_000,
}
_SPACES = "\u00a0\u202f\u2009 "
# Digits with at most one separator between two of them: "1. 75 mil" is a sentence's end and a count.
NUMBER = r"\d(?:[.,\u00a0\u202f\u2009 ]?\d)*"
SUFFIX = r"(?:millones|millions|million|millón|millon|milhões|milhoes|milhão|milhao|mill|mil|mio|mi|mm|bn|md|k|m|b)\.?"
COUNT_RE = re.compile(rf"(?<![\w.,])({NUMBER})\s*({SUFFIX})?(?![\w])", re.I)


def parse_count(text: str) -> int | None:
    """The integer a platform means by a printed count, or None when `text` is not one count.

    With a suffix (K, mil, M, millones...) a single `,` or `.` followed by one or two digits is a
    decimal mark ("1,1 K" = 1100, "1.2M" = 1,200,000). Without one, separators between groups of
    three digits are thousands marks ("40,468" = 40468, "1.234.567" = 1234567).
    """
    match = COUNT_RE.fullmatch(text.strip())
    if not match:
        return None
    digits, suffix = match.group(1), match.group(2)
    for space in _SPACES:
        digits = digits.replace(space, "")
    multiplier = SUFFIXES[suffix.lower().rstrip(".")] if suffix else 1
    parts = re.split(r"[.,]", digits)
    if len(parts) == 1:
        return int(digits) * multiplier
    if suffix and len(parts) == 2 and len(parts[1]) <= 2:
        fraction = int(parts[1]) * multiplier // (10 ** len(parts[1]))
        return int(parts[0]) * multiplier + fraction
    if all(len(p) == 3 for p in parts[1:]):
        return int("".join(parts)) * multiplier
    return None


_WORDS = {
    "followers": r"followers?|seguidores?|abonn[ée]s|subscribers?|suscriptores?|inscritos?|people follow this"
                 r"|personas siguen esto|pessoas seguem isso"
                 r"|personnes suivent ceci|personnes suivent ça",
    "members": r"members?|miembros?|membros?|membres?",
    "likes": r"likes?|me gusta|people like this|personas les gusta esto|personas les gusta|curtidas|j['’]aime"
             r"|mentions j['’]aime",
}
_FIND = {
    field: re.compile(rf"(?<![\w.,])({NUMBER}(?:\s*{SUFFIX})?)\s*(?:de\s+)?(?:{words})(?!\w)", re.I)
    for field, words in _WORDS.items()
}


def _word_test(words: str) -> re.Pattern[str]:
    """The words alone, as a search: a text without any of them holds no such count, and this scan
    is far cheaper than the number pattern, which has no fixed prefix to look for. A look-ahead on
    the words' first letters comes first: case-insensitive alternatives get no fast skip from the
    regex engine, so without it every alternative is tried at every position (3-10x slower)."""
    firsts = {alternative[:1] for alternative in words.split("|")}
    if all(first.isalpha() for first in firsts):
        return re.compile(f"(?=[{''.join(sorted(firsts))}])(?:{words})", re.I)
    return re.compile(words, re.I)


_HAS_WORD = {field: _word_test(words) for field, words in _WORDS.items()}


def _stems(words: str) -> tuple[str, ...]:
    """A piece of text every match of each alternative holds: its start, up to the first class,
    group or optional letter ("followers?" -> "follower"). An empty stem excludes nothing."""
    stems = []
    for alternative in words.split("|"):
        stem = re.match(r"[^?*+{}\[\]().\\|^$]*", alternative).group()
        if alternative[len(stem):len(stem) + 1] in ("?", "*", "{"):
            stem = stem[:-1]
        stems.append(stem.lower())
    return tuple(stems)


_STEMS = {field: _stems(words) for field, words in _WORDS.items()}
# Besides upper case, Python's case-insensitive matching takes the long s for s and the dotless i
# for i (re's _ignorecase_fixes); `lower()` turns the dotted capital I into i + combining dot.
_FOLD_EXTRA = (("\u017f", "s"), ("\u0131", "i"), ("i\u0307", "i"))


def _folded(text: str) -> str:
    """`text` lower-cased so that a plain search finds every stem the case-insensitive words match."""
    low = text.lower()
    if not low.isascii():
        for old, new in _FOLD_EXTRA:
            if old in low:
                low = low.replace(old, new)
    return low
# "A 1,2 mil personas les gusta esto": Spanish puts the likes before a preposition.
_FIND_ES_LIKES = re.compile(rf"\bA\s+({NUMBER}(?:\s*{SUFFIX})?)\s+personas? les gusta", re.I)
_ES_LIKES_HINT = re.compile("les gusta", re.I)


def find_counts(text: str | None) -> dict[str, int]:
    """Followers, members and likes printed in `text` (first of each), by field name."""
    found: dict[str, int] = {}
    if not text:
        return found
    low = _folded(text)
    for field, pattern in _FIND.items():
        # The stems first: a plain search of a few literals skips most texts at C speed.
        if not any(stem in low for stem in _STEMS[field]) or not _HAS_WORD[field].search(text):
            continue
        for match in pattern.finditer(text):
            value = parse_count(match.group(1))
            if value is not None:
                found[field] = value
                break
    if "likes" not in found and _ES_LIKES_HINT.search(text):
        match = _FIND_ES_LIKES.search(text)
        value = parse_count(match.group(1)) if match else None
        if value is not None:
            found["likes"] = value
    return found
