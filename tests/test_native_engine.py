"""The native engine (toolkit/lexicon/_hsscan.c): the same hits as the other engines, and its C type's edge cases.

Skipped where the extension was not built (no Hyperscan headers or no compiler at install time).
"""

from __future__ import annotations

import csv
import random
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.lexicon import Matcher, resolve
from toolkit.lexicon.matcher import available_engines
from toolkit.lexicon.normalise import fold_bulk

_hsscan = pytest.importorskip("toolkit.lexicon._hsscan", reason="the native extension is not built")

with (Path(__file__).resolve().parent / "fixtures" / "lexicon" / "labelled.csv").open(encoding="utf-8", newline="") as handle:
    LABELLED = [row["text"] for row in csv.DictReader(handle)]


def pairs(raw: bytes) -> list[tuple[int, int]]:
    """The (end, id) pairs of a scan's packed result."""
    return [tuple(pair) for pair in np.frombuffer(raw, dtype=np.int64).reshape(-1, 2).tolist()]


@pytest.fixture(scope="module")
def matchers():
    lexicons = resolve(["default"])
    return {engine: Matcher(lexicons, engine) for engine in available_engines()}


def test_native_is_the_default_engine(matchers):
    assert available_engines()[0] == "native"
    assert Matcher(resolve(["default"])).engine.name == "native"
    assert "ahocorasick" in matchers


def test_engines_give_identical_hits_on_the_labelled_examples(matchers):
    results = {engine: matcher.match_batch(LABELLED) for engine, matcher in matchers.items()}
    assert len(results["native"]) > len(LABELLED) // 2
    for engine, result in results.items():
        assert result == results["native"], engine


def test_engines_give_identical_hits_on_a_large_batch(matchers):
    words = sorted({t.term for t in matchers["native"].terms if t.regex is None})
    rng = random.Random(3)
    filler = ["hola", "de", "la", "🍁", "💊", "\n", ",", "  ", "c o y o t e", "coy\u200dote", "E.U.A", "pago  al llegar"]
    posts = [" ".join(rng.choice(words + filler) for _ in range(rng.randint(0, 30))) for _ in range(4000)]
    results = {engine: matcher.match_batch(posts) for engine, matcher in matchers.items()}
    assert sum(map(len, results["native"].values())) > 10_000
    for engine, result in results.items():
        assert result == results["native"], engine


def _posts(words: list[str]):
    piece = st.sampled_from(words) | st.sampled_from(["", " ", "  ", "\n", ",", ".", "🍁", "\u200d", "\x00", "ｃ", "É"])
    post = st.lists(piece, max_size=20).map(" ".join) | st.text(max_size=80)
    return st.lists(post, min_size=1, max_size=8)


TERMS = sorted({t.term for lex in resolve(["default"]) for t in lex.terms if t.regex is None})


@settings(max_examples=300, deadline=None)
@given(_posts(TERMS))
def test_engines_give_identical_hits_on_generated_text(matchers, posts):
    expected = matchers["ahocorasick"].match_batch(posts)
    for engine, matcher in matchers.items():
        assert matcher.match_batch(posts) == expected, engine


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=4), min_size=1, max_size=30, unique=True), st.binary(max_size=400))
def test_scan_finds_every_occurrence_of_every_key(keys, data):
    """Raw scans over arbitrary bytes and keys (overlapping, nested, NUL bytes): every (end, key) once."""
    got = pairs(_hsscan.Literals(keys).scan(data))
    expected = sorted((end, kid) for kid, key in enumerate(keys) for end in range(len(key), len(data) + 1)
                      if data[end - len(key) : end] == key)
    assert sorted(got) == expected
    assert [end for end, _ in got] == sorted(end for end, _ in got)  # reported in order of end


@pytest.mark.skipif("hyperscan" not in available_engines(), reason="the hyperscan binding is not installed")
def test_scan_order_is_the_python_bindings(matchers):
    """Pair for pair, in the order the binding's callback sees them."""
    words = sorted({t.term for t in matchers["native"].terms if t.regex is None})
    rng = random.Random(5)
    text = " \x00 ".join(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(2000))
    folded = fold_bulk(f" {text} ")[0]
    native, binding = matchers["native"].engine.scan(folded), matchers["hyperscan"].engine.scan(folded)
    assert len(native) > 5000
    assert np.array_equal(native, binding)


