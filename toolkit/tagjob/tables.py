"""A tagged batch as Arrow columns (one row per post), and the candidates among them as JSON lines.

The tagger is used through its public result, `BatchTags` (see toolkit/lexicon/batch.py): per
record its score, raw score and category; every hit as arrays (flat text index, term id, span);
the contact indicators per flat text. Hits and indicators come out per post in the order
`Tagger.analyse_batch` lists them (fields in order, hits by position, a field's contact
indicators before its places), so a post's row is what analysing it in one process gives
(tests/test_tag_command.py checks this against `analyse_batch`).

Columns of the per-post tags (docs/distributed.md):

    source      the input file (and zip members) the post was read from
    row         the post's ordinal among the records read from that source (0-based)
    id          the post's id as the dataset gives it
    score, raw, category     as `scan` stores them (0, 0 and null when nothing scores)
    hits        list of {lexicon (name@version), term, category, lang, weight, field, start, end, matched}
    indicators  list of {type, value, field, start, end, matched}

Spans are offsets in characters (code points) into the field's text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from toolkit.lexicon import Tagger
from toolkit.lexicon.batch import BatchTags

HIT = pa.struct([("lexicon", pa.string()), ("term", pa.string()), ("category", pa.string()), ("lang", pa.string()),
                 ("weight", pa.float64()), ("field", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
                 ("matched", pa.string())])
INDICATOR = pa.struct([("type", pa.string()), ("value", pa.string()), ("field", pa.string()), ("start", pa.int32()),
                       ("end", pa.int32()), ("matched", pa.string())])
SCHEMA = pa.schema([("source", pa.string()), ("row", pa.int64()), ("id", pa.string()), ("score", pa.float64()),
                    ("raw", pa.float64()), ("category", pa.string()), ("hits", pa.list_(HIT)),
                    ("indicators", pa.list_(INDICATOR))])


class TermColumns:
    """What each of a tagger's terms puts in a hit row, as Arrow arrays indexed by term id."""

    def __init__(self, tagger: Tagger):
        terms = tagger.matcher.terms
        self.lexicon = pa.array([tagger.by_name[t.lexicon].ident for t in terms], pa.string())
        self.term = pa.array([t.term for t in terms], pa.string())
        self.category = pa.array([t.category for t in terms], pa.string())
        self.lang = pa.array([t.lang for t in terms], pa.string())
        self.weight = pa.array([float(t.weight) for t in terms], pa.float64())
        self.place = tagger.place_values  # per term: the place it names, else None


def records(table: pa.Table) -> list[dict[str, str | None]]:
    """The tagger's input for a chunk: each post's text (and name, when the dataset has one)."""
    texts = table["text"].to_pylist()
    if table["name"].null_count == table.num_rows:
        return [{"text": text} for text in texts]
    return [{"name": name, "text": text} for name, text in zip(table["name"].to_pylist(), texts, strict=True)]


