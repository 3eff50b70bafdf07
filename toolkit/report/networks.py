"""Seller networks: cohort items linked by a shared phone number, WhatsApp link or Telegram handle.

Items and contact points form a bipartite graph; each connected component holding two or more
items is a cluster (found by networkx's union-find over the graph's edges: the same components as
a breadth-first search of an `nx.Graph`, without holding the graph, ~70 MB at 100,000 items). A phone number and a WhatsApp number with the same E.164 value are one
contact point. A cluster is a partial takedown when, in the latest wave, some of its items are gone
and others still live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.report.frame import NOT_CHECKED, CaseFrame

LINK_TYPES = ("phone", "whatsapp", "telegram")
_E164 = re.compile(r"^\+\d{6,15}$")


def contact_key(kind: str, value: str) -> tuple[str, str]:
    """The node a contact point becomes: phone and WhatsApp numbers share one node per number."""
    if kind in ("phone", "whatsapp") and _E164.match(value):
        return ("phone", value)
    if kind == "telegram":
        return ("telegram", value.lstrip("@").lower())
    return (kind, value)


@dataclass(frozen=True)
class Member:
    item_id: int
    family: str  # in the latest wave (not_checked when there is no wave)
    status: str


@dataclass(frozen=True)
class Cluster:
    number: int  # 1 = largest
    items: list[Member]
    contacts: list[tuple[str, str]]  # (type, value) nodes linking them, sorted
    live: int
    gone: int
    other: int

    @property
    def partial(self) -> bool:
        return self.live > 0 and self.gone > 0


def clusters(cf: CaseFrame, indicators: list[dict]) -> list[Cluster]:
    """Clusters of two or more cohort items sharing a contact point, largest first."""
    from networkx.utils import UnionFind  # imported when used (`build.prefetch_imports`)

    linked = UnionFind()
    cohort = set(cf.items["item_id"])
    for row in indicators:
        if row["type"] in LINK_TYPES and row["item_id"] in cohort:
            linked.union(("item", row["item_id"]), contact_key(row["type"], row["value"]))  # an edge
    components = []
    for component in linked.to_sets():
        ids = sorted(node[1] for node in component if node[0] == "item")
        if len(ids) >= 2:
            components.append((ids, sorted(node for node in component if node[0] != "item")))
    latest = _latest_status(cf, {i for ids, _ in components for i in ids})
    found = []
    for ids, contacts in components:
        members = [Member(i, *latest.get(i, (NOT_CHECKED, NOT_CHECKED))) for i in ids]
        live = sum(m.family == "live" for m in members)
        gone = sum(m.family == "gone" for m in members)
        found.append((members, contacts, live, gone))
    found.sort(key=lambda c: (-len(c[0]), c[0][0].item_id))
    return [Cluster(n, members, contacts, live, gone, len(members) - live - gone)
            for n, (members, contacts, live, gone) in enumerate(found, start=1)]


def _latest_status(cf: CaseFrame, wanted: set[int]) -> dict[int, tuple[str, str]]:
    """The family and status in the latest wave of the `wanted` items (those in clusters: a few
    thousand of 100,000)."""
    if not len(cf.frame):
        return {}
    frame = cf.frame
    last = frame.loc[(frame["wave_order"] == frame["wave_order"].max()).to_numpy(), ["item_id", "family", "status"]]
    last = last[last["item_id"].isin(wanted).to_numpy()]
    return dict(zip(last["item_id"].tolist(), zip(last["family"].astype(str).tolist(), last["status"].astype(str).tolist(),
                                                  strict=True), strict=True))


def item_contacts(indicators: list[dict]) -> dict[int, dict[str, list[str]]]:
    """Per item, its contact points by type (sorted), for the item appendix."""
    out: dict[int, dict[str, set[str]]] = {}
    for row in indicators:
        out.setdefault(int(row["item_id"]), {}).setdefault(str(row["type"]), set()).add(row["value"])
    return {item: {kind: sorted(values) for kind, values in sorted(kinds.items())} for item, kinds in out.items()}
