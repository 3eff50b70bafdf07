"""The tidy report frame: one row per cohort item x wave, built from the case database.

An item's status in a wave is the one status rule (`toolkit.store.status`, as of the report's
as-of); an item a wave did not check is `not_checked` in it. No confirmation rule is applied (a
single gone reading counts as gone in its wave), and every check is kept for time to removal, with
its family under the rule (blind checks are unknown).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from toolkit.collector import return_freed_memory
from toolkit.models import Status
from toolkit.store import report_queries as q
from toolkit.store.db import Connection, read_beside
from toolkit.store.status import WAYBACK, Judged, decide

NOT_CHECKED = "not_checked"
BLIND = "blind"  # the label of an item whose deciding check in a wave is blind (it counts as unknown)
NONE = "none"  # the label of a missing category, language or channel in splits
NOT_NOTICED = "not_noticed"
FAMILIES = ("live", "gone", "ended", "unknown")
STATUS_ORDER = tuple(str(s) for s in Status)

ITEM_COLUMNS = ["item_id", "platform", "kind", "key", "url", "name", "parent", "first_seen", "category",
                "language", "reviewed_at", "noticed_at", "channel", "reference", "noticed"]
# What the appendix shows of an item beyond its identity: its parent's name and URL, its latest text.
ITEM_TEXTS = ["parent_name", "parent_url", "text"]
FRAME_COLUMNS = ["item_id", "platform", "kind", "category", "language", "channel", "noticed", "noticed_at",
                 "first_seen", "wave_id", "wave", "wave_order", "wave_at", "status", "family", "method", "detector", "audience", "reason", "label", "blind"]


@dataclass
class CaseFrame:
    """Everything the statistics read: the tidy frame and the per-item and per-check tables it joins."""

    items: pd.DataFrame  # one row per cohort item
    waves: pd.DataFrame  # waves up to as_of, in order, with their observation span
    checks: pd.DataFrame  # every check of a cohort item up to as_of
    audience: pd.DataFrame  # captures of cohort items with followers or members
    frame: pd.DataFrame  # cohort item x wave (the tidy frame)
    as_of: str
    # The cohort's blind checks as the status rule judged them (what the methodology's count of
    # blind checks reads): all the checks are in `checks`, not held twice.
    judged_blind: Judged | None = None
    tally: list[tuple] | None = None  # every check up to as_of counted (`q.check_tally`), when read

    @property
    def cohort_size(self) -> int:
        return len(self.items)

    def wave_blocks(self) -> list[slice]:
        """Each wave's rows of the tidy frame, in wave order. The frame holds one block of rows per
        wave, each with the items in the items' order (`_tidy`), so a wave's rows are a slice of it,
        never a group copied out of it (a groupby over its columns held ~45 MB more at 100,000
        items x 5 waves). Raises ValueError when the frame is not laid out so."""
        n = len(self.items)
        if not len(self.frame) or not n:
            return []
        ids = self.frame["item_id"].to_numpy()
        waves = len(ids) // n
        if len(ids) != n * waves or not (ids.reshape(waves, n) == self.items["item_id"].to_numpy()).all():
            raise ValueError("the report frame is not one block of the cohort's items per wave")
        return [slice(at * n, (at + 1) * n) for at in range(waves)]


def _times(series: pd.Series, encoded: np.ndarray | None = None) -> pd.Series:
    """ISO-8601 UTC times as datetimes (missing ones as NaT). `encoded`: the same times as a bytes
    array (numpy "S"), when already made (`column_reads.text_key`; no time missing)."""
    fast = _plain_times(series, encoded)
    return fast if fast is not None else pd.to_datetime(series, utc=True, format="ISO8601")


_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_MARKS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":", 19: b"Z"}


def _plain_times(series: pd.Series, encoded: np.ndarray | None = None) -> pd.Series | None:
    """The times when every one is written YYYY-MM-DDTHH:MM:SSZ (as the toolkit stores them),
    parsed by numpy: ten times faster than pandas' ISO-8601 parser over 500,000 checks. None
    when any is written otherwise (pandas then parses them all)."""
    values = series.to_numpy(dtype=object)
    if encoded is not None and encoded.dtype.kind == "S" and len(encoded) == len(values):
        present, raw = np.ones(len(values), dtype=bool), encoded  # every time there, as bytes already
    else:
        present = pd.notna(values)
        try:
            raw = np.array(values[present].tolist(), dtype="S")
        except (UnicodeEncodeError, TypeError):
            return None
    if raw.dtype.kind != "S":  # numbers, not text
        return None
    if not len(raw) or raw.dtype.itemsize != 20:
        return None
    chars = raw.view(np.uint8).reshape(len(raw), 20)
    # A character position at a time (a view): the fourteen digit positions taken at once were a
    # copy, and each comparison another (~30 MB at 500,000 checks).
    if not (all(((chars[:, at] >= ord("0")) & (chars[:, at] <= ord("9"))).all() for at in _DIGITS)
            and all((chars[:, at] == ord(mark)).all() for at, mark in _MARKS.items())):
        return None
    try:
        parsed = raw.astype("S19").astype("datetime64[s]").astype("datetime64[ns]")
    except ValueError:  # a month 13 or a 31st of April: pandas says what is wrong
        return None
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[present] = parsed
    return pd.Series(pd.DatetimeIndex(out, tz="UTC"), index=series.index)


def _items(conn: Connection, as_of: str) -> pd.DataFrame:
    # Texts come as object arrays (a missing name or URL is None, never pandas' NaN, which the
    # renderers must never see as text), equal texts one object: platforms, kinds, categories,
    # channels and dates are not held once per cell.
    columns = q.cohort_item_columns(conn, as_of)
    names, rows = q.cohort_languages(conn)
    langs = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=["item_id", "language", "hits"])
    # The language with the most hits; ties go to the alphabetically first (the query's order).
    langs = langs.drop_duplicates("item_id", keep="first").set_index("item_id")["language"]
    del rows
    # Column by column, in the frame's order, each array handed over as it is put in: a frame
    # made at once from a dict of columns stacks the object columns into one block (a copy beside
    # them), and a selection of its columns at the end was another (~30 MB at 100,000 items).
    items = pd.DataFrame(index=pd.RangeIndex(len(columns["item_id"])))
    items["item_id"] = columns.pop("item_id")
    for name in ("platform", "kind", "key", "url", "name", "parent", "first_seen"):
        items[name] = columns.pop(name)
    items["category"] = pd.Series(columns.pop("category"), index=items.index, copy=False).fillna(NONE)
    items["language"] = items["item_id"].map(langs).fillna(NONE)
    items["reviewed_at"] = columns.pop("reviewed_at")
    items["noticed_at"] = columns.pop("noticed_at")
    noticed = items["noticed_at"].notna()
    items["channel"] = pd.Series(columns.pop("channel"), index=items.index, copy=False).where(noticed, NOT_NOTICED)
    items["reference"] = columns.pop("reference")
    items["noticed"] = noticed
    for name in ("parent_kind", *ITEM_TEXTS):
        items[name] = columns.pop(name)
    for column in ("first_seen", "noticed_at", "reviewed_at"):
        items[column + "_t"] = _times(items[column])
    # Dated at import time only: the item has captures, but none says when it was seen.
    items["import_dated"] = items["first_seen"].isna().to_numpy() & pd.notna(columns.pop("first_seen_any"))
    return items


def _checks(judged: Judged, order: np.ndarray, key: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """The judged checks as a frame, in `order` (`_check_order`); `key`, `observed`: their
    observed_key and observed_at in it, both kept out of the frame (pandas would hold the key as
    500,000 bytes objects, ~30 MB; the times as text, 500,000 strings, ~37 MB, are read only for
    the waves' first and last check: the frame holds them parsed, `t`). Each of
    `judged`'s columns is let go as the frame takes its copy (`judged` is left without them): the
    two were held whole side by side, ~60 MB at 500,000 checks."""

    def take(name: str) -> np.ndarray:
        values = getattr(judged, name)
        setattr(judged, name, None)
        return values[order]

    for name in ("checked_item", "platform", "observed_key", "observed_at"):  # not in the frame
        setattr(judged, name, None)
    # Column by column: a frame made at once from a dict stacks the columns of one dtype into a copy.
    checks = pd.DataFrame(index=pd.RangeIndex(len(order)))
    checks["check_id"] = take("id")
    checks["item_id"] = take("item_id")
    checks["wave_id"] = pd.array(take("wave_id"), dtype="Int64")
    checks.loc[checks["wave_id"] == 0, "wave_id"] = pd.NA  # a check of no wave
    # Few distinct values over many rows: categories keep 500,000 checks small in memory.
    for column in ("method", "status", "reason", "detector", "family"):
        checks[column] = pd.Categorical(take(column))
    checks["blind"] = take("blind")
    checks["date_source"] = take("date_source")
    checks["t"] = _times(pd.Series(observed, index=checks.index, copy=False), key)
    return checks


def _check_order(judged: Judged) -> np.ndarray:
    """The order of the checks by item, time and id."""
    return np.lexsort((judged.id, judged.observed_key, judged.item_id))


def _waves(rows: list[dict], checks: pd.DataFrame, key: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """The waves (`q.waves`' rows) with their order, methods and first and last check (Wayback
    lookups apart: they are dated when the copy was archived, not when the wave looked; the wave's
    date and `toolkit waves` leave them out too). `key`, `observed`: the checks' observed_key and
    observed_at as arrays (numpy sorts objects a Python comparison at a time)."""
    waves = pd.DataFrame(rows, columns=["wave_id", "name", "started_at", "methods", "note"])
    waves["methods"] = [sorted(orjson.loads(m or "[]")) for m in waves["methods"]]
    waves["wave_order"] = range(1, len(waves) + 1)
    # Only the two columns read here, of the checks that are no Wayback lookup.
    looked = (checks["method"] != WAYBACK).to_numpy()
    checks, key, observed = checks.loc[looked, ["wave_id"]], key[looked], observed[looked]
    # Each wave's first and last check: checks sorted by wave, then time (as text, like SQLite).
    wave_ids = checks["wave_id"].fillna(0).to_numpy(dtype=np.int64)
    order = np.lexsort((key, wave_ids))
    ends = np.flatnonzero(np.diff(wave_ids[order], append=-1))
    starts = np.concatenate(([0], ends[:-1] + 1)) if len(ends) else ends
    first = {int(wave_ids[order[a]]): observed[order[a]] for a in starts}
    last = {int(wave_ids[order[b]]): observed[order[b]] for b in ends}
    waves["first_check"] = waves["wave_id"].map(first) if len(checks) else None
    waves["last_check"] = waves["wave_id"].map(last) if len(checks) else None
    # A wave's date is when it started; its end (for audience) is its last check, else its start.
    waves["end"] = waves["last_check"].fillna(waves["started_at"])
    waves["end_t"] = _times(waves["end"])
    return waves


def _audience(conn: Connection, as_of: str) -> pd.DataFrame:
    _, rows = q.cohort_audience(conn, as_of)
    audience = pd.DataFrame.from_records(rows, columns=["item_id", "observed_at", "followers", "members"])
    # Pages and channels count followers, groups count members: one audience figure per capture.
    audience["audience"] = audience["followers"].astype("Float64").fillna(audience["members"].astype("Float64"))
    audience["t"] = _times(audience["observed_at"])
    return audience.dropna(subset=["audience"])


@dataclass
class _CheckReads:
    """What the report reads of the checks: the cohort's judged, the waves' rows and the check tally."""

    judged: Judged
    waves: list[dict]
    tally: list[tuple]


def _read_checks(conn: Connection, as_of: str, cohort: Future[list[int]]) -> _CheckReads:
    """The checks' reads; the waves and the tally first, as they need no cohort: a thread reads
    them while the other connection builds the cohort's tables (`cohort`: their ids, when known)."""
    waves, tally = q.waves(conn, as_of), q.check_tally(conn, as_of)
    return _CheckReads(q.cohort_checks(conn, as_of, cohort.result()), waves, tally)


def build_frame(conn: Connection, as_of: str, twin: Connection | None = None) -> CaseFrame:
    """Read the case up to `as_of` (ISO UTC) into a CaseFrame.

    With `twin` (a second connection that sees the same picture of the case: `db.read_snapshot`),
    the waves, the check tally and the checks are read through it by a thread while this
    connection builds the cohort's tables and reads the cohort's items: SQLite works outside
    Python's interpreter lock, so both reads run at once. The frame is the same either way."""
    cohort: Future[list[int]] = Future()
    with read_beside(conn, twin, _read_checks, as_of, cohort) as checks_read:
        try:
            q.prepare_cohort(conn)
            cohort.set_result(q.cohort_ids(conn))
        finally:
            if not cohort.done():  # the thread must not wait for ids that will never come
                cohort.set_exception(RuntimeError("the cohort could not be read"))
        items = _items(conn, as_of)
        audience = _audience(conn, as_of)
        reads = checks_read()
    judged = reads.judged
    order = _check_order(judged)
    key = judged.observed_key[order]
    decided = _decided(judged)
    blind = judged.take(judged.blind != None)  # noqa: E711 (elementwise, on an object array)
    reads.judged = blind
    observed = judged.observed_at[order]
    checks = _checks(judged, order, key, observed)  # the judged checks' arrays go as the frame takes them
    del judged, order
    # The judged checks were read by the other connection's thread: what they held is free in
    # that thread's arena, which this thread's allocations do not reuse. Handed back before the
    # waves and the tidy frame are made (~80 MB at 500,000 checks, else under them).
    return_freed_memory()
    waves = _waves(reads.waves, checks, key, observed)
    del key, observed
    frame = _tidy(items, waves, decided, audience)
    return CaseFrame(items=items, waves=waves, checks=checks, audience=audience, frame=frame, as_of=as_of,
                     judged_blind=blind, tally=reads.tally)


@dataclass
class _Coded:
    """A column of few distinct values (None among them) as small codes into its values: the
    values' objects as they were (None stays None, not pandas' NaN)."""

    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, column: np.ndarray) -> _Coded:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        values = np.empty(len(uniques), dtype=object)
        # factorize makes the missing value NaN: the status rule's columns hold None for it.
        values[:] = [value if isinstance(value, str) or not pd.isna(value) else None for value in uniques]
        return cls(codes.astype(_code_type(len(values))), values)

    def take(self, at: np.ndarray) -> np.ndarray:
        return self.values[self.codes[at]]


