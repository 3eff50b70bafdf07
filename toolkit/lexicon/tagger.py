"""The tagger the scan calls: match, extract indicators, score, and store hits/indicators/scores.

Every row records what made it: hits carry their lexicon's name@version, indicators their
extractor@version (places: the gazetteer's name@version), scores the JSON list of every lexicon
applied (name@version#digest, the digest being the file's sha256 prefix, so an edit without a
version bump is still seen as a change).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

import orjson

from toolkit.lexicon.files import Lexicon
from toolkit.lexicon.indicators import EXTRACTOR, REGIONS, Indicator, extract
from toolkit.lexicon.matcher import Matcher
from toolkit.lexicon.scoring import FieldTags, Score, Scorer
from toolkit.store import tags as store

FIELDS = ("name", "text")
_TERM = itemgetter(0)  # a hit's term index
FAST_LIMIT = 100_000  # memoised scores kept by the fast key; cleared when full so memory stays flat


def _before(hit: tuple[int, int, int], following: tuple[int, int, int]) -> bool:
    """Whether a hit ends before the next one (sorted by start) begins: no overlap between them."""
    return hit[2] <= following[1]


@dataclass
class Analysis:
    """Everything found in one capture (or one piece of text)."""

    fields: list[FieldTags]
    score: Score


@dataclass
class RetagResult:
    captures: int = 0  # captures looked at
    tagged: int = 0  # captures given a new score
    unchanged: int = 0  # already scored with exactly these lexicons


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Tagger:
    """Tags captures with a fixed set of lexicons; `tag` is what `scan_paths` calls per batch."""

    def __init__(self, lexicons: list[Lexicon], *, engine: str | None = None, regions: tuple[str, ...] = REGIONS):
        self.lexicons = lexicons
        self.matcher = Matcher(lexicons, engine)
        self.scorer = Scorer(lexicons, self.matcher.terms)
        self.regions = regions
        self.by_name = {lex.name: lex for lex in lexicons}
        self.idents = sorted(f"{lex.ident}#{lex.digest}" for lex in lexicons)
        self.signature = orjson.dumps(self.idents).decode()
        self.place_lexicons = {lex.name for lex in lexicons if lex.role == "places"}
        self.place_tids = frozenset(tid for tid, t in enumerate(self.matcher.terms) if t.lexicon in self.place_lexicons)
        self.zero = Score(0.0, 0.0, None)
        self.empty = Analysis([], self.scorer.score([]))
        self.positional_tids = frozenset(tid for tid, positional in enumerate(self.scorer.positional) if positional)
        self._fast: dict[tuple, Score] = {}  # (field, term ids in order, indicator types) -> score

    def analyse_batch(self, records: list[dict[str, str | None]], *, indicators: bool = True) -> list[Analysis]:
        """Hits, indicators and score for each record (a dict of field -> text).

        With `indicators=False` only the gazetteer's places are extracted (the benchmark measures
        indicator extraction apart). Records where nothing was found share one empty analysis.
        """
        flat: list[str] = []
        segments: list[tuple[int, str, list[int] | None]] = []  # first flat index, field, record numbers
        for name in FIELDS:  # comprehensions per field: no Python-level loop body per record
            texts = [record.get(name) for record in records]
            missing = texts.count(None) + texts.count("")
            if missing == len(texts):
                continue
            segments.append((len(flat), name, None if not missing else [n for n, text in enumerate(texts) if text]))
            flat.extend(texts if not missing else [text for text in texts if text])
        found = self.matcher.match_batch(flat)
        places = self.place_tids
        out = [self.empty] * len(records)
        if indicators:
            extracted = {index: inds for index, text in enumerate(flat)
                         if (inds := self.indicators(text, found.get(index, ())))}
        elif len(segments) <= 1:
            # One field, places only: the common case is done in one loop over the posts with hits;
            # the rest keep the shared empty analysis without any Python work.
            if segments:
                self._analyse_field(segments[0], flat, found, None, out)
            return out
        else:  # places only, from the hits of posts that have any
            extracted = {index: inds for index, hits in found.items()
                         if not places.isdisjoint([h[0] for h in hits]) and (inds := self.places(flat[index], hits))}
        if len(segments) <= 1:
            if segments:
                self._analyse_field(segments[0], flat, found, extracted, out)
            return out
        scores = self.scorer.scores
        where: list[tuple[int, str]] = []
        ends = [segment[0] for segment in segments[1:]] + [len(flat)]
        for (first, name, numbers), end in zip(segments, ends, strict=True):
            where.extend([(number, name) for number in (numbers if numbers is not None else range(end - first))])
        per_record: dict[int, list[FieldTags]] = {}
        for index in sorted(found.keys() | extracted.keys()):
            number, name = where[index]
            per_record.setdefault(number, []).append(
                FieldTags(name, flat[index], found.get(index, []), extracted.get(index, [])))
        for number, fields in per_record.items():
            if any(scores[h[0]] for f in fields for h in f.hits):
                out[number] = Analysis(fields, self.scorer.score(fields))
            else:  # only places, context words or indicators: nothing to score
                out[number] = Analysis(fields, self.zero)
        return out

    def _analyse_field(self, segment: tuple[int, str, list[int] | None], flat: list[str],
                       found: dict[int, list], extracted: dict[int, list[Indicator]], out: list[Analysis]) -> None:
        """Fill `out` for the records with something found, when only one field has text.

        `extracted` None: the only indicators are places, taken from the hits here.
        """
        _, name, numbers = segment
        scores, zero, fast, score = self.scorer.scores, self.zero, self._fast, self.scorer.score
        positional, places, plain = self.positional_tids, self.place_tids, self.scorer.score_plain
        for index in found.keys() if not extracted else (found.keys() | extracted.keys()):
            hits = found.get(index, [])
            tids = tuple(map(_TERM, hits))
            if extracted is None:
                inds = [] if places.isdisjoint(tids) else self.places(flat[index], hits)
            else:
                inds = extracted.get(index, [])
            number = index if numbers is None else numbers[index]
            fields = [FieldTags(name, flat[index], hits, inds)]
            if not any(map(scores.__getitem__, tids)):  # only places, context words or indicators
                out[number] = Analysis(fields, zero)
                continue
            # A score is a function of the field, the terms and the indicator types as long as no
            # hit overlaps another and no term is positional (see Scorer.score): then this cheap key
            # finds it without building the signals.
            key = result = None
            if positional.isdisjoint(tids) and all(map(_before, hits, hits[1:])):
                types = tuple({ind.type: None for ind in inds}) if inds else ()
                key = (name, tids, types)
                cached = fast.get(key)
                if cached is not None:
                    out[number] = Analysis(fields, cached)
                    continue
                result = plain(name, tids, types)
            if result is None:
                result = score(fields)
            if key is not None:
                if len(fast) >= FAST_LIMIT:
                    fast.clear()
                fast[key] = result
            out[number] = Analysis(fields, result)

    def analyse(self, text: str) -> Analysis:
        return self.analyse_batch([{"text": text}])[0]

    def indicators(self, text: str, hits) -> list[Indicator]:
        """Extracted indicators plus one place indicator per gazetteer hit."""
        return extract(text, self.regions) + self.places(text, hits)

    def places(self, text: str, hits) -> list[Indicator]:
        """One place indicator per gazetteer hit."""
        out = []
        for tid, start, end in hits:
            term = self.matcher.terms[tid]
            if term.lexicon in self.place_lexicons:
                out.append(Indicator("place", term.value or term.term, start, end, text[start:end]))
        return out

    def tag(self, conn, written) -> None:
        """Tag a batch of just-written captures (scan.Tagger protocol)."""
        self.tag_rows(conn, [(w.capture_id, w.item_id, w.capture.name, w.capture.text) for w in written])

    def tag_rows(self, conn, rows, applied: dict[int, set[str]] | None = None) -> None:
        """Store hits, indicators and a score for each (capture_id, item_id, name, text).

        `applied` maps a capture to the lexicon idents already applied to it: their hits exist and
        are not written again (old rows stay under their own version).
        """
        applied = applied or {}
        analyses = self.analyse_batch([{"name": name, "text": text} for _, _, name, text in rows])
        done_indicators = store.has_indicators(conn, [r[0] for r in rows], EXTRACTOR) if applied else set()
        hits, indicators, scores = [], [], []
        scored_at = _now()
        for (capture_id, item_id, _name, _text), analysis in zip(rows, analyses, strict=True):
            before = applied.get(capture_id, set())
            for tags in analysis.fields:
                for tid, start, end in tags.hits:
                    term = self.matcher.terms[tid]
                    lex = self.by_name[term.lexicon]
                    if f"{lex.ident}#{lex.digest}" in before:
                        continue
                    hits.append((capture_id, item_id, lex.ident, term.term, term.category, term.lang, tags.field,
                                 start, end, tags.text[start:end], term.weight))
                for ind in tags.indicators:
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
                           orjson.dumps(score.explanation).decode(), scored_at))
        store.write_tags(conn, hits, indicators, scores)

    def _place_lexicon(self, tags: FieldTags, ind: Indicator) -> Lexicon | None:
        for tid, start, end in tags.hits:
            if start == ind.start and end == ind.end:
                term = self.matcher.terms[tid]
                lex = self.by_name[term.lexicon]
                if lex.role == "places":
                    return lex
        return None

    def retag(self, conn, progress: Callable[[int, int], None] | None = None, batch: int = 2000) -> RetagResult:
        """Tag every capture not yet scored with exactly this lexicon set (inside the caller's transaction)."""
        result = RetagResult()
        history = store.applied_lexicons(conn)
        total = store.capture_count(conn)
        for rows in store.iter_captures(conn, batch):
            result.captures += len(rows)
            todo = [r for r in rows if history.get(r[0], (set(), ""))[1] != self.signature]
            result.unchanged += len(rows) - len(todo)
            if todo:
                self.tag_rows(conn, todo, {r[0]: history.get(r[0], (set(), ""))[0] for r in todo})
                result.tagged += len(todo)
            if progress is not None:
                progress(result.captures, total)
        return result
