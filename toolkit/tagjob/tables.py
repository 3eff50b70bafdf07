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
from itertools import pairwise
from operator import getitem
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from toolkit.lexicon import Tagger
from toolkit.lexicon.batch import FIELDS, BatchTags

TEXT = pa.dictionary(pa.int32(), pa.string())  # repeated strings (terms, lexicons, fields...) as codes
KEY = [pa.field("source", TEXT, nullable=False), pa.field("row", pa.int64(), nullable=False)]
TAGS = pa.schema([*KEY, ("id", pa.string()), pa.field("score", pa.float64(), nullable=False),
                  pa.field("raw", pa.float64(), nullable=False), ("category", TEXT),
                  pa.field("hits", pa.int32(), nullable=False), pa.field("indicators", pa.int32(), nullable=False),
                  ("capped", pa.string())])
HITS = pa.schema([*KEY, pa.field("lexicon", TEXT, nullable=False), pa.field("term", TEXT, nullable=False),
                  ("category", TEXT), ("lang", TEXT), pa.field("weight", pa.float64(), nullable=False),
                  pa.field("field", TEXT, nullable=False), pa.field("start", pa.int32(), nullable=False),
                  pa.field("end", pa.int32(), nullable=False), pa.field("matched", pa.string(), nullable=False)])
INDICATORS = pa.schema([*KEY, pa.field("type", TEXT, nullable=False), pa.field("value", pa.string(), nullable=False),
                        pa.field("field", TEXT, nullable=False), pa.field("start", pa.int32(), nullable=False),
                        pa.field("end", pa.int32(), nullable=False), pa.field("matched", pa.string(), nullable=False)])
SCHEMAS = {"tags": TAGS, "hits": HITS, "indicators": INDICATORS}
# How each table is written: dictionaries only where strings repeat (a unique id gains nothing from
# one), statistics only for the columns a reader filters on (both save a third of the writing);
# zstd at level 1, not the default 3: a fifth less time writing, files about as small (measured on a part).
WRITE = {table: {"use_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type)],
                 "write_statistics": ["row", "score"] if table == "tags" else ["row"], "compression": "zstd",
                 "compression_level": 1}
         for table, schema in SCHEMAS.items()}
EMPTY = np.zeros(0, dtype=np.int64)
FIELD_NAMES = pa.array(FIELDS, pa.string())
FIELD_CODE = {name: code for code, name in enumerate(FIELDS)}


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


def texts(table: pa.Table) -> tuple[list[str | None], list[str | None] | None]:
    """The tagger's input for a chunk, as `Tagger.tag_columns` takes it: each post's text, and
    its name when the dataset has any (else None)."""
    names = table["name"]
    return table["text"].to_pylist(), None if names.null_count == table.num_rows else names.to_pylist()


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
    fields = FIELD_NAMES
    # Per flat text: the code of its field (the batch lists every name before any text).
    field_codes = np.full(len(batch.field), FIELD_CODE["text"], dtype=np.int32)
    field_codes[:batch.field.count("name")] = FIELD_CODE["name"]
    sources = pa.array([source], pa.string())
    owner = record[found.post]  # each hit row's record
    # Hit rows are in flat-text order (all names, then all texts); a stable sort by record keeps a
    # record's names before its texts and each field's hits by position.
    order = np.argsort(owner, kind="stable")
    owner, posts, tids = owner[order], found.post[order], found.tid[order]
    starts, ends = found.start[order], found.end[order]
    matched = _spans(batch.flat, posts, starts, ends)
    hits = pa.Table.from_arrays([
        _codes(np.zeros(len(owner), dtype=np.int32), sources), pa.array(owner + first),
        _by_term(tids, terms.lexicon), _by_term(tids, terms.term), _by_term(tids, terms.category),
        _by_term(tids, terms.lang), pa.array(terms.weight[tids]), _codes(field_codes[posts], fields),
        pa.array(starts.astype(np.int32)), pa.array(ends.astype(np.int32)), pa.array(matched, pa.string())],
        schema=HITS)
    indicators, ind_owner = _indicators(batch, terms, fields, field_codes, owner, posts, tids, starts, ends, sources,
                                        first)
    tags = pa.Table.from_arrays([
        _codes(np.zeros(count, dtype=np.int32), sources), pa.array(np.arange(first, first + count, dtype=np.int64)),
        ids, pa.array(batch.score), pa.array(batch.raw), pa.array(batch.category, pa.string()).dictionary_encode(),
        pa.array(np.bincount(owner, minlength=count).astype(np.int32)),
        pa.array(np.bincount(ind_owner, minlength=count).astype(np.int32)), _capped(batch, count)], schema=TAGS)
    return Tagged(tags, hits, indicators, owner, ind_owner)


def _capped(batch: BatchTags, count: int) -> pa.Array:
    """Per post, what was found past the tagger's bounds (JSON, as the score explanation's
    "capped" in a case: docs/lexicons.md, "Bounds"), null for every post not written to flood it."""
    capped = batch.tagger.capped_by_record(batch)
    if not capped:
        return pa.nulls(count, pa.string())
    values: list[str | None] = [None] * count
    for number, entries in capped.items():
        values[number] = orjson.dumps(entries).decode()
    return pa.array(values, pa.string())