def tags_table(batch: BatchTags, terms: TermColumns, source: str, first: int, ids: pa.ChunkedArray) -> pa.Table:
    """One row per record of the batch, in the columns of SCHEMA."""
    count = len(batch.category)
    found = batch.found
    record = np.asarray(batch.record, dtype=np.int64)
    owner = record[found.post]  # each hit row's record
    # Hit rows are in flat-text order (all names, then all texts); a stable sort by record keeps a
    # record's names before its texts and each field's hits by position.
    order = np.argsort(owner, kind="stable")
    posts, starts, ends = found.post[order], found.start[order], found.end[order]
    tids = pa.array(found.tid[order].astype(np.int64))
    flat, fields = batch.flat, batch.field
    post_list, start_list, end_list = posts.tolist(), starts.tolist(), ends.tolist()
    hit_fields = [fields[p] for p in post_list]
    matched = [flat[p][s:e] for p, s, e in zip(post_list, start_list, end_list, strict=True)]
    hits = pa.StructArray.from_arrays(
        [terms.lexicon.take(tids), terms.term.take(tids), terms.category.take(tids), terms.lang.take(tids),
         terms.weight.take(tids), pa.array(hit_fields, pa.string()), pa.array(starts.astype(np.int32)),
         pa.array(ends.astype(np.int32)), pa.array(matched, pa.string())], fields=list(HIT))
    hit_offsets = np.searchsorted(owner[order], np.arange(count + 1)).astype(np.int32)

    indicator_rows = _indicators(batch, terms, posts, starts, ends, order)
    ind_owner = np.array([row[0] for row in indicator_rows], dtype=np.int64)
    indicators = pa.StructArray.from_arrays(
        [pa.array([row[4] for row in indicator_rows], pa.string()), pa.array([row[5] for row in indicator_rows], pa.string()),
         pa.array([fields[row[1]] for row in indicator_rows], pa.string()),
         pa.array([row[6] for row in indicator_rows], pa.int32()), pa.array([row[7] for row in indicator_rows], pa.int32()),
         pa.array([row[8] for row in indicator_rows], pa.string())], fields=list(INDICATOR))
    ind_offsets = np.searchsorted(ind_owner, np.arange(count + 1)).astype(np.int32)

    return pa.table({
        "source": pa.array([source] * count, pa.string()),
        "row": pa.array(np.arange(first, first + count, dtype=np.int64)),
        "id": ids,
        "score": pa.array(batch.score),
        "raw": pa.array(batch.raw),
        "category": pa.array(batch.category, pa.string()),
        "hits": pa.ListArray.from_arrays(pa.array(hit_offsets), hits),
        "indicators": pa.ListArray.from_arrays(pa.array(ind_offsets), indicators),
    }).cast(SCHEMA)


def _indicators(batch: BatchTags, terms: TermColumns, posts: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                order: np.ndarray) -> list[tuple]:
    """(record, flat index, group, rank, type, value, start, end, matched) per indicator, sorted as
    Analysis lists them: per field in order, the contact indicators, then one place per gazetteer hit."""
    rows: list[tuple] = []
    record, flat = batch.record, batch.flat
    if batch.contacts:
        for index, found in batch.contacts.items():
            number = record[index]
            rows.extend((number, index, 0, rank, ind.type, ind.value, ind.start, ind.end, ind.matched)
                        for rank, ind in enumerate(found))
    place = terms.place
    tids = batch.found.tid[order].tolist()
    for rank, (tid, post, start, end) in enumerate(zip(tids, posts.tolist(), starts.tolist(), ends.tolist(), strict=True)):
        value = place[tid]
        if value is not None:
            rows.append((record[post], post, 1, rank, "place", value, start, end, flat[post][start:end]))
    rows.sort(key=lambda row: row[:4])
    return rows


def candidates(tags: pa.Table, chunk: pa.Table, threshold: float) -> list[bytes]:
    """The posts scoring at least `threshold` as JSON lines of the candidates file (docs/distributed.md),
    in input order (a threshold of 0 takes every post)."""
    scores = tags["score"].to_numpy()
    picked = np.flatnonzero(scores >= threshold)
    if not len(picked):
        return []
    take = pa.array(picked)
    rows = tags.take(take).to_pylist()
    values = chunk.take(take).to_pylist()
    out = []
    for row, value in zip(rows, values, strict=True):
        record: dict[str, Any] = {
            "id": value["id"], "url": value["url"], "platform": value["platform"],
            "kind": value["kind"], "key": value["key"],
            "parent": orjson.loads(value["parent"]) if value["parent"] else None,
            "name": value["name"], "text": value["text"], "created": value["created"],
            "score": row["score"], "raw": row["raw"], "category": row["category"],
            "hits": row["hits"], "indicators": row["indicators"],
            "source": row["source"], "row": row["row"],
            "fields": {name[5:]: cell for name, cell in value.items() if name.startswith("keep:") and cell is not None},
        }
        out.append(orjson.dumps({k: v for k, v in record.items() if v is not None}, default=str) + b"\n")
    return out
