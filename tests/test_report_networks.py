"""Seller networks (`networks.clusters`): the connected components of items and their contact
points, as a breadth-first search of the whole graph (networkx) finds them, found by union-find
without holding the graph; each member's status read from the latest wave."""

from __future__ import annotations

import random
from types import SimpleNamespace

import networkx as nx
import pandas as pd

from toolkit.report.networks import LINK_TYPES, clusters, contact_key


def _cf(ids: list[int], statuses: dict[int, tuple[str, str]]) -> SimpleNamespace:
    rows = [(1, i, "live", "available") for i in ids] + [(2, i, *statuses.get(i, ("not_checked", "not_checked")))
                                                           for i in ids]
    frame = pd.DataFrame(rows, columns=["wave_order", "item_id", "family", "status"])
    for column in ("family", "status"):
        frame[column] = frame[column].astype("category")
    return SimpleNamespace(items=pd.DataFrame({"item_id": ids}), frame=frame)


def _by_graph(ids: list[int], indicators: list[dict]) -> list[tuple[list[int], list[tuple[str, str]]]]:
    graph = nx.Graph()
    for row in indicators:
        if row["type"] in LINK_TYPES and row["item_id"] in set(ids):
            graph.add_edge(("item", row["item_id"]), contact_key(row["type"], row["value"]))
    found = []
    for component in nx.connected_components(graph):
        items = sorted(node[1] for node in component if node[0] == "item")
        if len(items) >= 2:
            found.append((items, sorted(node for node in component if node[0] != "item")))
    return sorted(found, key=lambda c: (-len(c[0]), c[0][0]))


def test_a_chain_of_contacts_is_one_cluster():
    indicators = [
        {"item_id": 1, "type": "phone", "value": "+5255550101"},
        {"item_id": 2, "type": "whatsapp", "value": "+5255550101"},  # the same number: one node
        {"item_id": 2, "type": "telegram", "value": "@Coyote_Norte"},
        {"item_id": 3, "type": "telegram", "value": "coyote_norte"},  # the same handle
        {"item_id": 4, "type": "phone", "value": "+5255550199"},  # alone: no cluster
        {"item_id": 9, "type": "phone", "value": "+5255550199"},  # not in the cohort
        {"item_id": 5, "type": "email", "value": "a@b.example"},  # emails link nothing
        {"item_id": 6, "type": "email", "value": "a@b.example"},
    ]
    found = clusters(_cf([1, 2, 3, 4, 5, 6], {1: ("gone", "unavailable"), 2: ("live", "available")}), indicators)
    assert len(found) == 1
    (cluster,) = found
    assert [m.item_id for m in cluster.items] == [1, 2, 3]
    assert [(m.family, m.status) for m in cluster.items] == [("gone", "unavailable"), ("live", "available"),
                                                             ("not_checked", "not_checked")]
    assert cluster.contacts == [("phone", "+5255550101"), ("telegram", "coyote_norte")]
    assert (cluster.live, cluster.gone, cluster.other, cluster.partial) == (1, 1, 1, True)


def test_components_as_the_graph_finds_them():
    rng = random.Random(19)
    ids = list(range(1, 400))
    numbers = [f"+52555{n:05d}" for n in range(150)]
    indicators = [{"item_id": rng.choice([*ids, 1000]), "type": rng.choice(["phone", "whatsapp", "telegram"]),
                   "value": rng.choice(numbers)} for _ in range(500)]
    found = clusters(_cf(ids, {}), indicators)
    assert [([m.item_id for m in c.items], c.contacts) for c in found] == _by_graph(ids, indicators)
    assert [c.number for c in found] == list(range(1, len(found) + 1))
