"""The case database: schema, migrations, and every SQL query (bound parameters only).

    db.py, schema.py        opening a case database; the ordered forward migrations
    writer.py               captures written in batches, items resolved by identity
    source_rows.py          the `source` rows: one per imported file
    evidence.py, meta.py    the evidence files kept; facts about the case itself (made when, by which toolkit)
    item_lookup.py          items by id, identity or URL
    item_list.py            the filtered item listing (`items`, review candidates)
    item_history.py         one item's events in time order (`show`)
    aliases.py, tags.py     aliases and identity conflicts; lexicon hits, indicators, scores
    reviews.py, notices.py  verdicts; notices and their voids
    checks.py, canaries.py  waves and checks; canary readings
    attachments.py          screenshots and snapshots of sources and checks
    status.py               the one status rule
    column_reads.py         a query's result read as numpy columns, for reads over a whole case
    report_queries.py, term_precision.py   what `report` and `lexicon stats` read
    events.py, coverage.py, logcheck.py    the custody log, what it covers, checking a case against it
    erasure.py              the SQL of a purge (toolkit.purge)
"""

from toolkit.store import events  # noqa: F401  (hooks the custody log into every connection and commit)
from toolkit.store.db import commit, connect, transaction

__all__ = ["commit", "connect", "transaction"]
