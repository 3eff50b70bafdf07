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
from datetime import UTC, datetime
from itertools import chain, pairwise
from operator import itemgetter

import numpy as np
import orjson

from toolkit.lexicon.batch import Analysis, BatchTags, flatten
from toolkit.lexicon.batch_scores import BatchScorer
from toolkit.lexicon.files import Lexicon
from toolkit.lexicon.indicators import (
    CONTACT_TYPES,
    EXTRACTOR,
    FRAMING_TYPES,
    REGIONS,
    Indicator,
    extract,
    maybe_indicators,
)
from toolkit.lexicon.matcher import Found, Matcher
from toolkit.lexicon.scoring import FieldTags, Score, Scorer, _covered

FAST_LIMIT = 100_000  # memoised scores kept by the fast key; cleared when full so memory stays flat


# Bit flags of a term (and, ORed over its hits, of a post) for the batch fast path.
SCORES, POSITIONAL, PLACE, SELF, OVERLAP = 1, 2, 4, 8, 16  # OVERLAP: a post's hits overlap
SLOW = POSITIONAL | OVERLAP  # scored from the hits' positions, not by the cheap key
# Fewer records than this are scored one by one: the bulk scorer's few dozen array operations cost
# a fixed ~0.2 ms, more than the rule engine takes for a handful (a scan of saved pages tags a
# batch of one or two captures per file).
BULK_MIN = 32


def _term_flags(scorer: Scorer, places: frozenset[int]) -> np.ndarray:
    """Per term: scores, positional (`within`), a place, requires a signal it gives itself."""
    flags = np.zeros(len(scorer.terms), dtype=np.uint8)
    for tid, term in enumerate(scorer.terms):
        flags[tid] = (SCORES * scorer.scores[tid] | POSITIONAL * scorer.positional[tid] | PLACE * (tid in places)
                      | SELF * bool(term.requires and not scorer.plain[tid]))
    return flags


