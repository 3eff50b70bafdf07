"""The labelled evaluation set in tests/eval: well formed, split reproducibly, and no text ever changes side.

These tests read dev.csv and holdout.csv as data; they never score them (scoring the holdout is the lead's
job at the end of a tuning round, see docs/lexicons.md).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from toolkit.lexicon.evaluate import read_labelled

EVAL = Path(__file__).resolve().parent / "eval"
OFFERS = {"smuggling_offer", "drug_sale", "recruitment", "extortion"}


def _make_split():
    spec = importlib.util.spec_from_file_location("make_split", EVAL / "make_split.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(name: str) -> list[dict]:
    with (EVAL / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", "".join(c for c in text if not unicodedata.combining(c))).strip()


@pytest.fixture(scope="module")
def texts() -> list[dict]:
    return _read("texts.csv")


def test_every_text_has_a_label_language_address_citation_and_batch(texts):
    for line, row in enumerate(texts, start=2):
        assert row["text"].strip(), f"texts.csv:{line}: empty text"
        assert row["language"] in {"es", "en", "pt"}, f"texts.csv:{line}: language {row['language']!r}"
        assert row["source"].strip() and row["citation"].strip(), f"texts.csv:{line}: no source or citation"
        assert row["batch"] in {"1", "2", "3", "4", "5", "6"}, f"texts.csv:{line}: batch {row['batch']!r}"


def test_no_text_is_there_twice(texts):
    folded = Counter(_fold(row["text"]) for row in texts)
    assert [text for text, n in folded.items() if n > 1] == []


def test_dev_and_holdout_read_as_labelled_files():
    for name in ("dev.csv", "holdout.csv", "holdout-fresh.csv", "holdout-batch4.csv", "holdout-batch5.csv",
                 "holdout-batch6.csv"):
        labelled = read_labelled(EVAL / name)
        assert len(labelled) == len(_read(name))


def test_the_split_is_reproduced_from_texts_csv(texts):
    split = _make_split().split(texts)
    assert split["dev"] == _read("dev.csv")
    assert split["holdout"] == _read("holdout.csv")
    assert _make_split().fresh(texts) == _read("holdout-fresh.csv")
    assert _make_split().fresh_batch4(texts) == _read("holdout-batch4.csv")
    assert _make_split().holdout_batch5(texts) == _read("holdout-batch5.csv")
    assert _make_split().holdout_batch6(texts) == _read("holdout-batch6.csv")


def test_each_origin_is_on_one_side_only(texts):
    make_split = _make_split()
    where = make_split.sides(texts)
    seen: dict[str, set[str]] = {}
    for name in ("dev", "holdout"):
        for row in _read(f"{name}.csv"):
            seen.setdefault(make_split.origin(row["source"]), set()).add(name)
    assert {group for group, sides in seen.items() if len(sides) > 1} == set()
    assert all(where[group] in sides for group, sides in seen.items())


def test_the_first_batch_never_moved(texts):
    """Batch 1 was split once, before any lexicon change: 186 texts in dev, 127 (39 offers) in holdout."""
    batch1 = {row["text"] for row in texts if row["batch"] == "1"}
    dev = [row for row in _read("dev.csv") if row["text"] in batch1]
    holdout = [row for row in _read("holdout.csv") if row["text"] in batch1]
    assert (len(dev), len(holdout)) == (186, 127)
    assert sum(row["label"] in OFFERS for row in holdout) == 39


def test_a_new_origin_goes_to_holdout_by_its_own_salted_hash(texts):
    make_split = _make_split()
    first = {make_split.origin(row["source"]) for row in texts if row["batch"] == "1"}
    where = make_split.sides(texts)
    new = {make_split.origin(row["source"]) for row in texts if row["batch"] == "2"} - first
    for group in new:
        expected = "dev" if group in make_split.TUNING_SOURCES else make_split.side(
            group, make_split.SALT_2, make_split.HOLDOUT_SHARE_2)
        assert where[group] == expected
    assert {where[group] for group in new} == {"dev", "holdout"}
    newer = {make_split.origin(row["source"]) for row in texts if row["batch"] == "3"} - first - new
    for group in newer:
        assert where[group] == make_split.side(group, make_split.SALT_3, make_split.HOLDOUT_SHARE_3)
    assert {where[group] for group in newer} == {"dev", "holdout"}


def test_the_fresh_holdout_is_batch_3_from_new_origins_only(texts):
    make_split = _make_split()
    earlier = {make_split.origin(row["source"]) for row in texts if row["batch"] in ("1", "2")}
    fresh = _read("holdout-fresh.csv")
    holdout = _read("holdout.csv")
    assert fresh and all(row in holdout for row in fresh)
    assert not {make_split.origin(row["source"]) for row in fresh} & earlier


def test_holdout_has_enough_offers_to_measure():
    offers = Counter(row["label"] for row in _read("holdout.csv") if row["label"] in OFFERS)
    assert sum(offers.values()) >= 100
    assert all(offers[label] >= 20 for label in OFFERS)


@pytest.mark.parametrize("before", [("1", "2"), ("1", "2", "3"), ("1", "2", "3", "4"), ("1", "2", "3", "4", "5")])
def test_later_batches_did_not_move_earlier_texts(texts, before):
    """A text keeps its side when later batches arrive: the earlier batches' rows of dev.csv and
    holdout.csv come first, in texts.csv order, as they did before the next batch."""
    earlier = [row for row in texts if row["batch"] in before]
    split = _make_split().split(earlier)
    for name in ("dev", "holdout"):
        assert _read(f"{name}.csv")[:len(split[name])] == split[name]


def test_batch_4_new_origins_are_all_held_out(texts):
    make_split = _make_split()
    earlier = {make_split.origin(row["source"]) for row in texts if row["batch"] in ("1", "2", "3")}
    batch4 = _read("holdout-batch4.csv")
    holdout = _read("holdout.csv")
    assert len(batch4) >= 150 and all(row in holdout for row in batch4)
    assert not {make_split.origin(row["source"]) for row in batch4} & earlier
    assert sum(row["label"] in OFFERS for row in batch4) >= 40


@pytest.mark.parametrize(("batch", "offers"), [("5", 40), ("6", 25)])
def test_a_new_batchs_origins_go_to_holdout_by_its_own_salted_hash(texts, batch, offers):
    """Batches 5 and 6: an origin of an earlier batch keeps its side; a new origin is held out by the
    batch's own salt (half of them); holdout-batchN.csv is every text of the batch on the holdout side."""
    make_split = _make_split()
    salt, share = getattr(make_split, f"SALT_{batch}"), getattr(make_split, f"HOLDOUT_SHARE_{batch}")
    where = make_split.sides(texts)
    earlier_rows = [row for row in texts if int(row["batch"]) < int(batch)]
    earlier = {make_split.origin(row["source"]) for row in earlier_rows}
    before = make_split.sides(earlier_rows)
    rows = [row for row in texts if row["batch"] == batch]
    new = {make_split.origin(row["source"]) for row in rows} - earlier
    for group in new:
        assert where[group] == make_split.side(group, salt, share)
    assert {where[group] for group in new} == {"dev", "holdout"}
    for group in {make_split.origin(row["source"]) for row in rows} & earlier:
        assert where[group] == before[group]
    held = _read(f"holdout-batch{batch}.csv")
    holdout = _read("holdout.csv")
    assert all(row in holdout for row in held)
    assert len(held) == sum(where[make_split.origin(row["source"])] == "holdout" for row in rows)
    assert sum(row["label"] in OFFERS for row in held) >= offers


