"""Audit (tagging): `toolkit tag` on Parquet columns that are not plain text.

A pandas frame whose id column has a missing value is written with float ids, the missing one
NaN: the id became the text "nan", an identity no post has (two such posts would share it). A
nested column named as the text (a list or struct, as exports written by Spark or BigQuery
have) crashed the whole run with a traceback, instead of failing that file's part with a line
naming it while the other parts go on (docs/distributed.md, Inputs). The files are synthetic.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

THREADS = ("--local-mode", "threads", "--workers", "1", "--quiet", "--min-score", "0")


def _candidates(out):
    lines = (out / "candidates.ndjson").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def test_a_nan_id_is_absent_not_the_text_nan(invoke, tmp_path):
    # As pandas writes an integer id column with one missing value: float64, NaN.
    pq.write_table(pa.table({"post_id": [101.0, float("nan"), 103.0],
                             "body": ["Cruce seguro a USA, pago al llegar", "coyote", "pollero"]}), tmp_path / "posts.parquet")
    out = tmp_path / "out"
    result = invoke("tag", tmp_path / "posts.parquet", "--out", out, "--text-col", "body", "--id-col", "post_id", *THREADS)
    assert result.exit_code == 0, result.output
    assert pq.read_table(out / "tags").column("id").to_pylist() == ["101", None, "103"]
    assert [c.get("id") for c in _candidates(out)] == ["101", None, "103"]


def test_a_nested_text_column_fails_its_file_with_one_line_and_the_rest_goes_on(invoke, tmp_path):
    pq.write_table(pa.table({"id": ["a", "b"], "body": [["Cruce seguro", "pago al llegar"], ["coyote"]]}),
                   tmp_path / "a-nested.parquet")
    pq.write_table(pa.table({"id": ["c"], "body": ["Cruce seguro a USA, pago al llegar"]}), tmp_path / "b-plain.parquet")
    out = tmp_path / "out"
    result = invoke("tag", tmp_path, "--out", out, "--text-col", "body", "--id-col", "id", *THREADS)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "a-nested.parquet: column 'body' holds list<" in result.output and "Traceback" not in result.output
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert manifest["complete"] is False
    assert [c["id"] for c in _candidates(out)] == ["c"]
