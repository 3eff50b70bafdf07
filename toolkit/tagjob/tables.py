"""A tagged batch as three flat Arrow tables (posts, hits, indicators), and its candidates as JSON lines.

The tagger is used through its public result, `BatchTags` (see toolkit/lexicon/batch.py): per
record its score, raw score and category; every hit as arrays (flat text index, term id, span);
the contact indicators per flat text. A post's hits and indicators come out in the order
`Tagger.analyse_batch` lists them (fields in order, hits by position, a field's contact
indicators before its places), so what the tables say of a post is what analysing it in one
process gives (tests/test_tag_command.py checks this against `analyse_batch`).

The layout is the case database's (score, hit and indicator rows), keyed by `source` and `row`:
flat tables, because Parquet writes nested lists three times slower, which the tagger's own
speed would feel. Columns (docs/distributed.md):

    tags        source, row, id, score, raw, category, hits, indicators (counts)
    hits        source, row, lexicon (name@version), term, category, lang, weight, field, start, end, matched
    indicators  source, row, type, value, field, start, end, matched

`source` is the input file (and zip members), `row` the post's ordinal among the records read
from it (0-based); score, raw and category are as `scan` stores them (0, 0 and null when nothing
scores); spans are offsets in characters (code points) into the field's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from toolkit.lexicon import Tagger
from toolkit.lexicon.batch import BatchTags

TEXT = pa.dictionary(pa.int32(), pa.string())  # repeated strings (terms, lexicons, fields...) as codes
KEY = [pa.field("source", TEXT, nullable=False), pa.field("row", pa.int64(), nullable=False)]
TAGS = pa.schema([*KEY, ("id", pa.string()), pa.field("score", pa.float64(), nullable=False),
                  pa.field("raw", pa.float64(), nullable=False), ("category", TEXT),
                  pa.field("hits", pa.int32(), nullable=False), pa.field("indicators", pa.int32(), nullable=False)])
HITS = pa.schema([*KEY, pa.field("lexicon", TEXT, nullable=False), pa.field("term", TEXT, nullable=False),
                  ("category", TEXT), ("lang", TEXT), pa.field("weight", pa.float64(), nullable=False),
                  pa.field("field", TEXT, nullable=False), pa.field("start", pa.int32(), nullable=False),
                  pa.field("end", pa.int32(), nullable=False), pa.field("matched", pa.string(), nullable=False)])
INDICATORS = pa.schema([*KEY, pa.field("type", TEXT, nullable=False), pa.field("value", pa.string(), nullable=False),
                        pa.field("field", TEXT, nullable=False), pa.field("start", pa.int32(), nullable=False),
                        pa.field("end", pa.int32(), nullable=False), pa.field("matched", pa.string(), nullable=False)])
SCHEMAS = {"tags": TAGS, "hits": HITS, "indicators": INDICATORS}
EMPTY = np.zeros(0, dtype=np.int64)


def _coded(values: list[str | None]) -> tuple[np.ndarray, pa.Array]:
    """Per value its code in a dictionary of the distinct values (-1 for None: Parquet cannot
    write a null inside a dictionary), and the dictionary."""
    distinct = sorted({v for v in values if v is not None})
    code = {v: i for i, v in enumerate(distinct)}
    return np.array([code.get(v, -1) for v in values], dtype=np.int32), pa.array(distinct, pa.string())


class TermColumns:
    """What each of a tagger's terms puts in a hit row, coded by term id."""

    def __init__(self, tagger: Tagger):
        terms = tagger.matcher.terms
        self.lexicon = _coded([tagger.by_name[t.lexicon].ident for t in terms])
        self.term = _coded([t.term for t in terms])
        self.category = _coded([t.category for t in terms])
        self.lang = _coded([t.lang for t in terms])
        self.weight = np.array([float(t.weight) for t in terms], dtype=np.float64)
        # Per term: whether it names a place (gazetteer terms) and which.
        self.is_place = np.array([value is not None for value in tagger.place_values], dtype=bool)
        self.place = pa.array([value or "" for value in tagger.place_values], pa.string())