@contextmanager
def _collector_paused() -> Iterator[None]:
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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Tagger:
    """Tags captures with a fixed set of lexicons; `tag` is what `scan_paths` calls per batch."""

    def __init__(self, lexicons: list[Lexicon], *, engine: str | None = None, regions: tuple[str, ...] = REGIONS):
        self.lexicons = lexicons
        self.matcher = Matcher(lexicons, engine)
        self.scorer = Scorer(lexicons, self.matcher.terms)
        self.regions = tuple(regions)  # hashable: parsed phone numbers are memoised per region list
        self.by_name = {lex.name: lex for lex in lexicons}
        self.idents = sorted(f"{lex.ident}#{lex.digest}" for lex in lexicons)
        self.signature = orjson.dumps(self.idents).decode()
        self.place_lexicons = {lex.name for lex in lexicons if lex.role == "places"}
        self.place_tids = frozenset(tid for tid, t in enumerate(self.matcher.terms) if t.lexicon in self.place_lexicons)
        self.zero = Score(0.0, 0.0, None)
        self.empty = Analysis([], self.scorer.score([]))
        self._flags = _term_flags(self.scorer, self.place_tids)
        self._flag_list = self._flags.tolist()
        # Per term, what its hit rows carry: the applied-lexicon key, lexicon@version, term, category, lang, weight.
        self._hit_rows = [(f"{lex.ident}#{lex.digest}", lex.ident, t.term, t.category, t.lang, t.weight)
                          for t in self.matcher.terms for lex in [self.by_name[t.lexicon]]]
        # Per term: the place it names (gazetteer terms), else None.
        self.place_values = [(t.value or t.term) if tid in self.place_tids else None
                             for tid, t in enumerate(self.matcher.terms)]
        self._fast: dict[tuple, Score] = {}  # (field, term ids in order, indicator types) -> score
        self._kinds: dict[frozenset[str], int] = {}  # indicator types -> their signal bits
        self._explained: dict[tuple, Score] = {}  # (counted terms, signals) -> the Score bulk-scored records share
        self.bulk_scorer = BatchScorer(self.scorer)

    def analyse_batch(self, records: list[dict[str, str | None]], *, indicators: bool = True) -> list[Analysis]:
        """Hits, indicators and score for each record (a dict of field -> text), one object per record.

        With `indicators=False` only the gazetteer's places are extracted (the benchmark measures
        indicator extraction apart). Records where nothing was found share one empty analysis.
        """
        return self.tag_batch(records, indicators=indicators).analyses()

    def tag_batch(self, records: list[dict[str, str | None]], *, indicators: bool = True,
                  explained: bool = False) -> BatchTags:
        """Fold, match and score a batch of records, keeping the results in columns (see `BatchTags`).

        The per-record objects (`Analysis`, `FieldTags`, hit tuples, place indicators, Score objects
        with their explanation) are built only when asked for; most records are scored together by
        array operations. `explained=True` scores every record by the rule engine instead (the
        reference the bulk scoring is tested against).
        """
        with _collector_paused():
            flat, record, field = flatten(records)
            found = self.matcher.find(flat)
            contacts = None  # contact indicators (phones, links, emails, prices) per flat index, when extracted
            if indicators:
                # Only where the cheap sift allows any: most posts have no digit, "@" or "/".
                regions = self.regions
                contacts = {index: inds for index in [index for index, maybe in enumerate(map(maybe_indicators, flat)) if maybe]
                            if (inds := extract(flat[index], regions))}
            batch = BatchTags(self, len(records), flat, record, field, found, contacts)
            self._score_batch(batch, explained)
            return batch

    def _score_batch(self, batch: BatchTags, explained: bool) -> None:
        """Score every record of the batch with something found.

        Most records are scored together with array operations (see batch_scores.py); their
        Score objects, with the explanation, are built only when `batch.scores` is read. A
        record with a term that requires a signal it gives itself, together with overlapping hits
        or contact indicators, goes through `_score_records` one by one (positions decide), and so
        does every record when `explained` or when the batch is small.
        """
        found, contacts = batch.found, batch.contacts
        count = len(batch.category)
        if explained or count < BULK_MIN:
            self._score_records(batch, None)
            return
        record = np.asarray(batch.record, dtype=np.int64)
        rrec = record[found.post]  # each hit's record
        flags = np.zeros(count, dtype=np.uint8)
        np.bitwise_or.at(flags, rrec, self._flags[found.tid])
        overlaps = found.overlaps()
        flags[rrec[overlaps]] |= OVERLAP
        has = np.zeros(count, dtype=bool)
        has[rrec] = True
        numbers: list[int] = []
        masks: list[int] = []  # per record with contact indicators: their types as signal bits
        if contacts:
            numbers = [batch.record[index] for index in contacts]
            has[numbers] = True
            masks = [self._kinds_mask(inds) for inds in contacts.values()]
        place = self.scorer.bits["place"]
        scored = has & ((flags & SCORES) != 0)
        zero = np.flatnonzero(has & ~scored)  # only places, context words or indicators: nothing to score
        for number in zero.tolist():
            batch.objects[number] = self.zero
        bulk = scored.copy()
        if numbers:  # a term that gives its own signal next to contact indicators: their spans decide
            bulk[numbers] &= (flags[numbers] & SELF) == 0
        # (After the masks above: a type seen for the first time gets its bit there.)
        if np.count_nonzero(bulk) < BULK_MIN:
            bulk[:] = False
        elif self.bulk_scorer.usable():
            kinds = np.zeros(count, dtype=np.uint64)  # indicator types per record, as signal bits
            if numbers:
                np.bitwise_or.at(kinds, numbers, np.array(masks, dtype=np.uint64))
            kinds[(flags & PLACE) != 0] |= np.uint64(place)
        else:  # more signals than one 64-bit mask holds
            bulk[:] = False
        one_by_one = np.flatnonzero(scored & ~bulk)
        if len(one_by_one):
            self._score_records(batch, one_by_one)
        ids = np.flatnonzero(bulk)
        if len(ids):
            remap = np.full(count, -1, dtype=np.int64)
            remap[ids] = np.arange(len(ids))
            rows = bulk[rrec]
            at = np.flatnonzero(rows)  # the rows given to the bulk scorer
            covered = self._covered(found, at, overlaps) if (flags[ids] & OVERLAP).any() else None
            result = self.bulk_scorer.numbers(
                len(ids), remap[rrec[rows]], found.tid[rows], kinds[ids], covered,
                lambda picked: self._near_rows(batch, at[picked]), (flags[ids] & OVERLAP) != 0,
                lambda picked: self._elsewhere(found, rrec, at[picked]))
            batch.score[ids], batch.raw[ids] = result.score, result.raw
            labels = batch.category
            for number, label in zip(ids.tolist(), result.category, strict=True):
                labels[number] = label
            batch.bulk, batch.bulk_result, batch.bulk_rows = ids, result, at

    def _covered(self, found: Found, at: np.ndarray, overlaps: np.ndarray) -> np.ndarray:
        """For the hit rows `at` (all the rows of their posts): whether a longer hit of another
        scoring term in the same field contains it (it then does not count; see scoring._covered).
        Only posts whose hits overlap (`overlaps`, per row of `found`) are looked at, one by one."""
        out = np.zeros(len(at), dtype=bool)
        post = found.post[at]
        scores = self.scorer.scores
        tids, starts, ends = found.tid[at].tolist(), found.start[at].tolist(), found.end[at].tolist()
        for p in np.unique(post[overlaps[at]]).tolist():
            rows = np.flatnonzero(post == p).tolist()
            scoring = [(tids[i], starts[i], ends[i]) for i in rows if scores[tids[i]]]
            if len(scoring) < 2:
                continue
            for i in rows:
                if scores[tids[i]] and _covered(scoring, tids[i], starts[i], ends[i]):
                    out[i] = True
        return out

    def _near_rows(self, batch: BatchTags, rows: np.ndarray) -> np.ndarray:
        """For hit rows of `within` terms: whether a signal the term requires is within reach in
        its field (Scorer.signal_near over the field's hits and contact indicators)."""
        found, contacts, near = batch.found, batch.contacts, self.scorer.signal_near
        out = np.zeros(len(rows), dtype=bool)
        if not len(rows):
            return out
        posts = found.post[rows].tolist()
        firsts = np.searchsorted(found.post, posts, "left").tolist()
        lasts = np.searchsorted(found.post, posts, "right").tolist()
        tids, starts, ends = found.tid.tolist(), found.start.tolist(), found.end.tolist()
        for k, (row, post, first, last) in enumerate(zip(rows.tolist(), posts, firsts, lasts, strict=True)):
            hits = list(zip(tids[first:last], starts[first:last], ends[first:last], strict=True))
            inds = contacts.get(post, []) if contacts else []
            out[k] = near(tids[row], starts[row], ends[row], hits, inds, batch.flat[post])
        return out

    def _elsewhere(self, found: Found, rrec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For hit rows of terms that require a signal they give themselves: whether a hit at
        another place in the record (another field, or another span) gives one, as the rule
        engine decides it for overlapping hits. (Records with contact indicators never get here.)"""
        out = np.zeros(len(rows), dtype=bool)
        terms, gives = self.matcher.terms, self.scorer.gives
        for k, row in enumerate(rows.tolist()):
            others = np.flatnonzero(rrec == rrec[row])
            where = (found.post[row], found.start[row], found.end[row])
            requires = terms[int(found.tid[row])].requires
            for j in others.tolist():
                if (found.post[j], found.start[j], found.end[j]) != where and \
                        any(name in gives[int(found.tid[j])] for name in requires):
                    out[k] = True
                    break
        return out

    def _kinds_mask(self, inds: list[Indicator]) -> int:
        """The signal bits of a field's indicator types (with `contact` for any contact type)."""
        types = frozenset(ind.type for ind in inds)
        mask = self._kinds.get(types)
        if mask is None:
            names = set(types) | ({"contact"} if not CONTACT_TYPES.isdisjoint(types) else set())
            mask = self._kinds[types] = self.scorer.bits.mask(names)
        return mask

    def _score_records(self, batch: BatchTags, numbers: np.ndarray | None) -> None:
        """Score the given records (None: every record with something found) one by one, as Score
        objects with their explanation.

        A score is a function of each field's name, term ids (in hit order) and indicator types,
        as long as no hit overlaps another, no `within` term needs its signals' positions, and no
        indicator has a term's own span (see Scorer.score_plain): then that key finds it in the
        memo. The other records go through `_score_fields`.
        """
        found, contacts, record, field = batch.found, batch.contacts, batch.record, batch.field
        wanted = np.zeros(len(batch.category), dtype=bool)
        wanted[numbers if numbers is not None else slice(None)] = True
        if numbers is None:
            keep: list[int] = list(range(len(found.posts)))
        else:  # positions among the posts with hits of those belonging to the wanted records
            posts = np.asarray(found.posts, dtype=np.int64)
            keep = np.flatnonzero(wanted[np.asarray(record, dtype=np.int64)[posts]]).tolist() if len(posts) else []
        # Per flat index with hits (of the wanted records): its term ids (in hit order) and flags,
        # looked at post by post (a few records, or a small batch); then the indexes with contact
        # indicators only.
        term_flags, bounds, overlaps = self._flag_list, found.bounds, found.overlaps()
        entries = []
        for j in keep:
            first, last = bounds[j], bounds[j + 1]
            term_ids = tuple(found.tid[first:last].tolist())
            flag = OVERLAP if overlaps[first:last].any() else 0
            for tid in term_ids:
                flag |= term_flags[tid]
            entries.append((found.posts[j], term_ids, flag))
        types_of = {}
        if contacts:
            types_of = {index: tuple({ind.type: None for ind in inds}) for index, inds in contacts.items()}
            with_hits = set(found.posts)
            # In flat order, as the fields of a record are listed.
            entries = sorted(chain(entries, ((index, (), 0) for index in contacts.keys() - with_hits
                                             if wanted[record[index]])), key=itemgetter(0))
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
        objects, fast, plain = batch.objects, self._fast, self.scorer.score_plain
        for number, held in held_by.items():
            if not held[0] & SCORES:  # only places, context words or indicators: nothing to score
                objects[number] = self.zero
                continue
            if held[0] & SLOW:
                result = self._score_fields(batch.fields(number, held[1]), contacts is not None)
            else:
                key = (tuple(held[2:]), ())
                result = fast.get(key)
                if result is None:
                    result = plain(*key)
                    if len(fast) >= FAST_LIMIT:
                        fast.clear()
                    fast[key] = result
            objects[number] = result
            batch.score[number], batch.raw[number], batch.category[number] = result.score, result.raw, result.category

    def _score_fields(self, fields: list[FieldTags], indicators: bool) -> Score:
        """The score of a capture from its fields: by the cheap key when it applies (see
        `_score_batch`), else by the full rule engine."""
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
        result = self._fast.get(key)
        if result is None:
            result = self.scorer.score_plain(*key)
            if len(self._fast) >= FAST_LIMIT:
                self._fast.clear()
            self._fast[key] = result
        return result

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
        """
        applied = applied or {}
        analyses = self.analyse_batch([{"name": name, "text": text} for _, _, name, text in rows])
        hits, indicators, scores = [], [], []
        scored_at = _now()
        hit_rows = self._hit_rows
        for (capture_id, item_id, _name, _text), analysis in zip(rows, analyses, strict=True):
            before = applied.get(capture_id, set())
            for tags in analysis.fields:
                for tid, start, end in tags.hits:
                    applied_as, ident, term, category, lang, weight = hit_rows[tid]
                    if applied_as in before:
                        continue
                    hits.append((capture_id, item_id, ident, term, category, lang, tags.field,
                                 start, end, tags.text[start:end], weight))
                for ind in tags.indicators:
                    if ind.type in FRAMING_TYPES:  # how the text is framed: it scores, it is not stored
                        continue
                    if ind.type == "place":
                        term_lex = self._place_lexicon(tags, ind)
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
            scores.append((item_id, capture_id, self.signature, score.score, score.category,
                           score.explanation_json, scored_at))
        return TagRows(hits, indicators, scores)

    def _place_lexicon(self, tags: FieldTags, ind: Indicator) -> Lexicon | None:
        for tid, start, end in tags.hits:
            if start == ind.start and end == ind.end:
                term = self.matcher.terms[tid]
                lex = self.by_name[term.lexicon]
                if lex.role == "places":
                    return lex
        return None
