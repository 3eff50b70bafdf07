"""Matching every term of a set of lexicons against a batch of posts in one pass.

A batch of posts is joined into one string (posts separated by " \\x00 "), folded to one byte per
character (normalise.py), and scanned once for a set of space-padded literal keys (" pago al llegar ",
" pago  al llegar ", ...): by Hyperscan when its Python binding is installed (the `fast` extra),
else by pyahocorasick (the portable engine). Padding with spaces gives word boundaries that also hold next to emoji and punctuation
(both fold to spaces); every engine sees the same keys, so they report exactly the same hits (tests
check it). Then three cheap extra passes:

- spaced-out or dotted words ("c o y o t e", "E.U.A", "p.a.s.t.i.l.l.a.s"): vector comparisons
  over the folded batch find where runs of single letters may start; each run is squeezed and
  looked up;
- emoji: among the characters outside Latin-1 the fold locates anyway (single-character emoji in
  bulk, longer sequences run by run);
- posts with an invisible character inside a word (zero-width joiner, soft hyphen, a combining
  mark) are matched again on a cleaned copy whose offsets map back to the original;
- account handles and hashtags glued by case or digits ("@CruceSeguroUSA", "@Empresa.4.letras6",
  "#ElSeñorDeLosGallos") are split into words and matched again; their hits span the whole handle.

Keys found become hits, and hits their posts, by array operations over the whole batch (`Found`):
no Python work per post, and per hit only what the engine's callback costs. Every hit is (term
index, start, end) with start/end offsets into the post's original text.

A post written to flood the tagger (a term or an emoji a million times) keeps the first
HITS_PER_TERM hits of each term; the others are counted, not kept (`Found.over`). The bound holds
while matching too: the engine scans a large batch a window at a time, and the hits gathered are
capped whenever they pile up (`_Held`), so no pass builds one object per repetition.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

import ahocorasick
import numpy as np

from toolkit.errors import LexiconError
from toolkit.lexicon.forms import EMOJI_NOISE, all_terms, emoji_forms, word_forms
from toolkit.lexicon.glued import Splitter, hosts
from toolkit.lexicon.loader import Lexicon, Term
from toolkit.lexicon.normalise import LIGATURE_POINTS, POST_SEP, clean_invisible, fold, fold_bulk, fold_str

try:  # the Python binding to Hyperscan (the `fast` extra)
    import hyperscan
except ImportError:  # pragma: no cover - depends on the environment
    hyperscan = None

SEP = " \x00 "
POST_BOUNDARY = bytes([POST_SEP])  # what the NUL of SEP folds to
SPACED_RUN = re.compile(rb"(?<![a-z0-9])[a-z0-9](?: [a-z0-9]){2,}(?![a-z0-9])")
# The same shape with every letter and digit turned into "a": a literal search finds candidate runs fast.
ALNUM_AS_A = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz0123456789", b"a" * 36)
INVISIBLE = b"\x01"
# A handle or hashtag, and the places inside one where a new word begins: a capital after a small
# letter, a digit next to a letter (the dots and underscores fold to spaces anyway).
HANDLE_TOKEN = re.compile(r"[@#]([^\W_][\w.]{2,63})")
GLUED = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])|(?<=[a-z\u00df-\u00f6\u00f8-\u00ff])(?=[A-Z\u00c0-\u00d6\u00d8-\u00de])"
                   r"|(?<=[A-Z\u00c0-\u00d6\u00d8-\u00de])(?=[A-Z\u00c0-\u00d6\u00d8-\u00de][a-z\u00df-\u00f6\u00f8-\u00ff])")

Hit = tuple[int, int, int]  # term index, start, end (offsets into the original post text)

# Hits kept per term in one post (one field of a capture), the first by position; past it they are
# counted (Found.over). No post of the evaluation set or the samples comes near: 12 is the most.
HITS_PER_TERM = 50
# Bytes of folded text the engine scans at a time (a batch of the scan, 2,000 posts, is well under):
# what one scan's matches, held as Python ints by the engine's callback, can grow to.
WINDOW = 1 << 20
# Hits held in a batch before the cap is applied on the way (see `_Held`): this, plus one per 32
# bytes of the batch (ordinary text has far fewer), so an ordinary batch is capped once, at the end.
HELD_ROWS = 1 << 18
EXTRA_ROWS = 1 << 16  # hits of the extra passes held as tuples before they join the arrays
CHUNK = 1 << 16  # array elements turned into Python values at a time


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

    def __init__(self, keys: list[str]):
        self.automaton = ahocorasick.Automaton()
        for kid, key in enumerate(keys):
            self.automaton.add_word(key, kid)
        self.empty = not keys
        if keys:
            self.automaton.make_automaton()

    def scan(self, folded: bytes) -> np.ndarray:
        """(key end, key id) for every key found, in order of end (end exclusive): int64, shape (n, 2)."""
        if self.empty:
            return np.empty((0, 2), dtype=np.int64)
        # The automaton reports (index of the last character, key id); flattened by C iterators.
        pairs = _ints(list(chain.from_iterable(self.automaton.iter(folded.decode("ascii"))))).reshape(-1, 2)
        pairs[:, 0] += 1
        return pairs


class _Hyperscan:
    """Hyperscan over the same literal keys through its Python binding (the `fast` extra)."""

    name = "hyperscan"

    def __init__(self, keys: list[str]):
        self.db = None
        if keys:
            self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self.db.compile(expressions=[k.encode("ascii") for k in keys], ids=list(range(len(keys))),
                            elements=len(keys), flags=[0] * len(keys), literal=True)

    def scan(self, folded: bytes) -> np.ndarray:
        """(key end, key id) for every key found, in order of end (end exclusive): int64, shape (n, 2)."""
        if self.db is None:
            return np.empty((0, 2), dtype=np.int64)
        out: list[int] = []
        add = out.append

        def on_match(key: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            # The binding's cost per match is mostly its own (taking the GIL, building the
            # arguments): keep this body to two appends and do the rest in bulk afterwards.
            add(end)
            add(key)

        self.db.scan(folded, match_event_handler=on_match)
        return _ints(out).reshape(-1, 2)


ENGINES = {"hyperscan": _Hyperscan, "ahocorasick": _Portable}


def available_engines() -> list[str]:
    """The engines installed here, fastest first (the first is the default); they all give the same hits."""
    installed = {"hyperscan": hyperscan is not None, "ahocorasick": True}
    return [name for name in ENGINES if installed[name]]


class Found:
    """The hits of a batch in bulk: parallel arrays sorted by post, start, end, term (no duplicates).

    `post`, `tid`, `start`, `end` hold one row per hit (start/end: offsets into the post's own
    text); `posts` lists the posts with hits in order and `bounds` where each one's rows begin
    (plus the total at the end). `by_post` builds the (term, start, end) tuples a caller keeps.
    `over` names, per post, the terms found more than HITS_PER_TERM times there and how many
    times they were found (post -> {term: hits found}); only their first HITS_PER_TERM are rows.
    """

    __slots__ = ("bounds", "end", "folded", "over", "post", "posts", "start", "tid")

    def __init__(self, post: np.ndarray, tid: np.ndarray, start: np.ndarray, end: np.ndarray):
        self.post, self.tid, self.start, self.end = post, tid, start, end
        self.folded = b""  # the folded batch the hits were found in (posts separated by POST_BOUNDARY)
        self.over: dict[int, dict[int, int]] = {}
        if len(post):
            first = np.flatnonzero(post[1:] != post[:-1]) + 1
            self.posts: list[int] = post[np.concatenate(([0], first))].tolist()
            self.bounds: list[int] = [0, *first.tolist(), len(post)]
        else:
            self.posts, self.bounds = [], [0]

    def hits(self) -> list[Hit]:
        """Every hit as (term, start, end), in the rows' order."""
        return list(zip(self.tid.tolist(), self.start.tolist(), self.end.tolist(), strict=True))

    def lists(self, hits: list) -> Iterator[list]:
        """`hits` (one element per row) cut into one list per post with hits, in `posts` order."""
        bounds = self.bounds
        return map(hits.__getitem__, map(slice, bounds, bounds[1:]))

    def by_post(self) -> dict[int, list[Hit]]:
        return dict(zip(self.posts, self.lists(self.hits()), strict=True))

    def overlaps(self) -> np.ndarray:
        """Per row: whether the hit overlaps the next row's hit of the same post (rows are sorted by
        start, so a post's hits overlap somewhere when any of its rows says so)."""
        out = np.zeros(len(self.post), dtype=bool)
        out[:-1] = (self.end[:-1] > self.start[1:]) & (self.post[:-1] == self.post[1:])
        return out


