"""The reproducibility stamp: what a report was made from and with, so anyone can remake it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import orjson

from toolkit import __version__
from toolkit.errors import CaseError
from toolkit.report import survival
from toolkit.store import events
from toolkit.store import report_queries as q
from toolkit.store.db import Connection

LIBRARIES = ("numpy", "pandas", "scipy", "networkx")
# case.toml values that may hold credentials or private paths: the stamp says only whether set.
PRIVATE_OPTIONS = {("recheck", "proxy"), ("recheck", "cookies"), ("browser", "profile"), ("browser", "executable")}


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def case_options(config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The validated case options, with credentials replaced by "(set)" or ""."""
    out: dict[str, dict[str, Any]] = {}
    for table in sorted(config):
        out[table] = {}
        for key in sorted(config[table]):
            value = config[table][key]
            if (table, key) in PRIVATE_OPTIONS:
                value = "(set)" if value else ""
            out[table][key] = value
    return out


def make_stamp(conn: Connection, config: dict[str, dict[str, Any]], as_of: str, redact: bool,
               provenance: dict[str, Any]) -> dict[str, Any]:
    """Toolkit and library versions, importers, lexicons, detectors, every source's sha256,
    the case options, the report options and `as_of`, and the row count of every table, inside
    the report's picture of the case (`provenance`: the report's, whose sources, lexicons and
    detectors it names)."""
    sources, lexicons, detectors = provenance["sources"], provenance["lexicons"], provenance["detectors"]
    # The stamp names a head that covers every row it reports: build_report sealed before its
    # picture was taken, so a row left unsealed here was written by something else meanwhile.
    if events.unsealed(conn):
        raise CaseError("rows were added to the case without being sealed in its custody log while the report "
                        "read it", "Run the report again; if this repeats, run toolkit verify CASE")
    count, head = events.data_head(conn)
    return {
        "toolkit": __version__,
        "custody": {"events": count, "head": head,
                    "verify": "toolkit verify CASE recomputes this head from the case's custody log"},
        "libraries": {name: _version(name) for name in LIBRARIES},
        "as_of": as_of,
        "report_options": {"redact": redact},
        "case_options": case_options(config),
        "importers": sorted({s["importer"] for s in sources}),
        "lexicons": [row["lexicon"] for row in lexicons],
        "score_lexicons": sorted({name for raw in q.score_lexicons(conn) for name in _names(raw)}),
        "detectors": sorted({row["detector"] for row in detectors if row["detector"]}),
        "sources": [{"sha256": s["sha256"], "size": s["size"], "format": s["format"], "importer": s["importer"],
                     "path": s["path"], "collected_at": s["collected_at"]} for s in sources],
        "tables": q.table_counts(conn),
        "methods": {
            "interval": "Wilson score, 95% (scipy.stats.binomtest(...).proportion_ci)",
            "difference": "Fisher's exact test, two-sided (scipy.stats.fisher_exact)",
            "time_to_removal": "Turnbull NPMLE on (last live check, first gone check]; a live check counts until its "
                               "wave's last check; both ends rounded up to whole hours",
            "bootstrap": {"replicates": survival.BOOTSTRAP, "seed": survival.SEED},
            "wave_status": "latest check of the item in the wave (by observed_at, then id); no confirmation rule",
        },
    }


def _names(raw: str | None) -> list[str]:
    try:
        value = orjson.loads(raw or "[]")
    except orjson.JSONDecodeError:
        return [str(raw)]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
