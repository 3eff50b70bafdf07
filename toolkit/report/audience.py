"""Audience: followers (pages, profiles, channels) or members (groups) of the cohort over time.

An item's audience at a wave is the latest figure captured up to the end of that wave; its
baseline is the first figure captured. Growth is measured on items still live in the wave.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.report.frame import CaseFrame


@dataclass(frozen=True)
class AudienceWave:
    wave: str
    order: int
    started_at: str
    with_figure: int  # cohort items with an audience figure up to this wave
    total: int  # their summed audience
    live_with_figure: int  # items live in this wave with a figure
    live_total: int  # audience of the items still live
    grown: int  # live items whose audience grew since their first capture
    growth: int  # summed growth (latest minus first figure) of live items
    median_growth_pct: float | None  # median relative growth of live items with a baseline above 0


@dataclass(frozen=True)
class Audience:
    items_with_figure: int
    reached: int  # sum over cohort items of the largest audience figure ever captured
    first_total: int  # sum of first captured figures
    waves: list[AudienceWave]


def audience(cf: CaseFrame) -> Audience:
    """Audience reached by the cohort, and per wave the audience and growth of items still live."""
    figures = cf.audience
    per_item = figures.groupby("item_id")["audience"]
    first = per_item.first()  # captures come in time order
    reached = int(per_item.max().sum()) if len(figures) else 0
    waves = []
    for block in cf.wave_blocks():
        rows = cf.frame.iloc[block]
        order, wave = rows["wave_order"].iloc[0], rows["wave"].iloc[0]
        having = rows[["item_id", "family", "audience"]].dropna(subset=["audience"])
        live = having[having["family"] == "live"]
        base = live["item_id"].map(first)
        growth = live["audience"].to_numpy() - base.to_numpy()
        positive = base.to_numpy() > 0
        pct = pd.Series(growth[positive] / base.to_numpy()[positive] * 100)
        waves.append(AudienceWave(
            wave=str(wave), order=int(order), started_at=str(rows["wave_at"].iloc[0]),
            with_figure=len(having), total=int(having["audience"].sum()),
            live_with_figure=len(live), live_total=int(live["audience"].sum()),
            grown=int((growth > 0).sum()), growth=int(growth.sum()),
            median_growth_pct=float(pct.median()) if len(pct) else None,
        ))
    return Audience(items_with_figure=int(first.size), reached=reached, first_total=int(first.sum()), waves=waves)