def _spans(flat: list[str], posts: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """The text each span covers (C-level maps: this runs once per hit)."""
    return list(map(getitem, map(flat.__getitem__, posts.tolist()), map(slice, starts.tolist(), ends.tolist())))


def _indicators(batch: BatchTags, terms: TermColumns, fields: pa.Array, field_codes: np.ndarray,
                owner: np.ndarray, posts: np.ndarray, tids: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                sources: pa.Array, first: int) -> tuple[pa.Table, np.ndarray]:
    """Each record's indicators as Analysis lists them: per field in order, its contact indicators
    (as extracted), then one place per gazetteer hit (in hit order). Returns the table and each
    row's record."""
    record = batch.record
    rows = [(record[index], index, rank, ind.type, ind.value, ind.start, ind.end, ind.matched)
            for index, found in (batch.contacts or {}).items() for rank, ind in enumerate(found)]
    # record, flat, rank, type, value, start, end, matched
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 8
    contacts = len(rows)
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
        _codes(field_codes[where[order]], fields),
        pa.array(np.concatenate([np.array(columns[5], dtype=np.int64), place_starts])[order].astype(np.int32)),
        pa.array(np.concatenate([np.array(columns[6], dtype=np.int64), place_ends])[order].astype(np.int32)),
        pa.concat_arrays([pa.array(columns[7], pa.string()),
                          pa.array(_spans(flat, place_posts, place_starts, place_ends), pa.string())]).take(take),
    ], schema=INDICATORS)
    return table, rec[order]


def _plain(table: pa.Table) -> pa.Table:
    """The table with its dictionary columns decoded (a dictionary column's to_pylist converts its
    whole dictionary, every term, each time)."""
    return pa.table({name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
                     for name, column in zip(table.column_names, table.columns, strict=True)})


def _rows_of(table: pa.Table, owner: np.ndarray, picked: np.ndarray) -> pa.Table:
    """The rows of `table` (without source and row) that belong to the picked records, with the
    position of their record among the picked (`which`); `owner` is sorted."""
    lows, highs = np.searchsorted(owner, picked, "left"), np.searchsorted(owner, picked, "right")
    counts = highs - lows
    at = np.concatenate([np.arange(low, high) for low, high in zip(lows.tolist(), highs.tolist(), strict=True)]) \
        if counts.any() else EMPTY
    rows = table.select(table.column_names[2:]).take(pa.array(at, pa.int64()))
    return rows.append_column("which", pa.array(np.repeat(np.arange(len(picked)), counts)))


@dataclass
class Picked:
    """The candidates of one batch, still in Arrow: their input values, tags, hits and indicators."""

    values: pa.Table
    tags: pa.Table
    hits: pa.Table
    indicators: pa.Table


def pick(tagged: Tagged, chunk: pa.Table, threshold: float) -> Picked | None:
    """The posts scoring at least `threshold` (a threshold of 0 takes every post), or None."""
    picked = np.flatnonzero(tagged.tags["score"].to_numpy() >= threshold)
    if not len(picked):
        return None
    take = pa.array(picked)
    return Picked(chunk.take(take), tagged.tags.take(take), _rows_of(tagged.hits, tagged.hit_owner, picked),
                  _rows_of(tagged.indicators, tagged.indicator_owner, picked))


def _grouped(tables: list[pa.Table], offsets: list[int], count: int) -> list[list[dict[str, Any]]]:
    """Rows of the batches' tables as dicts, grouped by candidate (numbered across the batches)."""
    table = pa.concat_tables(tables)
    which = np.concatenate([t["which"].to_numpy() + offset for t, offset in zip(tables, offsets, strict=True)])
    rows = _plain(table.drop_columns(["which"])).to_pylist()
    bounds = np.searchsorted(which, np.arange(count + 1)).tolist()
    return [rows[low:high] for low, high in pairwise(bounds)]


def candidate_lines(batches: list[Picked]) -> list[bytes]:
    """The candidates of several batches as JSON lines of the candidates file (docs/distributed.md),
    in input order. Converted together: Arrow's per-call costs would otherwise be paid per batch."""
    if not batches:
        return []
    counts = [b.tags.num_rows for b in batches]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist()
    total = sum(counts)
    values = pa.concat_tables([b.values for b in batches]).to_pylist()
    rows = _plain(pa.concat_tables([b.tags for b in batches])).to_pylist()
    hits = _grouped([b.hits for b in batches], offsets, total)
    indicators = _grouped([b.indicators for b in batches], offsets, total)
    out = []
    for row, value, its_hits, its_indicators in zip(rows, values, hits, indicators, strict=True):
        record: dict[str, Any] = {
            "id": value["id"], "url": value["url"], "platform": value["platform"],
            "kind": value["kind"], "key": value["key"],
            "parent": orjson.loads(value["parent"]) if value["parent"] else None,
            "name": value["name"], "text": value["text"], "created": value["created"],
            "score": row["score"], "raw": row["raw"], "category": row["category"],
            "hits": its_hits, "indicators": its_indicators,
            "capped": orjson.loads(row["capped"]) if row["capped"] else None,
            "source": row["source"], "row": row["row"],
            "fields": {name[5:]: cell for name, cell in value.items() if name.startswith("keep:") and cell is not None},
        }
        out.append(orjson.dumps({k: v for k, v in record.items() if v is not None}, default=str) + b"\n")
    return out
