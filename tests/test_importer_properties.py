"""Every registered importer, fed arbitrary bytes shaped like its own format, ends in a clean
import or a clear per-file error: never an exception out of the scan, never a half-imported source.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.case import init_case
from toolkit.scan.pipeline import scan_file
from toolkit.sources import registry

# A plausible start for each kind of file, so the fuzzing reaches past the first check.
PREFIXES = [
    b"",
    b"\xef\xbb\xbfPage Name,User Name,Facebook Id,Post Created,URL,Message\n",
    b'{"nav_index":"1:1:0","source_platform":"tiktok.com","timestamp_collected":1617019200000,"data":',
    b'{"status":200,"result":{"posts":[',
    b"<!DOCTYPE html><html><!--\n Page saved with SingleFile \n url: https://www.facebook.com/x \n saved date: Mon May 17 2021 10:12:40 GMT-0500 -->",
    b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\nSnapshot-Content-Location: https://www.facebook.com/x\r\n\r\n--b\r\n",
    b"WARC/1.0\r\nWARC-Type: response\r\n",
    b'{"log":{"version":"1.2","entries":[',
    b'{"name":"Canal","type":"public_channel","id":1,"messages":[',
    b"url,name,platform\n",
    b"id,creation_time,text,post_owner.name\n",
    b'{"format":"toolkit-tag-candidates","version":1,"run":"r","lexicons":["a@1#0"],"min_score":50}\n{"id":',
]
SUFFIXES = {".csv", ".ndjson", ".json", ".html", ".mhtml", ".warc", ".har", ".txt", ".wacz"}


@pytest.fixture(scope="module")
def fuzz_case(tmp_path_factory):
    case = init_case(tmp_path_factory.mktemp("fuzz") / "case")
    yield case
    case.close()


@pytest.mark.parametrize("name", sorted(imp.name for imp in registry.importers()))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=600), suffix=st.sampled_from(sorted(SUFFIXES)))
def test_any_bytes_end_in_an_import_or_a_clear_error(name, fuzz_case, tmp_path_factory, prefix, body, suffix):
    importer = registry.get(name)
    path = Path(tmp_path_factory.mktemp("in")) / f"input{suffix}"
    data = prefix + body
    path.write_bytes(data)
    before = fuzz_case.db.execute("SELECT count(*) FROM source").fetchone()[0]
    result = scan_file(fuzz_case, path, forced=importer)
    assert result.outcome in {"imported", "failed", "already"}
    after = fuzz_case.db.execute("SELECT count(*) FROM source").fetchone()[0]
    if result.outcome == "failed":
        assert result.error and (str(path) in result.error or path.name in result.error), result.error
        assert after == before  # nothing half-imported
    assert path.read_bytes() == data  # the input is never modified
