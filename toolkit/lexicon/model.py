"""The offer model: a linear model over character n-grams that scores texts no lexicon term reaches.

Measured on the labelled set in tests/eval, the lexicons find offers written with their words and
miss most of the others: a price, a travel verb and a route; slang; another language's spelling.
A logistic regression over the character n-grams of the folded text, trained on labelled texts
(`toolkit lexicon train`), ranks offers above news, warnings and unrelated texts far better on
texts it never saw (docs/lexicons.md gives the figures). It is kept explainable: its points are a
sum of weights, one per n-gram of the text, and the explanation names the n-grams that weighed
most.

Features. The text is folded as the matcher folds it (normalise.py: lower case, no accents,
punctuation and emoji as spaces, leetspeak digits as letters), runs of spaces are squeezed to one
and a space stands before and after the text; every run of 2 to 5 characters (`NGRAMS`) is an
n-gram, hashed to one of 2**BITS weights. A text's logit is `bias + sum(weights) / sqrt(count)`,
`count` being its number of n-grams: longer texts are not favoured for being long. A whole batch
is featurised with a few array operations over the matcher's folded batch (no Python per post).

Points. Training sets the intercept so that the decision boundary (logit 0: see training.py,
where a chosen share of unseen other texts score above it) falls on `POINTS_AT_BOUNDARY` points,
the default review threshold: points = 100 * sigmoid(logit + log(POINTS_AT_BOUNDARY / (100 -
POINTS_AT_BOUNDARY))).
Where the lexicons leave a capture below that threshold and the model's points reach it, the
points are the capture's score (tagger.py); every other score is the lexicons' alone.

File. A model is an `.npz` (no pickles) holding `index` (uint32) and `weight` (float32), the
n-gram buckets with a non-zero weight; `category_index` and `category_weight`, the same for the
category part (one weight per offer category); and `meta`, a JSON text: name, version, bits,
ngrams, bias, the categories and their intercepts, and what it was trained on (settings, counts,
the labelled files and their sha256). Its digest (the file's sha256 prefix) is recorded with every
score, like a lexicon's.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import orjson

from toolkit.context import SHIPPED_MODEL, model_path
from toolkit.errors import LexiconError
from toolkit.lexicon.normalise import INVISIBLE, POST_SEP, fold_bulk
from toolkit.lexicon.scoring import Score

BITS = 18
NGRAMS = (2, 3, 4, 5)
POINTS_AT_BOUNDARY = 20.0
DEFAULT_MODEL = SHIPPED_MODEL
MAX_MODEL_BYTES = 64 * 1024 * 1024  # a model file is a few MB at most: refuse anything larger unread
_SHIFT = math.log(POINTS_AT_BOUNDARY / (100.0 - POINTS_AT_BOUNDARY))
_MULT = np.uint32(0x9E3779B1)  # Fibonacci hashing: the top bits of key * this spread well
_BOUNDARY = 31  # the code of the post separator: no n-gram crosses it
MAX_N = 6
# Folded bytes of texts whose n-grams are listed at once for their categories and explanations
# (`explain_categories`); past it they are listed PIECE window starts at a time, the same rows in
# the same order: a listing costs ~100 bytes per byte of text (a 6 MB post: 1.8 GB at once).
LIST_BYTES = 1 << 20
PIECE = 1 << 20

# Folded byte -> small code: space 0, a-z 1-26, the digits folding keeps (2, 6, 8, 9) 27-30, the post
# separator 31. Every other byte folds to a space anyway (normalise.TABLE).
_CODE = np.zeros(256, dtype=np.uint32)
for _i, _c in enumerate(b"abcdefghijklmnopqrstuvwxyz2689"):
    _CODE[_c] = _i + 1
_CODE[POST_SEP] = _BOUNDARY
_CHARS = " abcdefghijklmnopqrstuvwxyz2689|"


def _squeezed(folded: bytes) -> np.ndarray:
    """The folded bytes as codes (uint32), invisible marks dropped and runs of spaces squeezed to one."""
    raw = np.frombuffer(folded, dtype=np.uint8)
    if INVISIBLE in folded:
        raw = raw[raw != INVISIBLE]
    codes = _CODE[raw]
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = (codes[1:] != 0) | (codes[:-1] != 0)
    return codes[keep]


def _room(codes: np.ndarray) -> np.ndarray:
    """Per position: how many codes from it up to the next post separator (0 on a separator), so a
    window of n codes starting there stays inside one post when this is at least n."""
    where = np.arange(len(codes), dtype=np.int64)
    upcoming = np.where(codes == _BOUNDARY, where, len(codes))
    return np.minimum.accumulate(upcoming[::-1])[::-1] - where


def _grams(codes: np.ndarray, bits: int, ngrams: tuple[int, ...]):
    """For each n in `ngrams`: (n, buckets, codes) for the windows of n codes starting at 0 ..
    len - n, whether they stay inside a post or not (see `_room`). `codes` are the windows' codes
    in base 32 (exact up to MAX_N codes); the bucket (uint32) is the top `bits` bits of
    ((code << 3) | n) * _MULT in 32-bit arithmetic."""
    code = codes.copy()
    shift = np.uint32(32 - bits)
    for n in range(2, max(ngrams) + 1):
        if len(code) < 2:
            return
        code = code[:-1] * np.uint32(32) + codes[n - 1:]
        if n in ngrams:
            # In place: each step over the whole batch costs a pass, a new array would cost another.
            bucket = code << np.uint32(3)
            bucket |= np.uint32(n)
            bucket *= _MULT
            bucket >>= shift
            yield n, bucket, code


class NGramList(NamedTuple):
    """One row per n-gram occurrence (int64, uint64): its post, its weight's bucket, and its exact
    key (code * 8 + n, spelt by `_spell`)."""

    post: np.ndarray
    bucket: np.ndarray
    key: np.ndarray


def ngram_buckets(folded: bytes, bits: int = BITS, ngrams: tuple[int, ...] = NGRAMS) -> NGramList:
    """Every n-gram of a folded batch (posts separated by POST_SEP) that stays inside one post: the
    listed form of the features (training, categories, explanations; `logits` sums without it).

    Post 0 is whatever stands before the first separator (`fold_texts` starts every text with one,
    so text i is post i + 1).
    """
    codes = _squeezed(folded)
    post, room = np.cumsum(codes == _BOUNDARY), _room(codes)
    posts, buckets, keys = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.uint64)]
    for n, bucket, code in _grams(codes, bits, ngrams):
        inside = np.flatnonzero(room[: len(bucket)] >= n)
        posts.append(post[inside])
        buckets.append(bucket[inside].astype(np.int64))
        keys.append(code[inside].astype(np.uint64) * np.uint64(8) + np.uint64(n))
    return NGramList(np.concatenate(posts), np.concatenate(buckets), np.concatenate(keys))


def _pieces(folded: bytes, bits: int, ngrams: tuple[int, ...]) -> Iterator[NGramList]:
    """The rows of `ngram_buckets(folded, bits, ngrams)`, in the same order (each n in turn, windows
    in order), PIECE window starts at a time."""
    codes = _squeezed(folded)
    post, room = np.cumsum(codes == _BOUNDARY), _room(codes)
    shift = np.uint32(32 - bits)
    for n in ngrams:
        windows = len(codes) - n + 1
        for begin in range(0, max(windows, 0), PIECE):
            stop = min(windows, begin + PIECE)
            code = codes[begin:stop].copy()
            for back in range(1, n):  # as `_grams` builds it: base 32, in 32-bit arithmetic
                code = code * np.uint32(32) + codes[begin + back : stop + back]
            bucket = code << np.uint32(3)
            bucket |= np.uint32(n)
            bucket *= _MULT
            bucket >>= shift
            inside = np.flatnonzero(room[begin:stop] >= n)
            yield NGramList(post[begin:stop][inside], bucket[inside].astype(np.int64),
                            code[inside].astype(np.uint64) * np.uint64(8) + np.uint64(n))


def fold_texts(texts: list[str]) -> bytes:
    """Texts folded as one batch, each preceded by the post separator (text i is post i + 1)."""
    joined = "".join("\x00 " + t.replace("\x00", " ") + " " for t in texts)
    return fold_bulk(joined)[0]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    bits: int
    ngrams: tuple[int, ...]
    bias: float
    trained: dict
    categories: tuple[str, ...] = ()  # the offer categories the category part tells apart
    category_bias: tuple[float, ...] = ()


class OfferModel:
    """A trained offer model (see the module docstring); `points` scores a folded batch."""

    def __init__(self, weights: np.ndarray, info: ModelInfo, path: Path | None = None, digest: str = "",
                 categories: tuple[np.ndarray, np.ndarray] | None = None):
        self.weights = weights
        self.info = info
        # The category part: the buckets with a weight (sorted) and their weights per category.
        empty = (np.zeros(0, dtype=np.uint32), np.zeros((0, len(info.categories)), dtype=np.float32))
        self.category_index, self.category_weights = categories if categories is not None else empty
        self._category_table: np.ndarray | None = None  # built on first use (most batches never need it)
        self.path = path
        self.digest = digest
        self.ident = f"{info.name}@{info.version}"

    @classmethod
    def load(cls, path: str | Path) -> OfferModel:
        """Read a model file; LexiconError (naming the file and what is wrong) if it is not one."""
        path = Path(path)
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_MODEL_BYTES else None
        except OSError as exc:
            raise LexiconError(f"{path}: cannot read the model ({exc.strerror})", "Give the path of an .npz model file") from exc
        if data is None:
            raise LexiconError(f"{path}: larger than {MAX_MODEL_BYTES >> 20} MB, not a model file", "Give an offer model (.npz)")
        try:
            # From the bytes read once: the digest is of exactly what is loaded, and no file stays open.
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                index, weight = npz["index"], npz["weight"]
                category_index, category_weights = npz["category_index"], npz["category_weight"]
                meta = orjson.loads(str(npz["meta"]))
            bits, ngrams = int(meta["bits"]), tuple(int(n) for n in meta["ngrams"])
            if not (8 <= bits <= 24) or not ngrams or min(ngrams) < 2 or max(ngrams) > MAX_N:
                raise ValueError("bits or ngrams out of range")
            if index.shape != weight.shape or index.ndim != 1 or (len(index) and int(index.max()) >= 1 << bits):
                raise ValueError("index and weight do not match")
            names = tuple(str(name) for name in meta["categories"])
            category_bias = tuple(float(value) for value in meta["category_bias"])
            if (category_weights.shape != (len(category_index), len(names)) or len(category_bias) != len(names)
                    or not names or (len(category_index) and int(category_index.max()) >= 1 << bits)
                    or np.any(np.diff(category_index.astype(np.int64)) <= 0)):
                raise ValueError("the category part does not match")
            info = ModelInfo(str(meta["name"]), str(meta["version"]), bits, ngrams, float(meta["bias"]),
                             dict(meta.get("trained", {})), names, category_bias)
        except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, orjson.JSONDecodeError) as exc:
            raise LexiconError(f"{path}: not an offer model ({exc})", "Make one with `toolkit lexicon train`") from exc
        weights = np.zeros(1 << bits, dtype=np.float32)
        weights[index.astype(np.int64)] = weight.astype(np.float32)
        return cls(weights, info, path, hashlib.sha256(data).hexdigest()[:12],
                   (category_index.astype(np.uint32), category_weights.astype(np.float32)))

    def save(self, path: str | Path) -> None:
        """Write the model as an .npz (only the non-zero weights), through a temporary file."""
        path = Path(path)
        index = np.flatnonzero(self.weights).astype(np.uint32)
        meta = {"name": self.info.name, "version": self.info.version, "bits": self.info.bits,
                "ngrams": list(self.info.ngrams), "bias": self.info.bias, "trained": self.info.trained,
                "categories": list(self.info.categories), "category_bias": list(self.info.category_bias)}
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as f:
            np.savez_compressed(f, index=index, weight=self.weights[index], category_index=self.category_index,
                                category_weight=self.category_weights, meta=np.array(orjson.dumps(meta).decode()))
        partial.replace(path)

    def logits(self, folded: bytes, posts: int) -> np.ndarray:
        """The logit of each of `posts` posts of a folded batch (post i follows the i-th separator).

        The same sums as over `ngram_buckets`, without listing the n-grams: for each n, the
        weights of all windows are gathered, those of the few windows that cross a separator
        zeroed, and each post's stretch summed at once; a post's number of n-grams follows from
        its length (tests check both ways agree).
        """
        codes = _squeezed(folded)
        separators = np.flatnonzero(codes == _BOUNDARY)
        if len(separators) < posts:
            raise ValueError(f"a folded batch of {posts} posts has {len(separators)} separators")
        length = len(codes)
        starts = separators[:posts]
        sizes = np.append(separators[1:], length)[:posts] - starts - 1  # each post's codes
        sums = np.zeros(posts, dtype=np.float64)
        counts = np.zeros(posts, dtype=np.int64)
        gathered = np.zeros(length, dtype=np.float32)
        for n, bucket, _ in _grams(codes, self.info.bits, self.info.ngrams):
            windows = len(bucket)
            np.take(self.weights, bucket, out=gathered[:windows])
            gathered[windows:] = 0.0
            for back in range(n):  # the windows starting `back` codes before a separator (or on it) cross it
                at = separators - back
                gathered[at[at >= 0]] = 0.0
            sums += np.add.reduceat(gathered, starts, dtype=np.float64)
            counts += np.maximum(sizes - n + 1, 0)
        return self.info.bias + sums / np.sqrt(np.maximum(counts, 1))

    def points(self, folded: bytes, posts: int) -> np.ndarray:
        """The model's points (0-100) for each post of a folded batch."""
        return logit_points(self.logits(folded, posts))

    def listing(self, texts: list[str]) -> NGramList:
        """The n-grams of `texts` as this model reads them (for `categories` and `explain_many`)."""
        return ngram_buckets(fold_texts(texts), self.info.bits, self.info.ngrams)

    def categories(self, texts: list[str], listed: NGramList | None = None) -> list[str]:
        """The offer category the category part gives each text (its highest-scoring one);
        `listed`: `listing(texts)`, when the caller has it."""
        if not texts:
            return []
        post, bucket, _ = listed if listed is not None else self.listing(texts)
        weights = self._categories_table()[bucket]
        count = np.bincount(post, minlength=len(texts) + 1)[1:]
        totals = np.column_stack([np.bincount(post, weights=weights[:, c], minlength=len(texts) + 1)[1:]
                                  for c in range(weights.shape[1])])
        return self._category_of(totals, count)

    def _categories_table(self) -> np.ndarray:
        if self._category_table is None:  # per bucket, its weight for each category (zero for most)
            table = np.zeros((1 << self.info.bits, len(self.info.categories)), dtype=np.float32)
            table[self.category_index.astype(np.int64)] = self.category_weights
            self._category_table = table
        return self._category_table

    def _category_of(self, totals: np.ndarray, count: np.ndarray) -> list[str]:
        logits = np.asarray(self.info.category_bias) + totals / np.sqrt(np.maximum(count, 1))[:, None]
        return [self.info.categories[i] for i in np.argmax(logits, axis=1).tolist()]

    def explain_categories(self, texts: list[str], top: int = 8) -> tuple[list[str], list[dict]]:
        """`categories(texts)` and `explain_many(texts, top)`, from one listing of their n-grams.

        Texts of LIST_BYTES and more (folded) are listed in pieces (`_pieces`) and summed piece
        by piece in the listing's own order (np.add.at adds in order, as np.bincount does), so
        the figures are the same to the last bit and memory stays flat whatever one text's size.
        """
        folded = fold_texts(texts)
        if len(folded) < LIST_BYTES or not texts:
            listed = ngram_buckets(folded, self.info.bits, self.info.ngrams)
            return self.categories(texts, listed), self.explain_many(texts, top, listed=listed)
        size = len(texts) + 1
        table = self._categories_table()
        count = np.zeros(size, dtype=np.int64)
        total = np.zeros(size, dtype=np.float64)
        totals = np.zeros((size, len(self.info.categories)), dtype=np.float64)
        pairs = np.zeros(0, dtype=np.uint64)  # (text << 34) | n-gram key, sorted: each text's distinct n-grams
        sums = np.zeros(0, dtype=np.float64)  # the weights summed per pair
        for where, bucket, key in _pieces(folded, self.info.bits, self.info.ngrams):
            value = self.weights[bucket].astype(np.float64)
            count += np.bincount(where, minlength=size)
            np.add.at(total, where, value)
            weights = table[bucket]
            for c in range(weights.shape[1]):
                column = totals[:, c].copy()
                np.add.at(column, where, weights[:, c].astype(np.float64))
                totals[:, c] = column
            pair = (where.astype(np.uint64) << np.uint64(34)) | key
            union = np.union1d(pairs, pair)
            if len(union) != len(pairs):
                grown = np.zeros(len(union), dtype=np.float64)
                grown[np.searchsorted(union, pairs)] = sums
                pairs, sums = union, grown
            np.add.at(sums, np.searchsorted(pairs, pair), value)
        categories = self._category_of(totals[1:], count[1:])
        where = (pairs >> np.uint64(34)).astype(np.int64)
        key = pairs & np.uint64((1 << 34) - 1)
        return categories, self._explained(len(texts), top, count[1:], total[1:], where, key, sums)

    def text_points(self, texts: list[str]) -> np.ndarray:
        """`points` for texts not yet folded."""
        return self.points(fold_texts(texts), len(texts))

    def explain(self, text: str, top: int = 8) -> dict:
        """The model's part of a score: its points, and the n-grams of `text` that weighed most,
        each with its share of the logit (positive: towards an offer)."""
        return self.explain_many([text], top)[0]

    def explain_many(self, texts: list[str], top: int = 8, listed: NGramList | None = None) -> list[dict]:
        """`explain` for each text, in array operations over all of them at once (a scan explains
        every capture the model raised): each text's distinct n-grams have their weights summed by
        their exact key, and only the `top` ones (largest share first, ties by key) are spelt out.
        `listed`: `listing(texts)`, when the caller has it."""
        if not texts:
            return []
        where, bucket, key = listed if listed is not None else self.listing(texts)
        value = self.weights[bucket].astype(np.float64)
        count = np.bincount(where, minlength=len(texts) + 1)[1:]
        total = np.bincount(where, weights=value, minlength=len(texts) + 1)[1:]
        # Sum each (text, n-gram) pair, then rank a text's n-grams by the size of their share.
        order = np.lexsort((key, where))
        key, where, value = key[order], where[order], value[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = (key[1:] != key[:-1]) | (where[1:] != where[:-1])
        sums = np.bincount(np.cumsum(first) - 1, weights=value) if len(key) else np.zeros(0)
        return self._explained(len(texts), top, count, total, where[first], key[first], sums)

    def _explained(self, texts: int, top: int, count: np.ndarray, total: np.ndarray, where: np.ndarray,
                   key: np.ndarray, sums: np.ndarray) -> list[dict]:
        """The explanations from each text's n-gram count and summed weights (`count`, `total`),
        and the weights summed per distinct (text, n-gram) pair (`where`, `key`, `sums`, sorted
        by text then key)."""
        scale = 1.0 / np.sqrt(np.maximum(count, 1))
        logits = self.info.bias + total * scale
        points = np.round(logit_points(logits), 1)
        ranked = np.lexsort((key, -np.abs(sums), where))
        ranked = ranked[sums[ranked] != 0]
        # Each text's first `top` in that order: their rank within the text (texts run in order).
        if len(ranked):
            texts_at = where[ranked]
            begins = np.flatnonzero(np.diff(texts_at, prepend=-1))
            rank = np.arange(len(ranked)) - np.repeat(begins, np.diff(np.append(begins, len(ranked))))
            ranked = ranked[rank < top]
        shown: list[list] = [[] for _ in range(texts)]
        for i in ranked.tolist():
            shown[int(where[i]) - 1].append([_spell(int(key[i])), round(float(sums[i]) * float(scale[int(where[i]) - 1]), 3)])
        ident = f"{self.ident}#{self.digest}"
        return [{"model": ident, "points": float(points[n]), "logit": round(float(logits[n]), 3), "ngrams": shown[n]}
                for n in range(texts)]


def _spell(key: int) -> str:
    """The n-gram an explanation key stands for (code * 8 + n, the code in base 32)."""
    n, code = key & 7, key >> 3
    return "".join(_CHARS[(code >> (5 * (n - 1 - k))) & 31] for k in range(n))


def logit_points(logits: np.ndarray) -> np.ndarray:
    """Logits -> points 0-100, the decision boundary at POINTS_AT_BOUNDARY (see the module docstring)."""
    return 100.0 / (1.0 + np.exp(-(logits + _SHIFT)))


def load_model(spec: str | None, base: Path | None = None) -> OfferModel | None:
    """The model a case's `[scan] model` (or a `--model` option) names, loaded; None for none (see
    toolkit.context.model_path: "none", "default" or a path relative to `base`)."""
    path = model_path(spec, base)
    return None if path is None else OfferModel.load(path)


def chosen_model(flag: str | None, case_spec: str | None = None, case_root: Path | None = None) -> OfferModel | None:
    """The model a command scores with: its `--model` when given (a path relative to the working
    folder), else the case's `[scan] model` (relative to the case folder), else none."""
    return load_model(flag, Path.cwd()) if flag is not None else load_model(case_spec, case_root)


class ModelScore(Score):
    """A capture's score when the offer model raised it (its lexicon score below the review
    threshold, the model's points at or above it: see Tagger._apply_model): the points are the
    score; the raw value stays the lexicon's, and so does the category when the lexicons
    gave one (else the model's category part says which offer it reads); the explanation is the
    lexicon's with the model's part (`model`) added and named first in the summary."""

    __slots__ = ("_lexicon", "_part")

    def __init__(self, points: float, lexicon: Score, part: dict, category: str | None = None):
        super().__init__(points, lexicon.raw, lexicon.category or category)
        self._lexicon, self._part = lexicon, part  # part: OfferModel.explain's result for the capture's text

    @property
    def explanation(self) -> dict:
        if self._explanation is None:
            explained = dict(self._lexicon.explanation)
            part = self._part
            shown = dict.fromkeys(gram.strip() for gram, weight in part["ngrams"] if weight > 0)
            grams = ", ".join(f"'{gram}'" for gram in list(shown)[:4])
            said = f"model {part['points']:g}" + (f" ({grams})" if grams else "")
            explained["model"] = part
            explained["summary"] = said + ("; " + explained["summary"] if explained["summary"] else "")
            self._explanation = explained
        return self._explanation