def _code_type(count: int) -> type:
    """The smallest integer type that numbers `count` values."""
    return np.int8 if count <= 127 else np.int16 if count <= 32_767 else np.int64


def _decided(judged: Judged) -> dict[str, np.ndarray | _Coded]:
    """Per cohort item and wave, the status rule's reading (toolkit.store.status) and the deciding
    check's detector: item_id and wave_id as arrays, the others as codes (`_Coded`; as object
    arrays they held ~26 MB at 100,000 items x 5 waves, under the checks frame while it is made)."""
    at = decide(judged)
    decided: dict[str, np.ndarray | _Coded] = {"item_id": judged.item_id[at],
                                                "wave_id": judged.wave_id[at].astype("int64")}
    for column in ("status", "family", "method", "detector", "blind", "reason"):
        decided[column] = _Coded.of(getattr(judged, column)[at])
    # The status, or BLIND where the deciding check is blind.
    status, blind = decided["status"], decided["blind"]
    label = np.concatenate([status.values, [BLIND]]).astype(object)
    codes = status.codes.astype(_code_type(len(label)))
    is_blind = np.array([value is not None for value in blind.values], dtype=bool)
    codes[is_blind[blind.codes]] = len(label) - 1
    decided["label"] = _Coded(codes, label)
    return decided


