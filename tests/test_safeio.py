"""toolkit/safeio.py: the bounds on untrusted bytes, checked against plain reference implementations
(property tests) and on the bombs they exist for."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from toolkit.errors import InputError
from toolkit.safeio import (
    ExpansionBudget,
    JsonGuard,
    Recoded,
    check_json,
    limit,
    markup_cut,
    read_zip_entry,
    text_encoding,
    zip_entry_problem,
)
from toolkit.sources.base import OTHER_CAUSES, ReadContext

ROOT = Path(__file__).resolve().parent.parent

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)


def depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def guarded(data: bytes, chunk: int, **limits) -> tuple[bytes, JsonGuard]:
    guard = JsonGuard(io.BytesIO(data), "x.json")
    for name, value in limits.items():
        setattr(guard, name, value)
    out = []
    while piece := guard.read(chunk):
        out.append(piece)
    return b"".join(out), guard


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.integers(1, 40), st.booleans())
def test_the_guard_passes_json_through_and_follows_depth_exactly(value, chunk, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    out, _ = guarded(data, chunk, max_depth=depth(value))
    assert out == data
    if depth(value):
        with pytest.raises(InputError, match="limit json_depth"):
            guarded(data, chunk, max_depth=depth(value) - 1)


def prefix_of(original, cut) -> bool:
    if isinstance(original, str):
        return isinstance(cut, str) and original.startswith(cut.rstrip("\ufffd"))
    if isinstance(original, list):
        return isinstance(cut, list) and len(cut) == len(original) and all(map(prefix_of, original, cut))
    if isinstance(original, dict):
        return (isinstance(cut, dict) and len(cut) == len(original)
                and all(prefix_of(a, b) for a, b in zip(original.values(), cut.values(), strict=True)))
    return original == cut


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.integers(1, 40), st.integers(6, 30), st.booleans())
def test_strings_cut_by_the_guard_leave_valid_json_and_their_start(value, chunk, longest, ascii_only):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    try:
        out, guard = guarded(data, chunk, max_string=longest)
    except InputError as exc:  # a long run of escapes leaves no safe place to cut
        assert "cannot be cut short" in str(exc)
        return
    assert prefix_of(value, json.loads(out))
    assert (guard.cut > 0) == (out != data)


def test_a_string_longer_than_the_limit_is_cut_near_it():
    data = b'{"text": "' + b"a" * 5000 + b'", "after": 1}'
    out, guard = guarded(data, 700, max_string=1000)
    assert guard.cut == 1
    cut = json.loads(out)
    assert 1000 <= len(cut["text"]) <= 1006 and cut["after"] == 1


def test_deep_nesting_is_refused_before_the_parser_sees_it():
    data = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    guard = JsonGuard(io.BytesIO(data), "deep.json")
    with pytest.raises(InputError, match=r"deep.json: JSON nested deeper than 200 levels \(limit json_depth = 200"):
        guard.read(1 << 16)


def test_records_are_measured_from_where_the_caller_took_the_last():
    records = b"[" + b",".join(b'{"id": %d}' % n for n in range(2000)) + b"]"
    guard = JsonGuard(io.BytesIO(records), "r.json")
    guard.max_structure = 1000
    with pytest.raises(InputError, match="limit json_structure_bytes"):
        while guard.read(200):
            pass
    guard = JsonGuard(io.BytesIO(records), "r.json")
    guard.max_structure = 1000
    while guard.read(200):
        guard.record()  # what a reader does after each record it takes


def test_check_json_for_documents_parsed_whole():
    check_json(b'{"a": [[1]]}', "ok.json")
    with pytest.raises(InputError, match="limit json_depth"):
        check_json(b"[" * 201 + b"]" * 201, "deep.json")


@given(st.binary(max_size=3000).map(lambda b: b.replace(b"x", b"<")), st.integers(0, 50))
def test_markup_cut_is_the_first_tag_past_the_limit(body, most):
    tags = [i for i, byte in enumerate(body) if byte == 0x3C]
    assert markup_cut(body, most) == (tags[most] if len(tags) > most else None)


def test_markup_cut_finds_its_place_past_a_megabyte():
    body = b"x" * (3 << 20) + b"<p>a" * 300
    assert markup_cut(body, 100) == (3 << 20) + 400


def test_expansion_budget():
    budget = ExpansionBudget("small.warc.gz", 1000)
    assert budget.total == limit("expansion_floor_bytes")
    budget = ExpansionBudget("big.warc.gz", 10 << 20)
    budget.spend(100 * (10 << 20))
    with pytest.raises(InputError, match=r"big.warc.gz: its contents inflate to more than .* \(limit expansion_ratio"):
        budget.spend(1)


def test_limits_can_be_raised_for_one_run(monkeypatch):
    monkeypatch.setenv("TOOLKIT_LIMIT_JSON_DEPTH", "400")
    assert limit("json_depth") == 400
    monkeypatch.setenv("TOOLKIT_LIMIT_JSON_DEPTH", "nonsense")
    assert limit("json_depth") == 200


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
       st.sampled_from(["utf-16", "utf-16-be", "utf-32", "utf-32-be"]), st.integers(1, 50))
def test_recoded_text_reads_as_utf8(text, codec, chunk):
    # FF FE 00 00 is both the UTF-32 LE mark and the UTF-16 LE mark before U+0000: longest mark wins,
    # as in Python's and ICU's sniffers; text opening with a NUL character is not a real export.
    assume(not (codec == "utf-16" and text.startswith("\x00")))
    marks = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}
    data = marks.get(codec, b"") + text.encode(codec)
    found = text_encoding(data)
    assert found is not None
    raw = io.BytesIO(data)
    stream = io.BufferedReader(Recoded(raw, found[0], found[2]), 64)
    out = b""
    while piece := stream.read(chunk):
        out += piece
    assert out == b"\xef\xbb\xbf" + text.encode("utf-8")


def test_failure_causes_past_the_limit_are_counted_together():
    ctx = ReadContext(path=Path("many.ndjson"))
    for n in range(1000):
        ctx.fail(f"unsupported-platform p{n}.example", f"source_platform 'p{n}.example'", n + 1)
    ctx.fail("unsupported-platform p3.example", "again", 2000)
    assert len(ctx.failures) == limit("failure_causes") + 1
    count, first = ctx.failures[OTHER_CAUSES]
    assert count == 990
    assert first.detail.startswith("990 other causes (limit failure_causes); the first: unsupported-platform p10.example")
    assert ctx.failed == 1001


def test_causes_and_notes_are_bounded_in_length_and_number():
    ctx = ReadContext(path=Path("x"))
    ctx.fail("x" * 10_000, "y" * 10_000)
    (cause, (_, first)), = ctx.failures.items()
    assert len(cause) <= 120 and len(first.detail) <= 500
    for n in range(200):
        ctx.note(f"note {n}")
    assert len(ctx.notes) == limit("notes") + 1
    assert ctx.notes[-1].message == "and 150 more note(s) not listed (limit notes)"


def _zip_bomb(path: Path, inflated: int) -> Path:
    """A bundle-shaped ZIP whose case.db inflates to `inflated` bytes (as in the 2 MB bomb that took
    `verify --bundle` to 4.1 GB)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("manifest.json", "{}")
        with zf.open("case.db", "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(inflated >> 20):
                entry.write(block)
    return path


def test_a_zip_bomb_entry_is_refused_unread(tmp_path):
    bomb = _zip_bomb(tmp_path / "bundle.zip", 256 << 20)
    with zipfile.ZipFile(bomb) as zf:
        info = zf.getinfo("case.db")
        assert "refused as a ZIP bomb" in zip_entry_problem(info, 1 << 40)
        with pytest.raises(ValueError, match="ZIP bomb"):
            read_zip_entry(zf, info, 1 << 40)
        assert read_zip_entry(zf, zf.getinfo("manifest.json"), 100) == b"{}"
        with pytest.raises(ValueError, match="over the 1-byte bound"):
            read_zip_entry(zf, zf.getinfo("manifest.json"), 1)


@pytest.mark.slow
def test_reading_a_4gb_bundle_bomb_stays_small(tmp_path):
    """The shared helper `verify --bundle` reads entries with: a 4 GB case.db in a 4 MB ZIP is
    refused in a child process whose peak memory is measured."""
    bomb = _zip_bomb(tmp_path / "bundle.zip", 4 << 30)
    assert bomb.stat().st_size < 8 << 20
    script = ("import sys, zipfile\nfrom toolkit.safeio import read_zip_entry\n"
              "zf = zipfile.ZipFile(sys.argv[1])\n"
              "try:\n    read_zip_entry(zf, zf.getinfo('case.db'), 1 << 40)\nexcept ValueError as exc:\n    print(exc)\n"
              "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n")
    done = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    message, peak_kb = done.stdout.splitlines()
    assert "refused as a ZIP bomb" in message
    assert int(peak_kb) < 100 << 10
