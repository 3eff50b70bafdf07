"""The case database: schema, migrations, and every SQL query (bound parameters only)."""

from toolkit.store import events  # noqa: F401  (hooks the custody log into every connection and commit)
from toolkit.store.db import commit, connect, transaction

__all__ = ["commit", "connect", "transaction"]
