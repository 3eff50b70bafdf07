"""The case database: schema, migrations, and every SQL query (bound parameters only)."""

from toolkit.store.db import connect, transaction

__all__ = ["connect", "transaction"]
