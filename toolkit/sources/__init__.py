"""Importers, one module per export format, all registered in `toolkit.sources.registry`."""