def _tidy(items: pd.DataFrame, waves: pd.DataFrame, decided: dict[str, np.ndarray | _Coded],
          audience: pd.DataFrame) -> pd.DataFrame:
    """Cross the cohort with the waves and attach each item's status and audience in each wave:
    one row per wave and item, waves in order, items by id."""
    if items.empty or waves.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_COLUMNS})
    n, w = len(items), len(waves)
    # Column by column, in the frame's order: a frame made at once from a dict of columns stacks
    # the columns of one dtype into one block, a copy of them all while they are still held (~80 MB
    # at 100,000 items x 5 waves). The columns the frame keeps as categories are categories before
    # they are repeated per wave (the same categories: every value of the items is in every wave's block).
    tile, repeat = np.tile(np.arange(n), w), np.repeat(np.arange(w), n)
    frame = pd.DataFrame(index=pd.RangeIndex(n * w))
    for column in ("item_id", "platform", "kind", "category", "language", "channel", "noticed", "noticed_at",
                   "first_seen"):
        frame[column] = _category(items[column], column).array.take(tile)
    for column, name in (("wave_id", "wave_id"), ("name", "wave"), ("wave_order", "wave_order"),
                         ("started_at", "wave_at")):
        frame[name] = _category(waves[column], name).array.take(repeat)
    end_t = waves["end_t"].array.take(repeat)  # what audience reads, never a column of the frame
    del tile, repeat
    # Each decided (item, wave) lands on its row: wave position * items + item position.
    item_at = np.searchsorted(items["item_id"].to_numpy(), decided["item_id"])
    wave_at = pd.Series(decided["wave_id"]).map(pd.Series(np.arange(w), index=waves["wave_id"].to_numpy()))
    inside = wave_at.notna().to_numpy() & (item_at < n)
    inside[inside] &= items["item_id"].to_numpy()[item_at[inside]] == decided["item_id"][inside]
    rows = wave_at.to_numpy()[inside].astype(np.int64) * n + item_at[inside]
    for column in ("status", "family", "method", "detector", "audience", "reason", "label", "blind"):
        if column == "audience":
            frame[column] = _audience_at(frame["item_id"].to_numpy(), end_t, audience)
            continue
        values = np.full(len(frame), np.nan, dtype=object)
        values[rows] = decided[column].take(inside)
        if column in ("status", "family", "label"):
            values = pd.Series(values).astype("category")
            if NOT_CHECKED not in values.cat.categories:
                values = values.cat.add_categories([NOT_CHECKED])
            values = values.fillna(NOT_CHECKED)
        frame[column] = pd.Series(values).astype("category") if column == "method" else values
    return frame


