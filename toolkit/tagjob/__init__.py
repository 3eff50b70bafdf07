"""`toolkit tag`: the case's tagger over a dataset too large for one machine, as partitions on Dask.

    columns.py    which input columns hold a post's id, text, URL, platform...; presets for known exports
    inputs.py     the dataset cut into parts (Parquet row groups, CSV and NDJSON files, zip members) and read
    tables.py     a tagged batch as Arrow columns: per-post tags and scores, candidates above a threshold
    parts.py      one part, on a worker: read, tag, write its Parquet file and its candidates
    run.py        the driver: plan, run the parts on a Dask cluster (local by default), write the manifest

Everything here but `columns.py` needs the `distributed` extra (dask, distributed, pyarrow); the
CLI checks for it before importing anything else, and no other command imports this package.
The output format is documented in docs/distributed.md.
"""
