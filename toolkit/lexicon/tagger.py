"""The tagger the scan calls: match, extract indicators, score, and return the hit, indicator and
score rows (`TagRows`) for the scan to store; the tagger never writes to the case itself.

Every row records what made it: hits carry their lexicon's name@version, indicators their
extractor@version (places: the gazetteer's name@version), scores the JSON list of every lexicon
applied (name@version#digest, the digest being the file's sha256 prefix, so an edit without a
version bump is still seen as a change).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, pairwise, repeat
from operator import itemgetter

import numpy as np
import orjson

from toolkit.dates import utcnow
from toolkit.lexicon.batch import FIELDS, Analysis, BatchTags, flatten
from toolkit.lexicon.indicators import (
    EXTRACTOR,
    FRAMING_TYPES,
    REGIONS,
    Indicator,
    extract,
    maybe_indicators,
)
from toolkit.lexicon.loader import Lexicon
from toolkit.lexicon.matcher import HITS_PER_TERM, Matcher
from toolkit.lexicon.model import POINTS_AT_BOUNDARY, ModelScore, OfferModel
from toolkit.lexicon.scoring import FieldTags, Score, Scorer

# Hit rows one capture may store (its terms' first hits, fields in order): with matcher.HITS_PER_TERM a
# field, a capture of every shipped term repeated holds 231 terms x 50 hits x 2 fields = 23,100.
HITS_PER_CAPTURE = 10_000
# Characters of one field (a name or a text) that are tagged: the longest real posts are far shorter
# (Facebook's limit is 63,206 characters, Telegram's 4,096), and tagging costs ~65 bytes of memory a
# character, so a 48 MB string a page can hold is tagged as its first million characters; the rest
# is named in the explanation ("capped": {"text": field, "length", "tagged"}), never silently lost.
TEXT_CHARS = 1_000_000
CAPPED_LISTED = 100  # "capped" entries named in one explanation; the rest are summed in one
FAST_LIMIT = 100_000  # memoised scores kept by the fast key; cleared when full so memory stays flat


# Bit flags of a term (and, ORed over its hits, of a post) for the memoised fast path.
SCORES, POSITIONAL, PLACE, SELF, OVERLAP = 1, 2, 4, 8, 16  # OVERLAP: a post's hits overlap
SLOW = POSITIONAL | OVERLAP  # scored from the hits' positions, not by the cheap key


def _term_flags(scorer: Scorer, places: frozenset[int]) -> np.ndarray:
    """Per term: scores, positional (`within`), a place, requires a signal it gives itself."""
    flags = np.zeros(len(scorer.terms), dtype=np.uint8)
    for tid, term in enumerate(scorer.terms):
        flags[tid] = (SCORES * scorer.scores[tid] | POSITIONAL * scorer.positional[tid] | PLACE * (tid in places)
                      | SELF * bool(term.requires and not scorer.plain[tid]))
    return flags


def idents(lexicons: list[Lexicon], model: OfferModel | None = None) -> list[str]:
    """What scores are recorded as made by (their signature): every lexicon's name@version#digest,
    and the offer model's like a lexicon's (a new model is a new signature), sorted."""
    made = [f"{lex.ident}#{lex.digest}" for lex in lexicons]
    if model is not None:
        made.append(f"{model.ident}#{model.digest}")
    return sorted(made)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a batch builds its many small objects.

    They hold no reference cycles, so a collection in the middle of a batch frees nothing, yet
    walks the objects the batch and the score caches hold (dozens of collections per batch
    otherwise). The collector runs as usual after the batch.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _signal_masks(scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Per term, as uint64 arrays of one row per term and one column per 64 signals: the signals its
    hits give, and for a `within` term the signals it requires (0 for the others), as masks of
    `scorer.bits` cut into 64-bit words (the shipped lexicons look at more than 64 signals)."""
    words = max(1, -(-len(scorer.bits.names) // 64))
    requires = [scorer.spec[tid][6] if positional else 0 for tid, positional in enumerate(scorer.positional)]

    def cut(masks: list[int]) -> np.ndarray:
        return np.array([[(mask >> (64 * word)) & 0xFFFF_FFFF_FFFF_FFFF for word in range(words)] for mask in masks],
                        dtype=np.uint64).reshape(len(masks), words)

    return cut(scorer.give_mask), cut(requires)


def _memoised(memo: dict, key, make, *args) -> Score:
    """`memo[key]`, made by `make(*args)` when absent; the memo is emptied when full (FAST_LIMIT) so
    memory stays flat."""
    result = memo.get(key)
    if result is None:
        result = make(*args)
        if len(memo) >= FAST_LIMIT:
            memo.clear()
        memo[key] = result
    return result


def _shared_span(hits: list[tuple[int, int, int]], inds: list[Indicator]) -> bool:
    """Whether an indicator other than a place has the span of a hit."""
    spans = {(start, end) for _, start, end in hits}
    return any((ind.start, ind.end) in spans for ind in inds if ind.type != "place")


@dataclass
class TagRows:
    """A batch's tags as rows, for the scan to store (toolkit.store.tags.write_tags): the tagger
    itself never writes to the case."""

    hits: list[tuple] = field(default_factory=list)  # store.tags.HitRow
    indicators: list[tuple] = field(default_factory=list)  # store.tags.IndicatorRow
    scores: list[tuple] = field(default_factory=list)  # store.tags.ScoreRow


class Tagger:
    """Tags captures with a fixed set of lexicons; `tag` is what `scan_paths` calls per batch."""

    def __init__(self, lexicons: list[Lexicon], *, engine: str | None = None, regions: tuple[str, ...] = REGIONS,
                 model: OfferModel | None = None):
        self.lexicons = lexicons
        self.model = model  # the offer model (model.py), if the case uses one
        self.matcher = Matcher(lexicons, engine)
        self.scorer = Scorer(lexicons, self.matcher.terms)
        self.regions = tuple(regions)  # hashable: parsed phone numbers are memoised per region list
        self.by_name = {lex.name: lex for lex in lexicons}
        self.idents = idents(lexicons, model)
        self.signature = orjson.dumps(self.idents).decode()
        self.place_lexicons = {lex.name for lex in lexicons if lex.role == "places"}
        self.place_tids = frozenset(tid for tid, t in enumerate(self.matcher.terms) if t.lexicon in self.place_lexicons)
        self.zero = Score(0.0, 0.0, None)
        self.empty = Analysis([], self.scorer.score([]))
        self._flags = _term_flags(self.scorer, self.place_tids)
        self._flag_list = self._flags.tolist()
        # A record's memo key as one exact integer (see `_score_alone`): its field, then its term
        # ids in base `radix`, as many as fit in 63 bits.
        radix = len(self.matcher.terms) + 2  # (+ 2: a base of at least 2, with no terms at all)
        self._key_hits = 0
        while radix ** (self._key_hits + 1) * len(FIELDS) < 1 << 63:
            self._key_hits += 1
        self._key_powers = np.array([radix**rank for rank in range(self._key_hits)], dtype=np.int64)
        self._field_codes = {name: code for code, name in enumerate(FIELDS)}
        self._signal_masks = _signal_masks(self.scorer)
        # Per term, what its hit rows carry: the applied-lexicon key, lexicon@version, term, category, lang, weight.
        self._hit_rows = [(f"{lex.ident}#{lex.digest}", lex.ident, t.term, t.category, t.lang, t.weight)
                          for t in self.matcher.terms for lex in [self.by_name[t.lexicon]]]
        # Per term: the place it names (gazetteer terms), else None.
        self.place_values = [(t.value or t.term) if tid in self.place_tids else None
                             for tid, t in enumerate(self.matcher.terms)]
        self._fast: dict[tuple, Score] = {}  # (field, term ids in order, indicator types) -> score
        self._fast_ids: dict[int, Score] = {}  # the same for one field with hits alone, by its integer key

    def analyse_batch(self, records: list[dict[str, str | None]], *, indicators: bool = True) -> list[Analysis]:
        """Hits, indicators and score for each record (a dict of field -> text), one object per record.

        With `indicators=False` only the gazetteer's places are extracted (the benchmark measures
        indicator extraction apart). Records where nothing was found share one empty analysis.
        """
        return self.tag_batch(records, indicators=indicators).analyses()

    def tag_batch(self, records: list[dict[str, str | None]], *, indicators: bool = True) -> BatchTags:
        """Fold, match and score a batch of records, keeping the results in columns (see `BatchTags`).

        The per-record objects (`Analysis`, `FieldTags`, hit tuples, place indicators) are built
        only when asked for; every record with something found is scored by the rule engine, its
        Score (with the explanation) memoised by the record's shape (see `_score_records`).
        """
        with collector_paused():
            return self._tag_flat(len(records), *flatten(records), indicators)

    def tag_columns(self, texts: list[str | None], names: list[str | None] | None = None, *,
                    indicators: bool = True) -> BatchTags:
        """What `tag_batch` gives for the records {"name": names[i], "text": texts[i]} (no names:
        {"text": texts[i]}), from the columns themselves: no dict per record is built.

        For callers that hold a batch as columns (toolkit/tagjob reads Arrow tables).
        """
        with collector_paused():
            flat: list[str] = []
            record: list[int] = []
            field: list[str] = []
            for name, column in (("name", names), ("text", texts)):  # as `flatten` lists them: names first
                if column is None:
                    continue
                missing = column.count(None) + column.count("")
                if missing == len(column):
                    continue
                if missing:
                    kept = [number for number, text in enumerate(column) if text]
                    flat.extend([column[number] for number in kept])
                else:
                    kept = range(len(column))
                    flat.extend(column)
                record.extend(kept)
                field.extend(repeat(name, len(kept)))
            return self._tag_flat(len(texts), flat, record, field, indicators)

    def _tag_flat(self, count: int, flat: list[str], record: list[int], field: list[str], indicators: bool) -> BatchTags:
        """Match, extract and score a batch's texts as `batch.flatten` lays them out (the caller
        pauses the collector)."""
        cut = {}
        if flat and max(map(len, flat)) > TEXT_CHARS:  # only a text written to flood the tagger
            cut = {index: len(text) for index, text in enumerate(flat) if len(text) > TEXT_CHARS}
            flat = [text[:TEXT_CHARS] if index in cut else text for index, text in enumerate(flat)]
        found = self.matcher.find(flat)
        contacts = None  # contact indicators (phones, links, emails, prices) per flat index, when extracted
        found_over: dict[int, dict] = {}  # what extraction found past its bounds, per flat index
        if indicators:
            # Only where the cheap sift allows any: most posts have no digit, "@" or "/".
            regions = self.regions
            contacts, over = {}, {}
            for index in [index for index, maybe in enumerate(map(maybe_indicators, flat)) if maybe]:
                inds = extract(flat[index], regions, over)
                if inds:
                    contacts[index] = inds
                if over:  # only a text written to flood the extractor fills it
                    found_over[index], over = over, {}
        batch = BatchTags(self, count, flat, record, field, found, contacts)
        if found_over:
            batch.contacts_over = found_over
        batch.cut = cut
        self._score_records(batch)
        if self.model is not None and flat:
            self._apply_model(batch)
        return batch

    def _apply_model(self, batch: BatchTags) -> None:
        """Give the offer model's points to each record the lexicons leave below POINTS_AT_BOUNDARY
        (the default review threshold) where the model reads an offer (its points reach that
        boundary).

        The model fills the lexicons' gap and nothing else: a record the lexicons already bring up
        keeps its lexicon score, and below its boundary the model says nothing, so adding a model
        can bring captures up for review and never changes the others. The points of a record are
        those of its highest-scoring field (name or text); the model reads the batch as the matcher
        folded it (post i + 1 of the folded batch is flat text i).
        """
        points = np.round(self.model.points(batch.found.folded, len(batch.flat)), 1)
        record = np.asarray(batch.record, dtype=np.int64)
        best = np.zeros(len(batch.score))
        which = np.full(len(batch.score), -1, dtype=np.int64)
        order = np.argsort(points, kind="stable")
        best[record[order]] = points[order]  # assigned in rising order: each record keeps its highest field
        which[record[order]] = order
        empty = self.empty.score
        higher = np.flatnonzero((best >= POINTS_AT_BOUNDARY) & (batch.score < POINTS_AT_BOUNDARY)).tolist()
        if not higher:
            return
        texts = [batch.flat[which[number]] for number in higher]
        categories, parts = self.model.explain_categories(texts)  # their n-grams, listed once for both
        for number, category, part in zip(higher, categories, parts, strict=True):
            lexicon = batch.objects.get(number, empty)  # its category, when it has one, stays
            score = ModelScore(float(best[number]), lexicon, part, category)
            batch.objects[number] = score
            batch.score[number], batch.category[number] = score.score, score.category

    def _score_records(self, batch: BatchTags) -> None:
        """Score every record with something found, as Score objects with their explanation.

        A score is a function of each field's name, term ids (in hit order) and indicator types,
        as long as no hit overlaps another, no `within` term needs its signals' positions, and no
        indicator has a term's own span (see Scorer.score_plain): then that key finds it in the
        memo. Most records hold hits in one field and nothing else: `_score_alone` scores those in
        bulk. The others are keyed here one by one, and those the key cannot decide go through
        `_score_fields`.
        """
        found, contacts, record, field = batch.found, batch.contacts, batch.record, batch.field
        entries = []  # (flat index, term ids in hit order, flags) of the posts with hits left to score here
        if found.posts:
            first, flags, left = self._score_alone(batch)
            bounds, tids = found.bounds, found.tid.tolist()
            entries = [(post, tuple(tids[start:bounds[row + 1]]), flag) for row, post, start, flag
                       in zip(left.tolist(), found.post[first[left]].tolist(), first[left].tolist(), flags[left].tolist(),
                              strict=True)]
        types_of = {}
        if contacts:
            types_of = {index: tuple({ind.type: None for ind in inds}) for index, inds in contacts.items()}
            with_hits = set(found.posts)
            # In flat order, as the fields of a record are listed.
            entries = sorted(chain(entries, ((index, (), 0) for index in contacts.keys() - with_hits)),
                             key=itemgetter(0))
        held_by: dict[int, list] = {}  # record -> [flags ORed, flat indexes, (field, term ids, indicator types) each]
        for index, term_ids, flag in entries:
            types = types_of.get(index, ())
            if flag & PLACE:
                types = (*types, "place")
            if flag & SELF and index in types_of:
                flag |= SLOW  # a term that gives its own signal, next to indicators: spans decide
            number = record[index]
            held = held_by.get(number)
            if held is None:
                held_by[number] = [int(flag), [index], (field[index], term_ids, types)]
            else:
                held[0] |= int(flag)
                held[1].append(index)
                held.append((field[index], term_ids, types))
        objects, plain = batch.objects, self.scorer.score_plain
        for number, held in held_by.items():
            if not held[0] & SCORES:  # only places, context words or indicators: nothing to score
                objects[number] = self.zero
                continue
            if held[0] & SLOW:
                result = self._score_fields(batch.fields(number, held[1]), contacts is not None)
            else:
                key = (tuple(held[2:]), ())
                result = _memoised(self._fast, key, plain, *key)
            objects[number] = result
            batch.score[number], batch.raw[number], batch.category[number] = result.score, result.raw, result.category

    def _score_alone(self, batch: BatchTags) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score in bulk the records whose one field with something found holds hits and nothing
        else (no contact indicator), none overlapping another, no `within` term with a signal it
        requires anywhere in the field (its signals are then out of reach wherever they stand), and
        at most `_key_hits` of them.

        Such a record's score is the memo's for (field, term ids in order), which one integer
        encodes exactly (the term ids in base `radix`, then the field): one look-up per distinct
        key in the batch, and no Python work per record, give each its Score, the same object the
        one-by-one path would give. Returns, per post with hits (rows of `found.posts`): where its
        hits begin, its flags (the terms' ORed, OVERLAP when two overlap), and the rows of the
        posts left for `_score_records`.
        """
        found, count = batch.found, len(batch.score)
        first = np.asarray(found.bounds[:-1], dtype=np.int64)
        size = np.diff(np.asarray(found.bounds, dtype=np.int64))
        flags = np.bitwise_or.reduceat(self._flags[found.tid], first)
        flags[np.logical_or.reduceat(found.overlaps(), first)] |= OVERLAP
        numbers = np.asarray(batch.record, dtype=np.int64)[found.post[first]]
        slow = flags & OVERLAP != 0
        within = flags & POSITIONAL != 0
        if within.any():
            gives, requires = self._signal_masks
            # Per hit: its post's signals (every 64-bit word of them), then whether a `within` term's
            # required signal is among them.
            present = np.repeat(np.bitwise_or.reduceat(gives[found.tid], first, axis=0), size, axis=0)
            slow |= np.logical_or.reduceat((requires[found.tid] & present != 0).any(axis=1), first)
        # One field with something found: no other post of the record has hits, and none has contacts.
        alone = (np.bincount(numbers, minlength=count)[numbers] == 1) & (size <= self._key_hits) & ~slow
        if batch.contacts:
            held = np.zeros(count, dtype=bool)
            held[[batch.record[index] for index in batch.contacts]] = True
            alone &= ~held[numbers]
        scoring = alone & (flags & SCORES != 0)
        # Only places, context words: nothing to score (as in `_score_records`).
        batch.objects.update(zip(numbers[alone & ~scoring].tolist(), repeat(self.zero)))
        if scoring.any():
            rank = np.arange(len(found.tid)) - np.repeat(first, size)
            digits = (found.tid + 1) * self._key_powers[np.minimum(rank, self._key_hits - 1)]
            rows = np.flatnonzero(scoring)
            fields = list(map(batch.field.__getitem__, found.post[first[rows]].tolist()))
            codes = np.fromiter(map(self._field_codes.__getitem__, fields), dtype=np.int64, count=len(rows))
            keys = np.add.reduceat(digits, first)[rows] * len(FIELDS) + codes
            distinct, where, inverse = np.unique(keys, return_index=True, return_inverse=True)
            # Per distinct key, its first record in the batch: what the memo's key is made of on a miss.
            at = rows[where]
            made = zip(distinct.tolist(), map(fields.__getitem__, where.tolist()), first[at].tolist(),
                       (first[at] + size[at]).tolist(), (flags[at] & PLACE != 0).tolist(),
                       (flags[at] & POSITIONAL != 0).tolist(), strict=True)
            memo, plain, tids = self._fast_ids, self.scorer.score_plain, found.tid.tolist()
            positional, scores = self.scorer.positional, self.scorer.scores
            pool = []
            for key, field_name, begin, end, place, has_within in made:
                score = memo.get(key)
                if score is None:
                    term_ids = tuple(tids[begin:end])
                    # What `Scorer.near` says of its `within` terms that score: no signal within reach.
                    near = (False,) * len({tid for tid in term_ids if positional[tid] and scores[tid]}) if has_within else ()
                    score = _memoised(memo, key, plain, ((field_name, term_ids, ("place",) if place else ()),), near)
                pool.append(score)
            which = numbers[rows]
            batch.score[which] = np.array([score.score for score in pool])[inverse]
            batch.raw[which] = np.array([score.raw for score in pool])[inverse]
            category = np.array(batch.category, dtype=object)
            category[which] = np.array([score.category for score in pool], dtype=object)[inverse]
            batch.category = category.tolist()
            batch.objects.update(zip(which.tolist(), map(pool.__getitem__, inverse.tolist()), strict=True))
        return first, flags, np.flatnonzero(~alone)

    def _score_fields(self, fields: list[FieldTags], indicators: bool) -> Score:
        """The score of a capture from its fields: by the cheap key when it applies (see
        `_score_records`), else by the full rule engine."""
        flags, parts, term_flags = 0, [], self._flag_list
        for tags in fields:
            hits = tags.hits
            if any(hit[2] > following[1] for hit, following in pairwise(hits)):  # overlapping hits
                return self.scorer.score(fields)
            tids = tuple([hit[0] for hit in hits])
            for tid in tids:
                flags |= term_flags[tid]
            if flags & SELF and indicators and _shared_span(hits, tags.indicators):
                return self.scorer.score(fields)
            inds = tags.indicators
            parts.append((tags.field, tids, tuple({ind.type: None for ind in inds}) if inds else ()))
        key = (tuple(parts), self.scorer.near(fields) if flags & POSITIONAL else ())
        return _memoised(self._fast, key, self.scorer.score_plain, *key)

    def analyse(self, text: str) -> Analysis:
        return self.analyse_batch([{"text": text}])[0]

    def indicators(self, text: str, hits) -> list[Indicator]:
        """Extracted indicators plus one place indicator per gazetteer hit."""
        return extract(text, self.regions) + self.places(text, hits)

    def places(self, text: str, hits) -> list[Indicator]:
        """One place indicator per gazetteer hit."""
        value = self.place_values
        return [Indicator("place", value[tid], start, end, text[start:end]) for tid, start, end in hits
                if value[tid] is not None]

    def tag(self, written) -> TagRows:
        """The tags of a batch of just-written captures (scan.Tagger protocol)."""
        return self.tag_rows([(w.capture_id, w.item_id, w.capture.name, w.capture.text) for w in written])

    def tag_rows(self, rows, applied: dict[int, set[str]] | None = None,
                 done_indicators: set[int] | frozenset[int] = frozenset()) -> TagRows:
        """Hits, indicators and a score for each (capture_id, item_id, name, text), as rows.

        `applied` maps a capture to the lexicon idents already applied to it: their hits exist and
        are not returned again (old rows stay under their own version). `done_indicators` holds the
        captures that already have this extractor's indicators (toolkit.store.tags.has_indicators).

        A capture gives at most HITS_PER_CAPTURE hit rows, each term at most HITS_PER_TERM per
        field (matcher.py), each indicator value at most INDICATORS_PER_VALUE per field
        (indicators.py): what was found past a bound is listed in its score's explanation under
        "capped" (see `capped_entries`), so the rows are the first found and nothing goes unsaid.
        """
        applied = applied or {}
        batch = self.tag_batch([{"name": name, "text": text} for _, _, name, text in rows])
        analyses = batch.analyses()
        over = _over_by_record(batch)
        hits, indicators, scores = [], [], []
        scored_at = utcnow()
        hit_rows = self._hit_rows
        for number, ((capture_id, item_id, _name, _text), analysis) in enumerate(zip(rows, analyses, strict=True)):
            before = applied.get(capture_id, set())
            first_hit = len(hits)
            for tags in analysis.fields:
                for tid, start, end in tags.hits:
                    applied_as, ident, term, category, lang, weight = hit_rows[tid]
                    if applied_as in before:
                        continue
                    hits.append((capture_id, item_id, ident, term, category, lang, tags.field,
                                 start, end, tags.text[start:end], weight))
                places = self._place_lexicons(tags) if tags.indicators else {}
                for ind in tags.indicators:
                    if ind.type in FRAMING_TYPES:  # how the text is framed: it scores, it is not stored
                        continue
                    if ind.type == "place":
                        term_lex = places.get((ind.start, ind.end))
                        if term_lex is None or f"{term_lex.ident}#{term_lex.digest}" in before:
                            continue
                        maker = term_lex.ident
                    else:
                        if capture_id in done_indicators:
                            continue
                        maker = EXTRACTOR
                    indicators.append((capture_id, item_id, ind.type, ind.value, ind.matched, tags.field,
                                       ind.start, ind.end, maker))
            score = analysis.score
            explanation = score.explanation_json
            capped = number in over or len(hits) - first_hit > HITS_PER_CAPTURE
            if capped:
                kept, entries = self.capped_entries(hits[first_hit:], over.get(number, ()), before,
                                                    capture_id in done_indicators)
                del hits[first_hit + kept:]
                if entries:
                    explanation = orjson.dumps({**score.explanation, "capped": entries}).decode()
            scores.append((item_id, capture_id, self.signature, score.score, score.category, explanation, scored_at))
        return TagRows(hits, indicators, scores)

    def capped_entries(self, rows: list[tuple], over, before: set[str], indicators_done: bool) -> tuple[int, list[dict]]:
        """For one capture: how many of its hit `rows` to store (HITS_PER_CAPTURE at most, the
        first), and the "capped" entries of its explanation, one per thing found more often than
        it is stored: {"hit": term, "lexicon", "field", "found", "stored"} or {"indicator": type,
        "value" (None: values past INDICATORS_PER_TEXT, not told apart), "field", "found", "stored"};
        past CAPPED_LISTED of them, one {"more": entries, "found", "stored"} sums the rest. Before
        them, {"text": field, "length", "tagged"} for a field longer than TEXT_CHARS.
        `over` holds the matcher's and extractor's counts: (field, term id, hits found) or
        (field, (type, value), (found, stored)), and (field, None, length) for a field cut."""
        kept = min(len(rows), HITS_PER_CAPTURE)
        stored: dict[tuple, int] = {}
        found: dict[tuple, int] = {}
        for at, row in enumerate(rows):  # store.tags.HitRow: lexicon 2, term 3, field 6
            key = (row[2], row[3], row[6])
            found[key] = found.get(key, 0) + 1
            stored[key] = stored.get(key, 0) + (at < kept)
        cut, entries = [], []
        for field_name, what, count in over:
            if what is None:
                cut.append(_cut_entry(field_name, count))
            elif isinstance(what, tuple):
                if not indicators_done:
                    entries.append(_indicator_entry(field_name, what, count))
            else:
                applied_as, ident, term = self._hit_rows[what][:3]
                if applied_as not in before:
                    found[ident, term, field_name] = count
        entries[:0] = [_hit_entry(ident, term, field_name, count, stored.get((ident, term, field_name), 0))
                       for (ident, term, field_name), count in found.items() if count > stored.get((ident, term, field_name), 0)]
        return kept, _listed(cut, entries)

    def capped_by_record(self, batch: BatchTags) -> dict[int, list[dict]]:
        """Per record of `batch` tagged past a bound, the "capped" entries its explanation would
        carry (as `capped_entries` writes them, every hit and indicator row of the batch kept):
        for callers that write a batch's rows themselves (toolkit/tagjob)."""
        out: dict[int, list[dict]] = {}
        for number, over in _over_by_record(batch).items():
            cut = [_cut_entry(field_name, count) for field_name, what, count in over if what is None]
            hits = [_hit_entry(*self._hit_rows[what][1:3], field_name, count, HITS_PER_TERM)
                    for field_name, what, count in over if what is not None and not isinstance(what, tuple)]
            indicators = [_indicator_entry(field_name, what, count)
                          for field_name, what, count in over if isinstance(what, tuple)]
            out[number] = _listed(cut, hits + indicators)
        return out

    def _place_lexicons(self, tags: FieldTags) -> dict[tuple[int, int], Lexicon]:
        """The places lexicon of each span a gazetteer hit has in this field (the first hit's, as
        hits are in order), for its place indicators: one look-up per indicator, not a walk
        through the hits (a field may hold thousands of both)."""
        out: dict[tuple[int, int], Lexicon] = {}
        for tid, start, end in tags.hits:
            if (start, end) not in out:
                lex = self.by_name[self.matcher.terms[tid].lexicon]
                if lex.role == "places":
                    out[start, end] = lex
        return out


def _cut_entry(field_name: str, length: int) -> dict:
    """The "capped" entry of a field longer than TEXT_CHARS: its first TEXT_CHARS were tagged."""
    return {"text": field_name, "length": length, "tagged": TEXT_CHARS}


def _hit_entry(ident: str, term: str, field_name: str, found: int, stored: int) -> dict:
    return {"hit": term, "lexicon": ident, "field": field_name, "found": found, "stored": stored}


def _indicator_entry(field_name: str, what: tuple, count: tuple[int, int]) -> dict:
    """The "capped" entry of an indicator value ((type, value); value None: values past
    INDICATORS_PER_TEXT, not told apart) found more often than stored (count: found, stored)."""
    (kind, value), (found, stored) = what, count
    return {"indicator": kind, "value": value, "field": field_name, "found": found, "stored": stored}


def _listed(cut: list[dict], entries: list[dict]) -> list[dict]:
    """A capture's "capped" entries as an explanation lists them: the fields tagged in part first
    (always named), then at most CAPPED_LISTED hits and indicator values, the rest summed in one."""
    if len(entries) > CAPPED_LISTED:  # a text of thousands of values, each repeated: name the first, count the rest
        rest = entries[CAPPED_LISTED:]
        entries = [*entries[:CAPPED_LISTED], {"more": len(rest), "found": sum(e["found"] for e in rest),
                                              "stored": sum(e["stored"] for e in rest)}]
    return cut + entries


def _over_by_record(batch: BatchTags) -> dict[int, list[tuple[str, object, int]]]:
    """Per record of a batch, what was found past a bound: (field, term id, hits found) from the
    matcher, (field, (type, value), (found, stored)) from the extractor."""
    out: dict[int, list[tuple[str, object, int]]] = {}
    record, field = batch.record, batch.field
    for index, terms in batch.found.over.items():
        out.setdefault(record[index], []).extend((field[index], tid, count) for tid, count in terms.items())
    for index, kinds in batch.contacts_over.items():
        out.setdefault(record[index], []).extend((field[index], what, count) for what, count in kinds.items())
    for index, length in batch.cut.items():
        out.setdefault(record[index], []).append((field[index], None, length))
    return out