def test_offsets_are_exclusive_ends_and_ids_follow_the_key_order():
    literals = _hsscan.Literals([b" a ", b"ab", b"b"])
    assert len(literals) == 3
    assert pairs(literals.scan(b" a ab")) == [(3, 0), (5, 1), (5, 2)]


def test_empty_key_list_and_empty_data():
    empty = _hsscan.Literals([])
    assert len(empty) == 0
    assert empty.scan(b"anything") == b""
    assert empty.scan(b"") == b""
    assert _hsscan.Literals([b"a"]).scan(b"") == b""
    assert _hsscan.Literals([b"a"]).scan(bytearray()) == b""


def test_any_contiguous_buffer_is_scanned():
    literals = _hsscan.Literals([b"coyote"])
    expected = literals.scan(b"un coyote")
    assert pairs(expected) == [(9, 0)]
    assert literals.scan(bytearray(b"un coyote")) == expected
    assert literals.scan(memoryview(b"xxun coyote")[2:]) == expected
    assert literals.scan(np.frombuffer(b"un coyote", dtype=np.uint8)) == expected
    with pytest.raises(BufferError):
        literals.scan(memoryview(b"uunn  ccooyyoottee")[::2])
    with pytest.raises(TypeError):
        literals.scan("un coyote")


def test_bad_keys_are_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="key 1 is str"):
        _hsscan.Literals([b"a", "b"])
    with pytest.raises(TypeError):
        _hsscan.Literals(7)
    with pytest.raises(ValueError, match="key 1 is empty"):
        _hsscan.Literals([b"a", b""])
    with pytest.raises(ValueError, match=r"key 1 .*: Pattern length exceeds limit"):  # Hyperscan's own message
        _hsscan.Literals([b"a", b"x" * 100_000])


def test_an_uninitialised_or_reinitialised_object_is_refused():
    with pytest.raises(RuntimeError, match="not initialised"):
        _hsscan.Literals.__new__(_hsscan.Literals).scan(b"a")
    literals = _hsscan.Literals([b"a"])
    with pytest.raises(RuntimeError, match="already initialised"):
        literals.__init__([b"b"])
    assert pairs(literals.scan(b"ab")) == [(1, 0)]


def test_a_huge_match_count_grows_the_buffer():
    """Eight nested keys over 256 KiB of one letter: about two million matches, every one kept."""
    size, keys = 1 << 18, [b"a" * n for n in range(1, 9)]
    found = np.frombuffer(_hsscan.Literals(keys).scan(b"a" * size), dtype=np.int64).reshape(-1, 2)
    assert len(found) == sum(size - len(key) + 1 for key in keys)
    assert np.array_equal(np.bincount(found[:, 1]), [size - len(key) + 1 for key in keys])
    assert (np.diff(found[:, 0]) >= 0).all()


def test_threads_sharing_one_object_get_the_same_results():
    """Concurrent scans with one object: the busy object's scratch is cloned, never shared."""
    rng = random.Random(9)
    keys = sorted({f" {''.join(rng.choice('abc') for _ in range(rng.randint(1, 4)))} ".encode() for _ in range(60)})
    literals = _hsscan.Literals(keys)
    texts = [" ".join("".join(rng.choice("abc ") for _ in range(rng.randint(1, 5))) for _ in range(20_000)).encode()
             for _ in range(4)]
    expected = [literals.scan(text) for text in texts]
    results: dict[tuple[int, int], bytes] = {}
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        start.wait()
        for round_ in range(5):
            index = (worker + round_) % len(texts)
            results[worker, round_] = literals.scan(texts[index])

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 40
    for (worker, round_), result in results.items():
        assert result == expected[(worker + round_) % len(texts)]


def test_version_names_the_library():
    assert _hsscan.version()[0].isdigit()
