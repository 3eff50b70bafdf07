"""Folding text for matching: case, accents, leetspeak and punctuation, one byte per character.

The folded view of a text has exactly one byte per character of the original, so an offset in the
folded bytes is the same offset in the original string: every hit keeps its original span without
any mapping table. Folding is a Latin-1 encode (a C loop) followed by `bytes.translate` with a
256-entry table (another C loop); characters outside Latin-1 go through a codec error handler that
is called once per run of such characters (emoji, other scripts, combining marks), which is rare in
Spanish text. A whole batch of posts (where such runs are not rare) is folded by `fold_bulk`, with
vector operations over its code points instead: the same bytes.

Folded bytes use a small alphabet: `a-z`, the digits that are not read as letters (2, 6, 8, 9),
space for every separator (punctuation, whitespace, emoji), `\\n` between the posts of a batch and
`\\x01` for an invisible character inside a word (zero-width joiner, soft hyphen, a combining mark
between two letters). Posts with `\\x01` are matched again on a cleaned copy (see `clean_invisible`).
"""

from __future__ import annotations

import codecs
import unicodedata

import numpy as np

SPACE = 0x20
POST_SEP = 0x0A  # between the posts of a batch; never produced from a post's own characters
INVISIBLE = 0x01  # an ignorable character inside a word

# Digits that stand in for letters in obfuscated words ("c0y0te", "fent4nilo", "p1ll5").
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}

# Letters from other scripts that look like Latin ones and are used to dodge keyword filters.
HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k", "м": "m", "т": "t",
    "в": "b", "н": "h", "і": "i", "ј": "j", "ѕ": "s", "А": "a", "Е": "e", "О": "o", "Р": "p", "С": "c",
    "У": "y", "Х": "x", "К": "k", "М": "m", "Т": "t", "В": "b", "Н": "h", "І": "i",
    "α": "a", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "ν": "v", "ι": "i", "κ": "k", "ε": "e",
    "Α": "a", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Ι": "i", "Κ": "k", "Ε": "e", "Μ": "m", "Ν": "n",
    "ł": "l", "đ": "d", "ı": "i", "ſ": "s", "œ": "o", "ŋ": "n",
}

# Characters with no width or meaning of their own, used to break up words invisibly.
IGNORABLE = frozenset("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
                      "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
                      "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d"
                      "\ufe0e\ufe0f")

# Letters that stand for two or three ("ﬁ" and "ﬂ" in text copied from a PDF, "ĳ"), and what they
# stand for: all the letters of Unicode whose compatibility decomposition is several ASCII letters.
# One byte cannot hold them: the fold keeps the first letter, and a post holding one is matched
# again on a copy with the letters written out (`clean_invisible`), as for invisible characters.
LIGATURES = {char: "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
             for char in "ĲĳǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ"}
LIGATURE_POINTS = np.array(sorted(map(ord, LIGATURES)), dtype=np.uint32)


def _latin1_table() -> bytes:
    """The 256-byte translation: what each Latin-1 character folds to."""
    out = bytearray(256)
    for code in range(256):
        char = chr(code)
        folded = " "
        if char.isalnum():
            base = unicodedata.normalize("NFKD", char)[0].lower()
            if char in "ßÆæØøÐðÞþ":
                base = {"ß": "s", "Æ": "a", "æ": "a", "Ø": "o", "ø": "o", "Ð": "d", "ð": "d", "Þ": "t", "þ": "t"}[char]
            folded = LEET.get(base, base)
            if not (folded.isascii() and folded.isalnum()):
                folded = " "
        out[code] = ord(folded)
    out[0xAD] = INVISIBLE  # soft hyphen: invisible inside a word
    out[INVISIBLE] = INVISIBLE  # what the error handler writes for an invisible character inside a word
    out[0x00] = POST_SEP  # the matcher joins posts with NUL (and replaces any NUL inside a post first)
    out[POST_SEP] = SPACE  # a post's own line breaks are plain separators
    return bytes(out)


TABLE = _latin1_table()


class _WideFold(dict):
    """char -> one Latin-1 char for characters outside Latin-1; computed once per character."""

    def __missing__(self, char: str) -> str:
        if char in HOMOGLYPHS:
            value = HOMOGLYPHS[char]
        elif char in IGNORABLE or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            value = "\x01"  # decided against its neighbours in _fold_errors
        else:
            value = " "
            # The letter or digit it is a form of (full-width, bold, circled, accented), without its marks.
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if base and base[0].isascii() and base[0].isalnum() and (len(base) == 1 or char in LIGATURES):
                value = base[0].lower()
            # A symbol that abbreviates several letters ("™", "№", "℡") is no letter of the word
            # it is written after: "Coyote™" reads "coyote", not "coyotet".
        self[char] = value
        return value


_WIDE = _WideFold()
_runs: list[tuple[int, int]] | None = None


def _fold_run(text: str, start: int, end: int) -> str:
    """What the run text[start:end] of characters outside Latin-1 folds to: as many Latin-1 chars."""
    joined = "".join(map(_WIDE.__getitem__, text[start:end]))
    if "\x01" not in joined:  # the usual case (emoji, other scripts): no neighbours to look at
        return joined
    mapped = list(joined)
    for i, value in enumerate(mapped):
        if value == "\x01":
            # Invisible only matters between two letters; elsewhere it is just a separator.
            before = mapped[i - 1] if i > 0 else (text[start - 1] if start > 0 else " ")
            after = mapped[i + 1] if i + 1 < len(mapped) else (text[end] if end < len(text) else " ")
            if not (before.isalnum() or before == "\x01") or not (after.isalnum() or after == "\x01"):
                mapped[i] = " "
    return "".join(mapped)


