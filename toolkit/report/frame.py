"""The tidy report frame: one row per cohort item x wave, built from the case database.

An item's status in a wave is the one status rule (`toolkit.store.status`, as of the report's
as-of); an item a wave did not check is `not_checked` in it. No confirmation rule is applied (a
single gone reading counts as gone in its wave), and every check is kept for time to removal, with
its family under the rule (blind checks are unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from toolkit.models import Status
from toolkit.store import report_queries as q
from toolkit.store.db import Connection
from toolkit.store.status import wave_statuses

NOT_CHECKED = "not_checked"
BLIND = "blind"  # the label of an item whose deciding check in a wave is blind (it counts as unknown)
NONE = "none"  # the label of a missing category, language or channel in splits
NOT_NOTICED = "not_noticed"
FAMILIES = ("live", "gone", "ended", "unknown")
STATUS_ORDER = tuple(str(s) for s in Status)

ITEM_COLUMNS = ["item_id", "platform", "kind", "key", "url", "name", "parent", "first_seen", "category",
                "language", "reviewed_at", "score", "noticed_at", "channel", "reference", "noticed"]
# What the appendix shows of an item beyond its identity: its parent's name and URL, its latest text.
ITEM_TEXTS = ["parent_name", "parent_url", "text"]
FRAME_COLUMNS = ["item_id", "platform", "kind", "category", "language", "channel", "noticed", "noticed_at",
                 "first_seen", "wave_id", "wave", "wave_order", "wave_at", "status", "family", "observed_at",
                 "method", "detector", "audience", "reason", "label", "blind"]


@dataclass
class CaseFrame:
    """Everything the statistics read: the tidy frame and the per-item and per-check tables it joins."""

    items: pd.DataFrame  # one row per cohort item
    waves: pd.DataFrame  # waves up to as_of, in order, with their observation span
    checks: pd.DataFrame  # every check of a cohort item up to as_of
    audience: pd.DataFrame  # captures of cohort items with followers or members
    frame: pd.DataFrame  # cohort item x wave (the tidy frame)
    as_of: str

    @property
    def cohort_size(self) -> int:
        return len(self.items)


def _times(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601")


def _items(conn: Connection, as_of: str) -> pd.DataFrame:
    columns = [c for c in ITEM_COLUMNS if c not in ("language", "noticed")] + ["parent_kind", *ITEM_TEXTS]
    columns.insert(columns.index("first_seen") + 1, "first_seen_any")
    # dtype=object keeps a missing name or URL as None: pandas 3 would infer a string column and
    # turn it into NaN (a float), which the renderers must never see as text.
    items = pd.DataFrame(q.cohort_items(conn, as_of), columns=columns, dtype=object)
    items["item_id"] = items["item_id"].astype("int64")
    langs = pd.DataFrame(q.cohort_languages(conn), columns=["item_id", "language", "hits"])
    # The language with the most hits; ties go to the alphabetically first (the query's order).
    langs = langs.drop_duplicates("item_id", keep="first").set_index("item_id")["language"]
    items["language"] = items["item_id"].map(langs).fillna(NONE)
    items["category"] = items["category"].fillna(NONE)
    items["noticed"] = items["noticed_at"].notna()
    items["channel"] = items["channel"].where(items["noticed"], NOT_NOTICED)
    for column in ("first_seen", "noticed_at", "reviewed_at"):
        items[column + "_t"] = _times(items[column])
    # Dated at import time only: the item has captures, but none says when it was seen.
    items["import_dated"] = items["first_seen"].isna() & items["first_seen_any"].notna()
    return items[[*ITEM_COLUMNS, "parent_kind", *ITEM_TEXTS, "first_seen_t", "noticed_at_t", "reviewed_at_t",
                  "import_dated"]]


def _checks(conn: Connection, as_of: str) -> pd.DataFrame:
    columns = ["check_id", "item_id", "wave_id", "observed_at", "method", "status", "reason", "detector", "family",
               "blind", "date_source"]
    cursor = q.cohort_checks(conn, as_of)
    checks = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    checks["wave_id"] = checks["wave_id"].astype("Int64")
    checks["t"] = _times(checks["observed_at"])
    # Few distinct values over many rows: categories keep 500,000 checks small in memory.
    for column in ("status", "family", "method", "detector", "reason"):
        checks[column] = checks[column].astype("category")
    return checks


def _waves(conn: Connection, as_of: str, checks: pd.DataFrame) -> pd.DataFrame:
    waves = pd.DataFrame(q.waves(conn, as_of), columns=["wave_id", "name", "started_at", "methods", "note"])
    waves["methods"] = [sorted(orjson.loads(m or "[]")) for m in waves["methods"]]
    waves["wave_order"] = range(1, len(waves) + 1)
    span = checks.dropna(subset=["wave_id"]).groupby("wave_id")["observed_at"].agg(["min", "max"])
    waves["first_check"] = waves["wave_id"].map(span["min"]) if len(span) else None
    waves["last_check"] = waves["wave_id"].map(span["max"]) if len(span) else None
    # A wave's date is when it started; its end (for audience) is its last check, else its start.
    waves["end"] = waves["last_check"].fillna(waves["started_at"])
    waves["end_t"] = _times(waves["end"])
    return waves


def _audience(conn: Connection, as_of: str) -> pd.DataFrame:
    rows = q.cohort_audience(conn, as_of).fetchall()
    audience = pd.DataFrame.from_records(rows, columns=["item_id", "observed_at", "followers", "members"])
    # Pages and channels count followers, groups count members: one audience figure per capture.
    audience["audience"] = audience["followers"].astype("Float64").fillna(audience["members"].astype("Float64"))
    audience["t"] = _times(audience["observed_at"])
    return audience.dropna(subset=["audience"])


def build_frame(conn: Connection, as_of: str) -> CaseFrame:
    """Read the case up to `as_of` (ISO UTC) into a CaseFrame."""
    items = _items(conn, as_of)
    checks = _checks(conn, as_of)
    waves = _waves(conn, as_of, checks)
    audience = _audience(conn, as_of)
    decided = _decided(conn, as_of, items, checks)
    frame = _tidy(items, waves, decided, audience)
    return CaseFrame(items=items, waves=waves, checks=checks, audience=audience, frame=frame, as_of=as_of)


def _decided(conn: Connection, as_of: str, items: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """Per cohort item and wave, the status rule's reading (toolkit.store.status) and the deciding
    check's detector."""
    columns = ["item_id", "wave_id", "status", "family", "observed_at", "method", "detector", "blind", "reason"]
    rows = [(r.item_id, r.wave_id, r.status, r.family, r.observed_at, r.method, r.check_id, r.blind, r.reason)
            for r in wave_statuses(conn, as_of=as_of, items=items["item_id"].tolist())]
    decided = pd.DataFrame.from_records(rows, columns=columns)
    detectors = dict(zip(checks["check_id"], checks["detector"].astype(object), strict=True))
    decided["detector"] = decided["detector"].map(detectors)
    decided["label"] = decided["status"].where(decided["blind"].isna(), BLIND)
    decided["wave_id"] = decided["wave_id"].astype("int64")
    return decided