def records(table: pa.Table) -> list[dict[str, str | None]]:
    """The tagger's input for a chunk: each post's text (and name, when the dataset has one)."""
    texts = table["text"].to_pylist()
    if table["name"].null_count == table.num_rows:
        return [{"text": text} for text in texts]
    return [{"name": name, "text": text} for name, text in zip(table["name"].to_pylist(), texts, strict=True)]


def _codes(codes: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32, copy=False)), dictionary)


def _by_term(tids: np.ndarray, coded: tuple[np.ndarray, pa.Array]) -> pa.DictionaryArray:
    """A term attribute for each hit row (null where the term has none)."""
    codes = coded[0][tids]
    missing = codes < 0
    if not missing.any():
        return pa.DictionaryArray.from_arrays(pa.array(codes), coded[1])
    return pa.DictionaryArray.from_arrays(np.where(missing, 0, codes), coded[1], mask=missing)


@dataclass
class Tagged:
    """A batch's three tables, with each hit's and indicator's record (sorted) for picking candidates."""

    tags: pa.Table
    hits: pa.Table
    indicators: pa.Table
    hit_owner: np.ndarray
    indicator_owner: np.ndarray


def tag_tables(batch: BatchTags, terms: TermColumns, source: str, first: int, ids: pa.ChunkedArray) -> Tagged:
    """The tags, hits and indicators of a batch (records numbered from `first` in `source`)."""
    count = len(batch.category)
    found = batch.found
    record = np.asarray(batch.record, dtype=np.int64)
    fields = pa.array(batch.field, pa.string()).dictionary_encode()  # per flat text: its field
    field_codes = fields.indices.to_numpy(zero_copy_only=False)
    sources = pa.array([source], pa.string())
    owner = record[found.post]  # each hit row's record
    # Hit rows are in flat-text order (all names, then all texts); a stable sort by record keeps a
    # record's names before its texts and each field's hits by position.
    order = np.argsort(owner, kind="stable")
    owner, posts, tids = owner[order], found.post[order], found.tid[order]
    starts, ends = found.start[order], found.end[order]
    flat = batch.flat
    matched = [flat[p][s:e] for p, s, e in zip(posts.tolist(), starts.tolist(), ends.tolist(), strict=True)]
    hits = pa.Table.from_arrays([
        _codes(np.zeros(len(owner), dtype=np.int32), sources), pa.array(owner + first),
        _by_term(tids, terms.lexicon), _by_term(tids, terms.term), _by_term(tids, terms.category),
        _by_term(tids, terms.lang), pa.array(terms.weight[tids]), _codes(field_codes[posts], fields.dictionary),
        pa.array(starts.astype(np.int32)), pa.array(ends.astype(np.int32)), pa.array(matched, pa.string())],
        schema=HITS)
    indicators, ind_owner = _indicators(batch, terms, fields, field_codes, owner, posts, tids, starts, ends, sources,
                                        first)
    tags = pa.Table.from_arrays([
        _codes(np.zeros(count, dtype=np.int32), sources), pa.array(np.arange(first, first + count, dtype=np.int64)),
        ids, pa.array(batch.score), pa.array(batch.raw), pa.array(batch.category, pa.string()).dictionary_encode(),
        pa.array(np.bincount(owner, minlength=count).astype(np.int32)),
        pa.array(np.bincount(ind_owner, minlength=count).astype(np.int32))], schema=TAGS)
    return Tagged(tags, hits, indicators, owner, ind_owner)


