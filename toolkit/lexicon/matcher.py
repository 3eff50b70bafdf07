"""Matching every term of a set of lexicons against a batch of posts in one pass.

A batch of posts is joined into one string (posts separated by " \\x00 "), folded to one byte per
character (normalise.py), and scanned once for a set of space-padded literal keys (" pago al llegar ",
" pago  al llegar ", ...): by Hyperscan when it is installed (the optional native accelerator), else
by pyahocorasick (the portable engine). Padding with spaces gives word boundaries that also hold
next to emoji and punctuation (both fold to spaces); both engines see the same keys, so they report
exactly the same hits (a test checks it). Then three cheap extra passes:

- spaced-out or dotted words ("c o y o t e", "E.U.A", "p.a.s.t.i.l.l.a.s"): one regex over the
  folded batch finds runs of single letters; each run is squeezed and looked up;
- emoji: found inside the runs of non-Latin-1 characters the fold reports anyway;
- posts with an invisible character inside a word (zero-width joiner, soft hyphen, a combining
  mark) are matched again on a cleaned copy whose offsets map back to the original.

Every hit is (term index, start, end) with start/end offsets into the post's original text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add as plus
from operator import itemgetter

import ahocorasick

from toolkit.errors import LexiconError
from toolkit.lexicon.files import Lexicon, Term
from toolkit.lexicon.forms import EMOJI_NOISE, all_terms, emoji_forms, word_forms
from toolkit.lexicon.normalise import clean_invisible, fold_with_runs

try:  # the optional native accelerator
    import hyperscan
except ImportError:  # pragma: no cover - depends on the environment
    hyperscan = None

SEP = " \x00 "
SPACED_RUN = re.compile(rb"(?<![a-z0-9])[a-z0-9](?: [a-z0-9]){2,}(?![a-z0-9])")
# The same shape with every letter and digit turned into "a": a literal search finds candidate runs fast.
ALNUM_AS_A = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz0123456789", b"a" * 36)
SPACED_HINT = re.compile(rb" a a a")
INVISIBLE = b"\x01"

Hit = tuple[int, int, int]  # term index, start, end (offsets into the original post text)


@dataclass
class Form:
    words: tuple[str, ...]
    terms: list[int]


def gap_sizes(words: int) -> tuple[int, ...]:
    """How many separator characters may stand between the words of a phrase of this length.

    Folding turns every punctuation mark and line break into a space, so "pago, al\r\nllegar"
    has gaps of two characters. Up to three are allowed in short phrases, two up to six words.
    """
    if words <= 3:
        return (1, 2, 3)
    return (1, 2) if words <= 6 else (1,)


def form_keys(words: tuple[str, ...]) -> list[str]:
    """The space-padded literal keys of a form: one per combination of gap sizes."""
    keys = [" " + words[0]]
    for word in words[1:]:
        keys = [key + " " * gap + word for key in keys for gap in gap_sizes(len(words))]
    return [key + " " for key in keys]


def literal_keys(forms: list[Form]) -> tuple[list[str], list[int]]:
    """Every key of every form, and the form each key belongs to."""
    keys, owners = [], []
    for fid, form in enumerate(forms):
        for key in form_keys(form.words):
            keys.append(key)
            owners.append(fid)
    return keys, owners


class _Portable:
    """pyahocorasick over the space-padded literal keys (the portable engine)."""

    name = "ahocorasick"

    def __init__(self, forms: list[Form]):
        keys, owners = literal_keys(forms)
        self.automaton = ahocorasick.Automaton()
        for key, fid in zip(keys, owners, strict=True):
            self.automaton.add_word(key, (fid, len(key)))
        self.empty = not keys
        if keys:
            self.automaton.make_automaton()

    def scan(self, folded: bytes) -> list[tuple[int, int, int]]:
        """(form, start, end) of every key found; the last key character is at `last`."""
        if self.empty:
            return []
        return [(fid, last - length + 2, last) for last, (fid, length) in self.automaton.iter(folded.decode("ascii"))]


class _Hyperscan:
    """Hyperscan over the same literal keys: the optional native accelerator."""

    name = "hyperscan"

    def __init__(self, forms: list[Form]):
        keys, owners = literal_keys(forms)
        self.owners = owners
        self.lengths = [len(k) for k in keys]
        self.db = None
        if keys:
            self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self.db.compile(expressions=[k.encode("ascii") for k in keys], ids=list(range(len(keys))),
                            elements=len(keys), flags=[0] * len(keys), literal=True)

    def scan(self, folded: bytes) -> list[tuple[int, int, int]]:
        if self.db is None:
            return []
        out: list[tuple[int, int, int]] = []
        add = out.append
        owners, lengths = self.owners, self.lengths

        def on_match(key: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            add((owners[key], end - lengths[key] + 1, end - 1))

        self.db.scan(folded, match_event_handler=on_match)
        return out


def available_engines() -> list[str]:
    return ["ahocorasick"] + (["hyperscan"] if hyperscan is not None else [])


_ORDER = itemgetter(1, 2, 0)  # hits sort by start, end, term


class Matcher:
    """All terms of a set of lexicons, compiled; `match_batch` finds them in many posts at once."""

    def __init__(self, lexicons: list[Lexicon], engine: str | None = None):
        self.terms: list[Term] = all_terms(lexicons)
        by_words: dict[tuple[str, ...], list[int]] = {}
        emoji: dict[str, list[int]] = {}
        self.regexes: list[tuple[int, re.Pattern[bytes]]] = []
        for tid, term in enumerate(self.terms):
            if term.regex is not None:
                self.regexes.append((tid, re.compile(term.regex.encode("ascii"))))
                continue
            for words in word_forms(term):
                by_words.setdefault(words, []).append(tid)
            for key in emoji_forms(term):
                if any(c.isalnum() for c in key):
                    raise LexiconError(f"{term.lexicon}: term {term.term!r}: mixes emoji and letters in one spelling",
                                       "Give the emoji and the word as separate terms or variants")
                emoji.setdefault(key, []).append(tid)
        self.forms = [Form(words, tids) for words, tids in sorted(by_words.items())]
        self.form_terms = [tuple(form.terms) for form in self.forms]
        self.squeezed: dict[bytes, list[int]] = {}  # for spaced-out words: "coyote" -> terms
        for form in self.forms:
            if len(form.words) == 1 and len(form.words[0]) >= 3:
                self.squeezed.setdefault(form.words[0].encode(), []).extend(form.terms)
        self.emoji = emoji
        self.emoji_chars = frozenset("".join(emoji))
        self.emoji_max = max((len(k) for k in emoji), default=0)
        engine = engine or ("hyperscan" if hyperscan is not None else "ahocorasick")
        if engine == "hyperscan":
            if hyperscan is None:
                raise LexiconError("the hyperscan engine is not installed", "pip install hyperscan, or use ahocorasick")
            self.engine = _Hyperscan(self.forms)
        elif engine == "ahocorasick":
            self.engine = _Portable(self.forms)
        else:
            raise LexiconError(f"unknown matching engine {engine!r}", f"Use one of {', '.join(available_engines())}")

    def match(self, text: str) -> list[Hit]:
        """Hits in one text, sorted by start."""
        return self.match_batch([text]).get(0, [])

    def match_batch(self, texts: list[str]) -> dict[int, list[Hit]]:
        """Hits per post index (posts without hits are absent), each list sorted by start."""
        if not texts:
            return {}
        joined = " " + SEP.join(texts) + " "
        if joined.count("\x00") != len(texts) - 1:  # NUL inside a post would read as a post boundary
            texts = [t.replace("\x00", " ") for t in texts]
            joined = " " + SEP.join(texts) + " "
        folded, runs = fold_with_runs(joined)
        # Where each post starts in the joined text, computed by C-level iterators (no Python loop per post).
        starts = list(accumulate(map(plus, map(len, texts), repeat(len(SEP))), initial=1))
        found: dict[int, list[Hit]] = {}

        def add(start: int, end: int, tids: list[int]) -> None:
            post = bisect_right(starts, start) - 1
            base = starts[post]
            bucket = found.get(post)
            if bucket is None:
                bucket = found[post] = []
            for tid in tids:
                bucket.append((tid, start - base, end - base))

        # Both engines report keys in order of end offset, so the post a hit falls in only moves
        # forward: look it up (bisect) only when a hit leaves the current post's span.
        form_terms = self.form_terms
        post, base, following, bucket = -1, 0, 0, None
        for fid, start, end in self.engine.scan(folded):
            if not base <= start < following:
                post = bisect_right(starts, start) - 1
                base, following = starts[post], starts[post + 1]
                bucket = found.get(post)
                if bucket is None:
                    bucket = found[post] = []
            tids = form_terms[fid]
            if len(tids) == 1:
                bucket.append((tids[0], start - base, end - base))
            else:
                for tid in tids:
                    bucket.append((tid, start - base, end - base))
        if self.squeezed:
            resume = 0
            for hint in SPACED_HINT.finditer(folded.translate(ALNUM_AS_A)):
                if hint.start() < resume:
                    continue
                run = SPACED_RUN.match(folded, hint.start() + 1)
                if run is None:
                    continue
                resume = run.end()
                tids = self.squeezed.get(run.group().replace(b" ", b""))
                if tids:
                    add(run.start(), run.end(), tids)
        for tid, pattern in self.regexes:
            for match in pattern.finditer(folded):
                if match.end() > match.start() and b"\n" not in match.group():
                    add(match.start(), match.end(), [tid])
        if self.emoji and runs:
            emoji_chars = self.emoji_chars
            for run_start, run_end in runs:
                if not emoji_chars.isdisjoint(joined[run_start:run_end]):
                    self._emoji(joined, run_start, run_end, add)
        if INVISIBLE in folded:
            self._invisible(texts, starts, folded, found)
        for post, bucket in found.items():
            if len(bucket) > 1:
                found[post] = sorted(set(bucket), key=_ORDER)
        return found

    def _emoji(self, joined: str, run_start: int, run_end: int, add) -> None:
        chars, index = [], []
        for i in range(run_start, run_end):
            if joined[i] not in EMOJI_NOISE:
                chars.append(joined[i])
                index.append(i)
        clean = "".join(chars)
        for i in range(len(clean)):
            for length in range(1, min(self.emoji_max, len(clean) - i) + 1):
                tids = self.emoji.get(clean[i : i + length])
                if tids:
                    end = index[i + length - 1] + 1
                    while end < run_end and joined[end] in EMOJI_NOISE:  # keep the selector in the span
                        end += 1
                    add(index[i], end, tids)

    def _invisible(self, texts: list[str], starts: list[int], folded: bytes, found: dict[int, list[Hit]]) -> None:
        """Match posts with an invisible character inside a word again, on a cleaned copy."""
        posts = sorted({bisect_right(starts, m.start()) - 1 for m in re.finditer(re.escape(INVISIBLE), folded)})
        for post in posts:
            clean, index = clean_invisible(texts[post])
            if clean == texts[post] or INVISIBLE in fold_with_runs(clean)[0]:
                continue
            hits = self.match_batch([clean]).get(0, [])
            found[post] = [(tid, index[s], index[e - 1] + 1) for tid, s, e in hits]
            if not found[post]:
                del found[post]