def _tidy(items: pd.DataFrame, waves: pd.DataFrame, decided: pd.DataFrame, audience: pd.DataFrame) -> pd.DataFrame:
    """Cross the cohort with the waves and attach each item's status and audience in each wave."""
    if items.empty or waves.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FRAME_COLUMNS})
    base = items[["item_id", "platform", "kind", "category", "language", "channel", "noticed", "noticed_at",
                  "first_seen"]]
    grid = base.merge(waves[["wave_id", "name", "wave_order", "started_at", "end_t"]], how="cross")
    grid = grid.rename(columns={"name": "wave", "started_at": "wave_at"})
    frame = grid.merge(decided, on=["item_id", "wave_id"], how="left")
    for column in ("status", "family", "label"):
        values = frame[column].astype("category")
        if NOT_CHECKED not in values.cat.categories:
            values = values.cat.add_categories([NOT_CHECKED])
        frame[column] = values.fillna(NOT_CHECKED)
    frame["audience"] = _audience_at(frame, audience)
    frame = frame.sort_values(["wave_order", "item_id"], kind="stable").reset_index(drop=True)
    for column in ("platform", "kind", "category", "language", "channel", "wave", "status", "family", "method", "label"):
        frame[column] = frame[column].astype("category")
    return frame[FRAME_COLUMNS]


def _audience_at(frame: pd.DataFrame, audience: pd.DataFrame) -> np.ndarray:
    """Each row's latest audience figure captured up to the end of its wave (NaN when none)."""
    if audience.empty:
        return np.full(len(frame), np.nan)
    left = frame[["item_id", "end_t"]].reset_index().sort_values("end_t", kind="stable")
    right = audience[["item_id", "t", "audience"]].sort_values("t", kind="stable")
    merged = pd.merge_asof(left, right, left_on="end_t", right_on="t", by="item_id", direction="backward")
    return merged.set_index("index").sort_index()["audience"].astype("float64").to_numpy()