def _indicators(batch: BatchTags, terms: TermColumns, fields: pa.DictionaryArray, field_codes: np.ndarray,
                owner: np.ndarray, posts: np.ndarray, tids: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                sources: pa.Array, first: int) -> tuple[pa.Table, np.ndarray]:
    """Each record's indicators as Analysis lists them: per field in order, its contact indicators
    (as extracted), then one place per gazetteer hit (in hit order). Returns the table and each
    row's record."""
    columns: list[list] = [[], [], [], [], [], [], [], []]  # record, flat, rank, type, value, start, end, matched
    record = batch.record
    if batch.contacts:
        for index, found in batch.contacts.items():
            number = record[index]
            for rank, ind in enumerate(found):
                for column, value in zip(columns, (number, index, rank, ind.type, ind.value, ind.start, ind.end,
                                                   ind.matched), strict=True):
                    column.append(value)
    contacts = len(columns[0])
    places = np.flatnonzero(terms.is_place[tids]) if len(tids) else EMPTY
    flat = batch.flat
    place_posts, place_starts, place_ends = posts[places], starts[places], ends[places]
    rec = np.concatenate([np.array(columns[0], dtype=np.int64), owner[places]])
    where = np.concatenate([np.array(columns[1], dtype=np.int64), place_posts])
    group = np.concatenate([np.zeros(contacts, dtype=np.int8), np.ones(len(places), dtype=np.int8)])
    rank = np.concatenate([np.array(columns[2], dtype=np.int64), places])
    order = np.lexsort((rank, group, where, rec))
    take = pa.array(order)
    table = pa.Table.from_arrays([
        _codes(np.zeros(len(order), dtype=np.int32), sources), pa.array(rec[order] + first),
        pa.concat_arrays([pa.array(columns[3], pa.string()), pa.array(["place"] * len(places), pa.string())])
        .take(take).dictionary_encode(),
        pa.concat_arrays([pa.array(columns[4], pa.string()), terms.place.take(pa.array(tids[places]))]).take(take),
        _codes(field_codes[where[order]], fields.dictionary),
        pa.array(np.concatenate([np.array(columns[5], dtype=np.int64), place_starts])[order].astype(np.int32)),
        pa.array(np.concatenate([np.array(columns[6], dtype=np.int64), place_ends])[order].astype(np.int32)),
        pa.concat_arrays([pa.array(columns[7], pa.string()), pa.array(
            [flat[p][s:e] for p, s, e in zip(place_posts.tolist(), place_starts.tolist(), place_ends.tolist(),
                                              strict=True)], pa.string())]).take(take),
    ], schema=INDICATORS)
    return table, rec[order]


def _rows_of(table: pa.Table, owner: np.ndarray, picked: np.ndarray) -> dict[int, list[dict[str, Any]]]:
    """The rows (without source and row) of the picked records, by record."""
    at = np.flatnonzero(np.isin(owner, picked))
    out: dict[int, list[dict[str, Any]]] = {}
    if len(at):
        rows = table.take(pa.array(at)).drop_columns(["source", "row"]).to_pylist()
        for number, row in zip(owner[at].tolist(), rows, strict=True):
            out.setdefault(number, []).append(row)
    return out


def candidates(tagged: Tagged, chunk: pa.Table, threshold: float) -> list[bytes]:
    """The posts scoring at least `threshold` as JSON lines of the candidates file (docs/distributed.md),
    in input order (a threshold of 0 takes every post)."""
    scores = tagged.tags["score"].to_numpy()
    picked = np.flatnonzero(scores >= threshold)
    if not len(picked):
        return []
    take = pa.array(picked)
    rows = tagged.tags.take(take).to_pylist()
    values = chunk.take(take).to_pylist()
    hits = _rows_of(tagged.hits, tagged.hit_owner, picked)
    indicators = _rows_of(tagged.indicators, tagged.indicator_owner, picked)
    out = []
    for number, row, value in zip(picked.tolist(), rows, values, strict=True):
        record: dict[str, Any] = {
            "id": value["id"], "url": value["url"], "platform": value["platform"],
            "kind": value["kind"], "key": value["key"],
            "parent": orjson.loads(value["parent"]) if value["parent"] else None,
            "name": value["name"], "text": value["text"], "created": value["created"],
            "score": row["score"], "raw": row["raw"], "category": row["category"],
            "hits": hits.get(number, []), "indicators": indicators.get(number, []),
            "source": row["source"], "row": row["row"],
            "fields": {name[5:]: cell for name, cell in value.items() if name.startswith("keep:") and cell is not None},
        }
        out.append(orjson.dumps({k: v for k, v in record.items() if v is not None}, default=str) + b"\n")
    return out
