"""toolkit: measure how platforms deal with illegal content, from saved exports to removal reports."""

__version__ = "0.1.0"