def _category(column: pd.Series, name: str) -> pd.Series:
    """`column` as a category when the tidy frame keeps `name` as one, else as it is."""
    return column.astype("category") if name in _CATEGORIES else column


_CATEGORIES = ("platform", "kind", "category", "language", "channel", "wave")


def _audience_at(item_id: np.ndarray, end_t: pd.api.extensions.ExtensionArray, audience: pd.DataFrame) -> np.ndarray:
    """Each row's latest audience figure captured up to the end of its wave (`end_t`), NaN when
    none: of the captures of its item (`item_id`) taken at or before that end, the latest, and of
    captures taken at the same time the last in `audience`'s order (what `pd.merge_asof` backward
    by item picks). Found by numpy: merge_asof over 500,000 rows held ~55 MB of frames and copies."""
    out = np.full(len(item_id), np.nan)
    if audience.empty:
        return out
    ends = np.asarray(end_t, dtype="datetime64[ns]")
    times = audience["t"].to_numpy(dtype="datetime64[ns]")
    if np.isnat(ends).any() or np.isnat(times).any():  # merge_asof says what is wrong
        return _audience_asof(item_id, end_t, audience)
    owners = audience["item_id"].to_numpy(dtype=np.int64)
    figures = audience["audience"].to_numpy(dtype="float64", na_value=np.nan)
    # One integer per capture: its item's rank, then its time's rank; captures sorted by it (stable:
    # the same time keeps the captures' order), each row finds the last at or before its own.
    items, group = np.unique(owners, return_inverse=True)
    instants = np.unique(times)
    width = len(instants) + 1
    keys = group.astype(np.int64) * width + np.searchsorted(instants, times)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    row_group = np.minimum(np.searchsorted(items, item_id), len(items) - 1)
    found = items[row_group] == item_id
    row_group = row_group.astype(np.int64)
    # The last capture at or before the row's end: key at most the row's item, then the end's
    # rank (-1 before every capture, which then finds another item's or none: not its own).
    at = np.searchsorted(keys, row_group * width + np.searchsorted(instants, ends, side="right") - 1, side="right") - 1
    found &= at >= 0
    found[found] &= keys[at[found]] // width == row_group[found]
    out[found] = figures[order[at[found]]]
    return out


def _audience_asof(item_id: np.ndarray, end_t: pd.api.extensions.ExtensionArray, audience: pd.DataFrame) -> np.ndarray:
    """`_audience_at` by pandas' merge_asof (for missing times, which it refuses with its own error)."""
    left = pd.DataFrame({"item_id": item_id, "end_t": end_t}).reset_index().sort_values("end_t", kind="stable")
    right = audience[["item_id", "t", "audience"]].sort_values("t", kind="stable")
    merged = pd.merge_asof(left, right, left_on="end_t", right_on="t", by="item_id", direction="backward")
    return merged.set_index("index").sort_index()["audience"].astype("float64").to_numpy()