def test_batch_5_copies_sit_with_the_report_they_copy():
    """Syndicated copies in batch 5 join the origin of the report they copy (the collector's notes)."""
    make_split = _make_split()
    assert make_split.origin("https://bles.com/america/chile/x") == make_split.origin("https://www.ciperchile.cl/x")
    assert make_split.origin("https://imagesphotostudio.com/x") == make_split.origin("https://africa.cgtn.com/x")
    assert make_split.origin("https://mcb777.site/news/26871939/smuggling-gangs-tiktok-small-boats") == "The Sun"
    assert make_split.origin("https://mcb777.site/news/2409276/x") == "dailymail.co.uk"


def test_batch_6_copies_sit_with_the_report_they_copy_and_a_sites_other_pages_do_not():
    make_split = _make_split()
    assert make_split.origin("https://marinafradio.com/x") == "dailymail.co.uk"
    assert make_split.origin("http://canaryhotspot.com/printthread.php?t=1") == "telegraph.co.uk"
    assert make_split.origin("https://noticias-do-brasil.news/crime/crime-digital/"
                             "golpista-ameaca-adolescentes-com-nudes-revela-bbc.html") == "BBC"
    assert make_split.origin("https://noticias-do-brasil.news/crime/other.html") == "noticias-do-brasil.news"


def test_batch_3_is_a_real_batch():
    """Batch 3: at least 250 texts, 120 offers, 60 news/warnings and 50 unrelated texts."""
    labels = Counter(row["label"] for row in _read("texts.csv") if row["batch"] == "3")
    assert sum(labels.values()) >= 250
    assert sum(labels[label] for label in OFFERS) >= 120
    assert labels["news"] + labels["warning"] >= 60
    assert labels["none"] >= 50


def test_batch_2_grew_the_set():
    """Issue 15: at least 200 more texts, 120 more offers, 40 news/warnings and 40 unrelated texts."""
    labels = Counter(row["label"] for row in _read("texts.csv") if row["batch"] == "2")
    assert sum(labels.values()) >= 200
    assert sum(labels[label] for label in OFFERS) >= 120
    assert labels["news"] + labels["warning"] >= 40
    assert labels["none"] >= 40