def _spaced_hints(folded: bytes) -> np.ndarray:
    """Every offset where a space and three single letters or digits begin (" c o y"), overlaps included.

    Where runs of spaced-out letters may start. Vector comparisons over the whole batch: in text
    folded to letters and spaces, a substring search for this pattern (or a regex) is slow.
    """
    shape = np.frombuffer(folded.translate(ALNUM_AS_A), dtype=np.uint8)
    if len(shape) < 6:
        return _ints([])
    # Two comparisons over the batch, then shifted views of them: space, letter, space, letter, space, letter.
    space, letter = shape == ord(" "), shape == ord("a")
    found = space[:-5] & letter[1:-4] & space[2:-3] & letter[3:-2] & space[4:-1] & letter[5:]
    return np.flatnonzero(found)


NOISE_POINTS = np.array(sorted(map(ord, EMOJI_NOISE)), dtype=np.uint32)


def _lookup(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each value, its index in the sorted array `points`, or -1 when absent."""
    if not len(points):
        return np.full(len(values), -1)
    index = np.minimum(np.searchsorted(points, values), len(points) - 1)
    return np.where(points[index] == values, index, -1)


def _redo_marks(folded: bytes, wide: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Where in a folded batch a post must be matched again on a cleaned copy: its invisible
    characters inside words, and its ligatures (folded to their first letter only)."""
    marks = _ints([m.start() for m in re.finditer(re.escape(INVISIBLE), folded)]) if INVISIBLE in folded else _ints([])
    if len(chars):
        marks = np.concatenate((marks, wide[_lookup(chars, LIGATURE_POINTS) >= 0]))
    return marks


def _ints(values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _capped(post: np.ndarray, tid: np.ndarray, start: np.ndarray, end: np.ndarray, dropped: dict) -> np.ndarray:
    """Which rows to keep: each distinct hit once, and of each (post, term) only the first
    HITS_PER_TERM hits by (start, end). The distinct hits left out are counted into `dropped`
    ((post, term) -> hits), so what was found is never lost, only not held."""
    order = np.lexsort((end, start, tid, post))
    p, t, s, e = post[order], tid[order], start[order], end[order]
    group = np.ones(len(order), dtype=bool)
    group[1:] = (p[1:] != p[:-1]) | (t[1:] != t[:-1])
    distinct = group.copy()
    distinct[1:] |= (s[1:] != s[:-1]) | (e[1:] != e[:-1])
    seen = np.cumsum(distinct)  # distinct hits up to each row, over the whole batch
    firsts = np.flatnonzero(group)
    rank = seen - np.repeat(seen[firsts], np.diff(np.append(firsts, len(order))))  # 0 for a group's first hit
    over = distinct & (rank >= HITS_PER_TERM)
    if over.any():
        pairs, counts = np.unique(np.stack((p[over], t[over]), axis=1), axis=0, return_counts=True)
        for (post_index, term), count in zip(pairs.tolist(), counts.tolist(), strict=True):
            dropped[post_index, term] = dropped.get((post_index, term), 0) + count
    keep = np.zeros(len(order), dtype=bool)
    keep[order[distinct & (rank < HITS_PER_TERM)]] = True
    return keep


class _Held:
    """The hits of a batch gathered so far, as arrays of (term, start, end) in offsets of the
    joined batch; capped (`_capped`) whenever they pass `limit` rows, so that a post repeating a
    term a million times holds HITS_PER_TERM of them and a count, not a million rows."""

    def __init__(self, starts: np.ndarray, limit: int):
        self.starts, self.limit = starts, limit
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows = 0
        self.dropped: dict[tuple[int, int], int] = {}  # (post, term) -> distinct hits left out so far

    def add(self, tid: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        if len(tid):
            self.parts.append((tid, start, end))
            self.rows += len(tid)
            if self.rows > self.limit:
                self.compact()

    def add_rows(self, rows: list[tuple[int, int, int]]) -> None:
        """Add (term, start, end) tuples, and empty the list."""
        if rows:
            more = _ints(rows).reshape(-1, 3)
            rows.clear()
            self.add(more[:, 0], more[:, 1], more[:, 2])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return _ints([]), _ints([]), _ints([])
        if len(self.parts) == 1:
            return self.parts[0]
        tid, start, end = (np.concatenate(column) for column in zip(*self.parts, strict=True))
        self.parts = [(tid, start, end)]
        return tid, start, end

    def compact(self) -> None:
        tid, start, end = self.arrays()
        keep = _capped(np.searchsorted(self.starts, start, "right") - 1, tid, start, end, self.dropped)
        self.parts = [(tid[keep], start[keep], end[keep])]
        self.rows = len(self.parts[0][0])


def _chunked(*arrays: np.ndarray) -> Iterator[tuple]:
    """The arrays' elements zipped, as Python values, CHUNK at a time (never all of them at once)."""
    for at in range(0, len(arrays[0]), CHUNK):
        yield from zip(*(array[at : at + CHUNK].tolist() for array in arrays), strict=True)


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
        self.squeezed: dict[bytes, list[int]] = {}  # for spaced-out words: "coyote" -> terms
        for form in self.forms:
            if len(form.words) == 1 and len(form.words[0]) >= 3:
                self.squeezed.setdefault(form.words[0].encode(), []).extend(form.terms)
        self.splitter = Splitter({word for form in self.forms for word in form.words})
        self.emoji = emoji
        singles = sorted((ord(key), tids) for key, tids in emoji.items() if len(key) == 1)
        self.emoji_single_points = np.array([point for point, _ in singles], dtype=np.uint32)
        self.emoji_single_tids = [tids for _, tids in singles]
        self.emoji_multi_points = np.array(sorted({ord(key[0]) for key in emoji if len(key) > 1}), dtype=np.uint32)
        self.emoji_max = max((len(k) for k in emoji), default=0)
        keys, owners = literal_keys(self.forms)
        # Per key, as arrays: its length and the terms it stands for (a run of `key_count` terms
        # from `key_first` in `key_terms`), so that keys found turn into hits without a Python loop.
        self.key_len = _ints([len(k) for k in keys])
        counts = [len(self.forms[fid].terms) for fid in owners]
        self.key_terms = _ints([tid for fid in owners for tid in self.forms[fid].terms])
        self.key_count = _ints(counts)
        self.key_first = np.cumsum(self.key_count) - self.key_count
        self.key_single = all(c == 1 for c in counts)
        engine = engine or available_engines()[0]
        if engine not in ENGINES:
            raise LexiconError(f"unknown matching engine {engine!r}", f"Use one of {', '.join(available_engines())}")
        if engine not in available_engines():
            raise LexiconError(f"the {engine} engine is not installed",
                               "Install the `fast` extra (pip install -e '.[fast]'), or use ahocorasick")
        self.engine = ENGINES[engine](keys)

    def match(self, text: str) -> list[Hit]:
        """Hits in one text, sorted by start."""
        return self.match_batch([text]).get(0, [])

    def match_batch(self, texts: list[str]) -> dict[int, list[Hit]]:
        """Hits per post index (posts without hits are absent), each list sorted by start."""
        return self.find(texts).by_post()

    def find(self, texts: list[str]) -> Found:
        """Every hit in a batch of posts, in bulk (see `Found`)."""
        if not texts:
            return Found(_ints([]), _ints([]), _ints([]), _ints([]))
        # One copy of the posts, with a separator before the first and after the last. A NUL is folded
        # to the post boundary; counting boundaries in the folded bytes (one memchr pass) tells
        # whether a post held one, which must then read as a space.
        joined = SEP.join(["", *texts, ""])
        folded, wide, chars = fold_bulk(joined)
        if folded.count(POST_BOUNDARY) != len(texts) + 1:
            texts = [t.replace("\x00", " ") for t in texts]
            joined = SEP.join(["", *texts, ""])
            folded, wide, chars = fold_bulk(joined)
        # Where each post starts in the joined text, computed by C-level iterators (no Python loop per post).
        starts = np.empty(len(texts) + 1, dtype=np.int64)
        starts[0] = len(SEP)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + len(SEP), out=starts[1:])
        starts[1:] += len(SEP)
        held = _Held(starts, HELD_ROWS + len(folded) // 32)
        self._scan(folded, held)
        self._extra(joined, folded, wide, chars, held)
        tid, start, end = held.arrays()
        post = np.searchsorted(starts, start, "right") - 1
        base = starts[post]
        start, end = start - base, end - base
        dropped = held.dropped
        redo = _redo_marks(folded, wide, chars)
        if len(redo):
            post, tid, start, end = self._invisible(texts, starts, redo, post, tid, start, end, dropped)
        order = np.lexsort((tid, end, start, post))
        post, tid, start, end = post[order], tid[order], start[order], end[order]
        if len(post) > 1:  # the same hit found twice (two passes, two spellings of one term): keep one
            keep = np.ones(len(post), dtype=bool)
            keep[1:] = (post[1:] != post[:-1]) | (tid[1:] != tid[:-1]) | (start[1:] != start[:-1]) | (end[1:] != end[:-1])
            if not keep.all():
                post, tid, start, end = post[keep], tid[keep], start[keep], end[keep]
        found = Found(post, tid, start, end)
        if dropped or (len(post) > HITS_PER_TERM and (post[HITS_PER_TERM:] == post[:-HITS_PER_TERM]).any()):
            # Some post has more hits than a term may keep (rows sorted by post: one has over
            # HITS_PER_TERM rows when a row's post is that of the row HITS_PER_TERM before it).
            keep = _capped(post, tid, start, end, dropped)
            if not keep.all():
                found = Found(post[keep], tid[keep], start[keep], end[keep])
            for (index, term), count in dropped.items():
                found.over.setdefault(index, {})[term] = HITS_PER_TERM + count
        found.folded = folded
        return found

    def _scan(self, folded: bytes, held: _Held) -> None:
        """The literal keys' hits, into `held`: a large batch is scanned a WINDOW at a time (each
        window begins early enough to hold any key ending in it; keys ending in the previous
        window are left to that one), so the engine never lists more than a window's matches."""
        if len(folded) <= WINDOW:
            held.add(*self._key_hits(self.engine.scan(folded)))
            return
        overlap = int(self.key_len.max()) if len(self.key_len) else 0
        for at in range(0, len(folded), WINDOW):
            begin = max(0, at - overlap)
            pairs = self.engine.scan(folded[begin : at + WINDOW])
            pairs[:, 0] += begin
            held.add(*self._key_hits(pairs[pairs[:, 0] > at] if at else pairs))

    def _key_hits(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, start, end) arrays, in joined offsets, of the (key end, key id) pairs an engine found."""
        keys = pairs[:, 1]
        # A key is padded with one space on each side: the hit is what lies between them.
        end = pairs[:, 0] - 1
        start = end - self.key_len[keys] + 2
        if self.key_single:
            tid = self.key_terms[keys]
        else:  # a form shared by several terms gives one hit per term
            count = self.key_count[keys]
            row = np.repeat(np.arange(len(keys)), count)
            tid = self.key_terms[self.key_first[keys][row] + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)]
            start, end = start[row], end[row]
        return tid, start, end

    def _extra(self, joined: str, folded: bytes, wide: np.ndarray, chars: np.ndarray, held: _Held) -> None:
        """Hits the literal keys cannot give: spaced-out words, regex terms, emoji, into `held`
        (EXTRA_ROWS at a time)."""
        extra: list[tuple[int, int, int]] = []  # (term, start, end) in joined offsets

        def add(start: int, end: int, tids: list[int]) -> None:
            for tid in tids:
                extra.append((tid, start, end))
            if len(extra) >= EXTRA_ROWS:
                held.add_rows(extra)

        if self.squeezed:
            resume = 0
            for (hint,) in _chunked(_spaced_hints(folded)):
                if hint < resume:
                    continue
                run = SPACED_RUN.match(folded, hint + 1)
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
        tokens = self._handles(joined) if "@" in joined or "#" in joined else []  # most batches have no handle
        tokens.extend((host.replace("-", " "), start, end) for host, start, end in hosts(joined))
        if tokens:
            self._glued(tokens, add)
        if self.emoji and len(wide):
            # Emoji are among the characters outside Latin-1 (`wide`, their code points `chars`).
            # Single-character emoji terms, in bulk: each hit spans its character and the
            # selectors, joiners and skin tones right after it.
            which = _lookup(chars, self.emoji_single_points)
            at = np.flatnonzero(which >= 0)
            if len(at):
                contiguous = np.diff(wide, prepend=-2) == 1
                stops = np.append(np.flatnonzero(~(contiguous & (_lookup(chars, NOISE_POINTS) >= 0))), len(wide))
                ends = wide[stops[np.searchsorted(stops, at, "right")] - 1] + 1
                single = self.emoji_single_tids
                for j, start, end in _chunked(which[at], wide[at], ends):
                    add(start, end, single[j])
            if len(self.emoji_multi_points):
                # Longer sequences: the runs of such characters that hold the first of one (the
                # single characters found again there are dropped as duplicates).
                first = np.flatnonzero(np.diff(wide, prepend=-2) != 1)
                last = np.append(first[1:], len(wide)) - 1
                begins = np.flatnonzero(_lookup(chars, self.emoji_multi_points) >= 0)
                runs = np.searchsorted(first, begins, "right") - 1  # sorted, as `begins` is
                runs = runs[np.diff(runs, prepend=-1) != 0]
                for run_start, run_end in _chunked(wide[first[runs]], wide[last[runs]] + 1):
                    self._emoji(joined, run_start, run_end, add)
        held.add_rows(extra)

    def _handles(self, joined: str) -> list[tuple[str, int, int]]:
        """The handles and hashtags of the batch: (token without its mark, start, end)."""
        tokens = []
        for mark in "@#":
            at = joined.find(mark)
            while at >= 0:
                token = HANDLE_TOKEN.match(joined, at)
                if token is not None:
                    tokens.append((token.group(1), token.start(), token.end()))
                at = joined.find(mark, at + 1)
        return tokens

    def _glued(self, tokens: list[tuple[str, int, int]], add) -> None:
        """Terms inside handles, hashtags and host names (token, start, end) whose words are glued
        (by case, digits or nothing at all: see glued.py); the hits span the whole token. Each
        distinct token is split once and all are matched in one batch: a post repeating a handle
        thousands of times costs one match, not thousands."""
        spaced_of: dict[str, str | None] = {}
        for token, _, _ in tokens:
            if token not in spaced_of:
                spaced = " ".join(self.splitter.spaced(part) for part in GLUED.sub(" ", token).replace(".", " ").split())
                spaced_of[token] = spaced if spaced != fold_str(token) else None  # None: no glued words
        distinct = sorted({spaced for spaced in spaced_of.values() if spaced})
        if not distinct:
            return
        found = self.find(distinct)
        tids_of: dict[str, list[int]] = {}
        for post, tid in zip(found.post.tolist(), found.tid.tolist(), strict=True):
            tids_of.setdefault(distinct[post], []).append(tid)
        for token, start, end in tokens:
            tids = tids_of.get(spaced_of[token] or "")
            if tids:
                add(start, end, tids)

    def _emoji(self, joined: str, run_start: int, run_end: int, add) -> None:
        chars, index = [], []
        for i in range(run_start, run_end):
            if joined[i] not in EMOJI_NOISE:
                chars.append(joined[i])
                index.append(i)
        clean = "".join(chars)
        for i in range(len(clean)):
            # From two characters: the single ones are found in bulk with the same spans (`_extra`);
            # found again here, a flood's hits past the cap would be counted twice.
            for length in range(2, min(self.emoji_max, len(clean) - i) + 1):
                tids = self.emoji.get(clean[i : i + length])
                if tids:
                    end = index[i + length - 1] + 1
                    while end < run_end and joined[end] in EMOJI_NOISE:  # keep the selector in the span
                        end += 1
                    add(index[i], end, tids)

    def _invisible(self, texts: list[str], starts: np.ndarray, marks: np.ndarray, post: np.ndarray, tid: np.ndarray,
                   start: np.ndarray, end: np.ndarray, dropped: dict[tuple[int, int], int]) -> tuple[np.ndarray, ...]:
        """Match posts with an invisible character inside a word or a ligature again, on a cleaned
        copy (`marks`: where they are in the batch, see `_redo_marks`).

        Such a post's hits are replaced by those found in its cleaned copy, mapped back (and its
        counts of hits left out, in `dropped`, by the copy's).
        """
        redo, rows = [], []
        for index in np.unique(np.searchsorted(starts, marks, "right") - 1).tolist():
            clean, where = clean_invisible(texts[index])
            if clean == texts[index] or INVISIBLE in fold(clean):
                continue
            redo.append(index)
            found = self.find([clean])
            rows.extend((index, t, where[s], where[e - 1] + 1) for t, s, e in found.hits())
            for key in [key for key in dropped if key[0] == index]:
                del dropped[key]
            for term, seen in found.over.get(0, {}).items():
                dropped[index, term] = seen - HITS_PER_TERM
        if not redo:
            return post, tid, start, end
        keep = ~np.isin(post, redo)
        more = _ints(rows).reshape(-1, 4)
        return (np.concatenate((post[keep], more[:, 0])), np.concatenate((tid[keep], more[:, 1])),
                np.concatenate((start[keep], more[:, 2])), np.concatenate((end[keep], more[:, 3])))
