"""`toolkit tag`: the case's tagger over a dataset too large for one machine, as partitions on Dask.

    columns.py    which input columns hold a post's id, text, URL, platform...; presets for known exports
    inputs.py     the dataset cut into parts (Parquet row groups, CSV and NDJSON files, zip members) and read
    records.py    one source's records as Arrow tables: CSV (pyarrow), NDJSON, or through an importer
    tables.py     a tagged batch as flat tables (tags, hits, indicators), and its candidates as JSON lines
    parts.py      one part, on a worker: read, tag, write its Parquet files and its candidates
    run.py        the driver: plan, run the parts on a Dask cluster (local by default), write the manifest

Everything here but `columns.py` needs the `distributed` extra (dask, distributed, pyarrow); the
CLI checks for it before importing anything else, and no other command imports this package.
The output format is documented in docs/distributed.md.
"""
