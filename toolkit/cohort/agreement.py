"""Agreement between reviewers: items they disagree on, and Cohen's kappa for each pair that overlaps.

Each reviewer's latest verdict per item is what counts. Kappa is computed with statsmodels over the
three verdicts (violating, not_violating, unsure) on the items both reviewers judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from toolkit.models import Verdict

VERDICT_ORDER = [v.value for v in Verdict]


@dataclass
class Agreement:
    """Two reviewers over the items both judged: counts, raw agreement, kappa with its 95% interval.

    `kappa` is None when it is undefined: both reviewers gave one and the same verdict throughout,
    so agreement expected by chance is already 1.
    """

    first: str
    second: str
    items: int
    agreed: int
    kappa: float | None
    low: float | None
    high: float | None

    @property
    def share(self) -> float:
        return self.agreed / self.items if self.items else 0.0


def conflicts(verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items on which reviewers' latest verdicts differ: one row per item, verdicts by reviewer.

    `verdicts` are rows of (item_id, url, name, reviewer, verdict, category), one per item and
    reviewer, as `toolkit.store.reviews.reviewer_verdicts` returns them.
    """
    by_item: dict[int, list[dict[str, Any]]] = {}
    for row in verdicts:
        by_item.setdefault(row["item_id"], []).append(row)
    out = []
    for item_id, rows in sorted(by_item.items()):
        if len({r["verdict"] for r in rows}) > 1:
            out.append({
                "item_id": item_id,
                "url": rows[0]["url"],
                "name": rows[0]["name"],
                "verdicts": "; ".join(f"{r['reviewer']}: {r['verdict']}" + (f" ({r['category']})" if r["category"] else "")
                                      for r in sorted(rows, key=lambda r: r["reviewer"])),
            })
    return out


def agreements(verdicts: list[dict[str, Any]]) -> list[Agreement]:
    """Cohen's kappa for every pair of reviewers who judged at least one item in common, by name."""
    import numpy as np
    from statsmodels.stats.inter_rater import cohens_kappa

    by_reviewer: dict[str, dict[int, str]] = {}
    for row in verdicts:
        by_reviewer.setdefault(row["reviewer"], {})[row["item_id"]] = row["verdict"]
    out = []
    for first, second in combinations(sorted(by_reviewer), 2):
        shared = sorted(set(by_reviewer[first]) & set(by_reviewer[second]))
        if not shared:
            continue
        table = np.zeros((len(VERDICT_ORDER), len(VERDICT_ORDER)))
        for item_id in shared:
            table[VERDICT_ORDER.index(by_reviewer[first][item_id]), VERDICT_ORDER.index(by_reviewer[second][item_id])] += 1
        agreed = int(np.trace(table))
        total = table.sum()
        chance = float((table.sum(axis=1) / total) @ (table.sum(axis=0) / total))
        kappa = low = high = None
        if chance < 1.0:
            # Tiny tables can give a negative variance estimate: no interval then, not a warning.
            with np.errstate(invalid="ignore", divide="ignore"):
                result = cohens_kappa(table)
            kappa = float(result.kappa)
            # The normal-approximation interval can leave [-1, 1] on small samples.
            if len(shared) > 1 and np.isfinite(result.std_kappa):
                low, high = max(-1.0, float(result.kappa_low)), min(1.0, float(result.kappa_upp))
        out.append(Agreement(first, second, len(shared), agreed, kappa, low, high))
    return out
