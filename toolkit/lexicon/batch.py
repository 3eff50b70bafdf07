"""A tagged batch: its texts, hits, indicators and scores kept in columns (see `BatchTags`).

`Tagger.tag_batch` fills one; per-record objects (`Analysis`, `FieldTags`, hit tuples, place
indicators, Score objects with their explanation) are built from it only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Any, Protocol

import numpy as np

from toolkit.lexicon.indicators import Indicator
from toolkit.lexicon.matcher import Found
from toolkit.lexicon.scoring import FieldTags, Score

FIELDS = ("name", "text")


@dataclass(slots=True)
class Analysis:
    """Everything found in one capture (or one piece of text)."""

    fields: list[FieldTags]
    score: Score


def flatten(records: list[dict[str, str | None]]) -> tuple[list[str], list[int], list[str]]:
    """The records' non-empty texts, field by field (all names, then all texts), with each one's
    record number and field name."""
    flat: list[str] = []
    record: list[int] = []
    field: list[str] = []
    numbers = range(len(records))
    for name in FIELDS:  # C-level iterators per field: no Python-level loop body per record
        texts = list(map(dict.get, records, repeat(name)))
        missing = texts.count(None) + texts.count("")
        if missing == len(texts):
            continue
        if missing:
            kept = [number for number, text in enumerate(texts) if text]
            texts = [texts[number] for number in kept]
        else:
            kept = numbers
        flat.extend(texts)
        record.extend(kept)
        field.extend(repeat(name, len(texts)))
    return flat, record, field


class BatchTagger(Protocol):
    """What a batch asks of the tagger that filled it (toolkit.lexicon.tagger.Tagger provides it).
    Declared here so that this module, which the tagger imports, does not import the tagger."""

    empty: Analysis  # what a record with nothing found gets
    place_tids: frozenset[int]  # the terms that are places (gazetteer lexicons)

    def places(self, text: str, hits: Any) -> list[Indicator]: ...


class BatchTags:
    """What a batch of records holds, in columns; per-record objects are built on request.

    `flat` holds the records' texts field by field, `record` and `field` say whose each one is;
    `found` every hit (its `post` is a flat index); `contacts` the contact indicators per flat
    index (None: not extracted), and `contacts_over` what the extractor found past its bounds
    there (flat index -> {(type, value): (found, kept)}: toolkit.lexicon.indicators.extract);
    `cut` the texts tagged only in part (flat index -> its whole length; toolkit.lexicon.tagger.TEXT_CHARS). Per record: `score`, `raw` and `category` (0, 0 and None for a
    record with nothing that scores). `scores` gives a Score object per record, with its
    explanation, built when first read.
    """

    __slots__ = ("_ends", "_entries", "_fields", "_rows", "_scores", "_starts", "_tids", "category", "contacts",
                 "contacts_over", "cut", "field", "flat", "found", "objects", "raw", "record", "score", "tagger")

    def __init__(self, tagger: BatchTagger, count: int, flat: list[str], record: list[int], field: list[str],
                 found: Found, contacts: dict[int, list[Indicator]] | None):
        self.tagger, self.flat, self.record, self.field, self.found, self.contacts = tagger, flat, record, field, found, contacts
        self.contacts_over: dict[int, dict] = {}
        self.cut: dict[int, int] = {}
        self.score = np.zeros(count, dtype=np.float64)
        self.raw = np.zeros(count, dtype=np.float64)
        self.category: list[str | None] = [None] * count
        self.objects: dict[int, Score] = {}  # record -> its Score (records with something found)
        self._scores: list[Score] | None = None
        self._entries: dict[int, list[int]] | None = None
        self._rows: dict[int, int] | None = None
        self._fields: dict[int, list[FieldTags]] = {}  # built once per record (scoring may need them before analyses)

    @property
    def entries(self) -> dict[int, list[int]]:
        """Record -> the flat indexes of its fields with something found (hits or indicators), in order."""
        if self._entries is None:
            indexes = set(self.found.posts)
            if self.contacts:
                indexes |= self.contacts.keys()
            entries: dict[int, list[int]] = {}
            record = self.record
            for index in sorted(indexes):
                entries.setdefault(record[index], []).append(index)
            self._entries = entries
        return self._entries

    @property
    def scores(self) -> list[Score]:
        """One Score per record: the tagger's empty score for a record with nothing found."""
        if self._scores is None:
            out = [self.tagger.empty.score] * len(self.category)
            for number, score in self.objects.items():
                out[number] = score
            self._scores = out
        return self._scores

    def fields(self, number: int, indexes: list[int] | None = None) -> list[FieldTags]:
        """What was found in each field of record `number` (fields in order; only those with something).

        `indexes`: the record's flat indexes with something found, when the caller knows them.
        """
        built = self._fields.get(number)
        if built is not None:
            return built
        found = self.found
        if self._rows is None:  # flat index -> its position among the indexes with hits
            self._rows = dict(zip(found.posts, range(len(found.posts)), strict=True))
            self._tids, self._starts, self._ends = found.tid.tolist(), found.start.tolist(), found.end.tolist()
        out = []
        for index in self.entries[number] if indexes is None else indexes:
            hits: list = []
            row = self._rows.get(index)
            if row is not None:
                first, last = found.bounds[row], found.bounds[row + 1]
                hits = list(zip(self._tids[first:last], self._starts[first:last], self._ends[first:last], strict=True))
            text = self.flat[index]
            inds = self.contacts.get(index, []) if self.contacts else []
            if hits and not self.tagger.place_tids.isdisjoint([h[0] for h in hits]):
                inds = inds + self.tagger.places(text, hits)
            out.append(FieldTags(self.field[index], text, hits, inds))
        self._fields[number] = out
        return out

    def analyses(self) -> list[Analysis]:
        """One Analysis per record, as `Tagger.analyse_batch` gives them."""
        empty = self.tagger.empty
        scores = self.scores
        out = [empty] * len(scores)
        for number in self.entries:
            out[number] = Analysis(self.fields(number), scores[number])
        for number in self.objects.keys() - self.entries.keys():  # scored by the offer model alone
            out[number] = Analysis([], scores[number])
        return out