def _fold_errors(exc: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: replace a run of non-Latin-1 characters with as many Latin-1 ones."""
    if _runs is not None:
        _runs.append((exc.start, exc.end))
    return _fold_run(exc.object, exc.start, exc.end), exc.end


codecs.register_error("toolkit-fold", _fold_errors)


def fold(text: str) -> bytes:
    """The folded view of `text`: one byte per character (see the module docstring)."""
    return text.encode("latin-1", "toolkit-fold").translate(TABLE)


def fold_with_runs(text: str) -> tuple[bytes, list[tuple[int, int]]]:
    """`fold(text)` and the (start, end) runs of characters outside Latin-1 (where emoji can be)."""
    global _runs
    _runs = []
    try:
        folded = text.encode("latin-1", "toolkit-fold").translate(TABLE)
        return folded, _runs
    finally:
        _runs = None


def fold_bulk(text: str) -> tuple[bytes, np.ndarray, np.ndarray]:
    """`fold(text)`, and the offsets and code points of the characters outside Latin-1, as arrays.

    For a long text with many such characters (a batch of posts with emoji): the codec error
    handler costs a Python call per run of them, this costs a few vector operations per text and
    a Python call per distinct character.
    """
    try:
        return text.encode("latin-1").translate(TABLE), _NONE, _NONE
    except UnicodeEncodeError:  # raised at the first such character: little work lost
        pass
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    raw = points.astype(np.uint8).tobytes()  # Latin-1 for the Latin-1 characters; the rest are replaced below
    wide = np.flatnonzero(points > 0xFF)
    chars = points[wide]
    distinct, which = np.unique(chars, return_inverse=True)
    # The codec path translates its replacements with TABLE too ("０" -> "0" -> "o").
    values = "".join(map(_WIDE.__getitem__, map(chr, distinct.tolist()))).encode("latin-1").translate(TABLE)
    buffer = bytearray(raw.translate(TABLE))
    folded = np.frombuffer(buffer, dtype=np.uint8)
    folded[wide] = np.frombuffer(values, dtype=np.uint8).take(which)
    if INVISIBLE in values:
        _settle_invisible(raw, folded, wide)
    return bytes(buffer), wide, chars


def _settle_invisible(raw: bytes, folded: np.ndarray, wide: np.ndarray) -> None:
    """`_fold_run`'s neighbour rule for invisible characters, over a whole text at once.

    A chain of consecutive invisible characters stays invisible only between a letter (or another
    invisible) before it and one after it; with none before, the whole chain is a separator; with
    none after, its last character is (the rule is applied left to right on the folded values).
    """
    marks = wide[folded[wide] == INVISIBLE]
    is_wide = np.zeros(len(folded) + 1, dtype=bool)
    is_wide[wide] = True
    original = np.frombuffer(raw + b" ", dtype=np.uint8)  # (at wide positions: never read)
    initial = np.append(folded, np.uint8(SPACE))

    def word_like(where: np.ndarray) -> np.ndarray:
        # Before the text (-1) counts as a space, like the end (the appended space).
        inside = np.maximum(where, 0)
        like = np.where(is_wide[inside], _FOLDED_WORD[initial[inside]], _LATIN_WORD[original[inside]])
        return like & (where >= 0)

    first = np.flatnonzero(np.diff(marks, prepend=-2) != 1)
    last = np.append(first[1:], len(marks)) - 1
    before, after = word_like(marks[first] - 1), word_like(marks[last] + 1)
    chain = np.cumsum(np.isin(np.arange(len(marks)), first)) - 1
    blank = ~before[chain]
    blank[last[before & ~after]] = True
    folded[marks[blank]] = SPACE


# Which characters count as part of a word next to an invisible one: for Latin-1 originals,
# `str.isalnum` or the invisible mark itself; for folded values, letters, digits and the mark.
_LATIN_WORD = np.array([chr(c).isalnum() or c == INVISIBLE for c in range(256)], dtype=bool)
_FOLDED_WORD = np.array([(chr(c).isascii() and chr(c).isalnum()) or c == INVISIBLE for c in range(256)], dtype=bool)
_NONE = np.zeros(0, dtype=np.int64)


def fold_str(text: str) -> str:
    """`fold` as a string, with separators squeezed: how a term is compared (for display and keys)."""
    return " ".join(fold(text).replace(b"\x01", b"").decode("ascii").split())


def clean_invisible(text: str) -> tuple[str, list[int]]:
    """`text` without the characters the fold may read as invisible (ignorable characters, combining
    marks, a raw \\x01) and with ligatures written out ("ﬁ" -> "fi"), and the original index of each
    character of the copy (both letters of a ligature have the ligature's)."""
    kept: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        if char in IGNORABLE or char == "\x01" or (ord(char) > 0xFF and unicodedata.category(char) in ("Mn", "Me", "Cf")):
            continue
        letters = LIGATURES.get(char, char)
        kept.append(letters)
        index.extend([i] * len(letters))
    return "".join(kept), index
