"""Page.has / Page.prime: one pass for many needles gives the same answers as one search each,
and the detectors read every page the same with or without the multi-pattern engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.platforms import pages
from toolkit.platforms.detect import read_page
from toolkit.platforms.pages import Page

FIXTURES = Path(__file__).parent / "fixtures"
BYTES = st.binary(max_size=300) | st.lists(st.sampled_from([b"data-ft", b"<article", b"\x00", b"\\x41", b"A", b"form",
                                                            b"login_", b"\xff\xfe", b"."]), max_size=20).map(b"".join)


def _page(body: bytes) -> Page:
    return Page(body, None, None, None, None, None, {}, None)


@pytest.mark.skipif(pages.hyperscan is None, reason="the multi-pattern engine (fast extra) is not installed")
@given(BYTES, st.lists(BYTES.filter(bool), min_size=1, max_size=6))
def test_primed_answers_are_the_searches(body, needles):
    page = _page(body)
    page.prime(tuple(needles))
    assert [page.has(n) for n in needles] == [n in body for n in needles]


def test_without_the_engine_has_searches_when_asked(monkeypatch):
    monkeypatch.setattr(pages, "hyperscan", None)
    page = _page(b"<div data-ft='{}'>")
    page.prime((b"data-ft", b"<article"))
    assert page.has(b"data-ft") and not page.has(b"<article")


PAGE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".html", ".htm"))


@pytest.mark.skipif(pages.hyperscan is None, reason="the multi-pattern engine (fast extra) is not installed")
def test_fixture_pages_read_the_same_without_the_engine(monkeypatch):
    assert PAGE_FILES
    urls = (None, "https://www.facebook.com/viajes.norte/", "https://www.facebook.com/groups/123/posts/456")
    primed = [dataclasses.asdict(read_page(p.read_bytes(), url)) for p in PAGE_FILES for url in urls]
    monkeypatch.setattr(pages, "hyperscan", None)
    plain = [dataclasses.asdict(read_page(p.read_bytes(), url)) for p in PAGE_FILES for url in urls]
    assert primed == plain
