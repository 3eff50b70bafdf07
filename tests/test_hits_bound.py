"""What one capture written to flood the tagger may make it store and hold (docs/lexicons.md,
"Bounds"): the first HITS_PER_TERM hits of each term per field, the first INDICATORS_PER_VALUE of
each indicator value, HITS_PER_CAPTURE hit rows in all, and a "capped" note in the score's
explanation saying what was found and what stored. Ordinary text is tagged exactly as before.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter
from pathlib import Path

import orjson
import pytest

from toolkit.lexicon import Tagger, matcher, resolve
from toolkit.lexicon import tagger as tagger_module
from toolkit.lexicon.explain import explain_line
from toolkit.lexicon.indicators import INDICATORS_PER_VALUE, extract
from toolkit.lexicon.matcher import HITS_PER_TERM

EVAL = Path(__file__).parent / "eval" / "dev.csv"
REPEATS = 100_000


@pytest.fixture(scope="module")
def tagger():
    return Tagger(resolve(["default"]))


def ordinary_texts() -> list[str]:
    with open(EVAL, encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def term_id(tagger: Tagger, term: str) -> int:
    return next(tid for tid, t in enumerate(tagger.matcher.terms) if t.term == term)


def test_a_term_repeated_100000_times_keeps_its_first_hits_and_the_count(tagger):
    unit = "coyote "
    found = tagger.matcher.find(["hola", unit * REPEATS])
    coyote = term_id(tagger, "coyote")
    assert found.over == {1: {coyote: REPEATS}}
    hits = found.hits()
    assert len(hits) == HITS_PER_TERM and found.posts == [1]
    # The first occurrences, offsets intact.
    assert [(tid, start, end) for tid, start, end in hits] == [(coyote, n * len(unit), n * len(unit) + 6)
                                                              for n in range(HITS_PER_TERM)]


def test_an_emoji_and_a_glued_handle_repeated_are_bounded_too(tagger):
    for unit in ("\u2744\ufe0f ", "@CruceSeguroUSA ", "c o y o t e, "):
        found = tagger.matcher.find([unit * REPEATS])
        counts = Counter(tid for tid, _, _ in found.hits())
        assert counts and max(counts.values()) == HITS_PER_TERM, unit
        assert set(found.over[0]) == set(counts) and set(found.over[0].values()) == {REPEATS}, unit


def test_matching_holds_a_bounded_number_of_hits_on_the_way(tagger, monkeypatch):
    """The engine scans a window at a time and the hits held are capped as they pile up: never
    one row per repetition (here 100,000 repetitions, small windows, a small mid-way bound)."""
    monkeypatch.setattr(matcher, "WINDOW", 4096)
    monkeypatch.setattr(matcher, "HELD_ROWS", 1000)
    most = []
    add = matcher._Held.add

    def watched(self, tid, start, end):
        most.append(self.rows + len(tid))
        add(self, tid, start, end)

    monkeypatch.setattr(matcher._Held, "add", watched)
    text = "coyote lancha " * REPEATS
    found = tagger.matcher.find([text])
    assert max(most) <= 1000 + len(text) // 32 + 4096
    assert set(found.over[0].values()) == {REPEATS} and len(found.hits()) == 2 * HITS_PER_TERM


@pytest.mark.parametrize("engine", matcher.available_engines())
def test_windows_and_midway_caps_change_nothing_on_ordinary_text(engine, monkeypatch):
    texts = ordinary_texts()
    found = matcher.Matcher(resolve(["default"]), engine)
    whole = found.find(texts)
    monkeypatch.setattr(matcher, "WINDOW", 2048)
    monkeypatch.setattr(matcher, "HELD_ROWS", 16)
    monkeypatch.setattr(matcher, "EXTRA_ROWS", 4)
    pieces = found.find(texts)
    assert whole.hits() == pieces.hits() and whole.posts == pieces.posts
    assert whole.over == pieces.over == {}


def test_ordinary_captures_store_exactly_what_the_unbounded_tagger_stores(tagger, monkeypatch):
    rows = [(n, n, None, text) for n, text in enumerate(ordinary_texts(), 1)]
    bounded = tagger.tag_rows(rows)
    assert not any('"capped"' in score[5] for score in bounded.scores)
    monkeypatch.setattr(matcher, "HITS_PER_TERM", 10**9)
    monkeypatch.setattr(tagger_module, "HITS_PER_CAPTURE", 10**9)
    free = Tagger(resolve(["default"])).tag_rows(rows)
    assert bounded.hits == free.hits and bounded.indicators == free.indicators
    assert [score[:6] for score in bounded.scores] == [score[:6] for score in free.scores]


def test_a_flooded_capture_stores_the_bound_and_says_how_many_were_found(tagger):
    tagged = tagger.tag_rows([(1, 1, "Cuenta", "coyote " * REPEATS + "wa.me/5215512345678 " * 2000)])
    assert Counter((row[3], row[6]) for row in tagged.hits) == {("coyote", "text"): HITS_PER_TERM}
    assert Counter(row[2] for row in tagged.indicators) == {"whatsapp": INDICATORS_PER_VALUE}
    explanation = orjson.loads(tagged.scores[0][5])
    assert explanation["capped"] == [
        {"hit": "coyote", "lexicon": "smuggling_offer@3.2", "field": "text", "found": REPEATS, "stored": HITS_PER_TERM},
        {"indicator": "whatsapp", "value": "+525512345678", "field": "text", "found": 2000, "stored": INDICATORS_PER_VALUE}]
    # The score is the one the same words give unrepeated: a term counts once.
    once = tagger.tag_rows([(1, 1, "Cuenta", "coyote wa.me/5215512345678")]).scores[0]
    assert tagged.scores[0][3:5] == once[3:5]
    line = explain_line(explanation)
    assert "stored in part: term coyote in text: 100,000 found, first 50 stored" in line
    assert "whatsapp +525512345678 in text: 2,000 found, first 50 stored" in line


def test_a_capture_stores_at_most_hits_per_capture_rows(tagger, monkeypatch):
    monkeypatch.setattr(tagger_module, "HITS_PER_CAPTURE", 60)
    tagged = tagger.tag_rows([(1, 1, None, "coyote lancha " * 100)])
    assert len(tagged.hits) == 60
    stored = Counter(row[3] for row in tagged.hits)
    assert stored == {"coyote": 30, "lancha": 30}  # the first 60 by position
    capped = {entry["hit"]: (entry["found"], entry["stored"]) for entry in orjson.loads(tagged.scores[0][5])["capped"]}
    assert capped == {"coyote": (100, 30), "lancha": (100, 30)}


def test_indicators_past_the_distinct_values_bound_are_counted_by_type(monkeypatch):
    from toolkit.lexicon import indicators

    monkeypatch.setattr(indicators, "INDICATORS_PER_TEXT", 100)
    text = " ".join(f"$ {n} USD" for n in range(1, 301))
    over: dict = {}
    found = extract(text, over=over)
    assert len(found) == 100 and [i.value for i in found[:2]] == ["1 USD", "2 USD"]
    assert over == {("price", None): (200, 0)}


def test_links_in_a_flood_still_hide_their_digits_from_the_phone_reader():
    """The spans of links are looked up, not walked (a text of 100,000 links and numbers read each
    number against each link before); what is read is unchanged."""
    text = "wa.me/5215512345678 +52 55 1234 5678 $7500 USD " * 3000
    over: dict = {}
    found = extract(text, over=over)
    assert Counter(i.type for i in found) == {"whatsapp": 50, "phone": 50, "price": 50}
    assert over == {("whatsapp", "+525512345678"): (3000, 50), ("phone", "+525512345678"): (3000, 50),
                    ("price", "7500 USD"): (3000, 50)}


def test_a_flooded_place_gives_bounded_place_indicators(tagger):
    tagged = tagger.tag_rows([(1, 1, None, "Reynosa " * REPEATS)])
    assert Counter(row[2] for row in tagged.indicators) == {"place": HITS_PER_TERM}
    assert len(tagged.hits) == HITS_PER_TERM


def flood_file(folder: Path, text: str) -> Path:
    """A Zeeschuimer NDJSON file of one TikTok post (the shape of the real exports in
    shared/samples, as tests/hostile.py's `ndjson_many_causes` writes it), with `text` as its
    description."""
    record = {"nav_index": "1:1:0", "timestamp_collected": 1618567200000, "source_platform": "tiktok.com",
              "source_platform_url": "https://www.tiktok.com/",
              "data": {"id": "6944300000000000001", "desc": text, "createTime": 1616371200,
                       "author": {"uniqueId": "cuenta_1", "nickname": "Cuenta", "id": "680001"},
                       "stats": {"playCount": 1}}}
    path = folder / "flood.ndjson"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_scan_show_and_verify_on_a_flooded_capture(invoke, case, tmp_path):
    result = invoke("scan", case, flood_file(tmp_path, "coyote " * REPEATS))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(case / "case.db") as conn:
        assert conn.execute("SELECT count(*) FROM hit").fetchone()[0] == HITS_PER_TERM
        item = conn.execute("SELECT item_id FROM hit").fetchone()[0]
    shown = invoke("show", case, str(item), "--format", "csv")
    assert shown.exit_code == 0, shown.output
    assert "stored in part: term coyote in text: 100,000 found, first 50 stored" in shown.stdout
    assert shown.stdout.count(",hit,") == HITS_PER_TERM
    verified = invoke("verify", case)
    assert verified.exit_code == 0, verified.output


def test_the_offer_model_lists_a_huge_text_in_pieces_with_the_same_figures(monkeypatch):
    """A 6 MB post listed n-gram by n-gram at once took 1.8 GB for its categories and explanation;
    listed in pieces, summed in the same order, every figure is the same to the last bit."""
    from toolkit.lexicon import model

    offers = model.load_model("default")
    texts = [*ordinary_texts(), "coyote lancha wa.me/5215512345678 " * 3000]
    whole = offers.explain_categories(texts)
    assert whole == (offers.categories(texts), offers.explain_many(texts))
    pieces = []
    listed = model._pieces

    def counted(*args):
        for piece in listed(*args):
            pieces.append(len(piece.post))
            yield piece

    monkeypatch.setattr(model, "LIST_BYTES", 100)
    monkeypatch.setattr(model, "PIECE", 20_000)
    monkeypatch.setattr(model, "_pieces", counted)
    assert offers.explain_categories(texts) == whole
    assert len(pieces) > 10 and max(pieces) <= 20_000


def test_an_explanation_names_at_most_capped_listed_entries(tagger, monkeypatch):
    """Thousands of values each repeated past the bound: the first are named, the rest summed."""
    from toolkit.lexicon import indicators

    monkeypatch.setattr(indicators, "INDICATORS_PER_VALUE", 1)
    monkeypatch.setattr(tagger_module, "CAPPED_LISTED", 3)
    text = " ".join(f"$ {n} USD" for n in range(1, 11)) * 2
    capped = orjson.loads(tagger.tag_rows([(1, 1, None, text)]).scores[0][5])["capped"]
    assert [entry.get("value") for entry in capped[:3]] == ["1 USD", "2 USD", "3 USD"]
    assert capped[3] == {"more": 7, "found": 14, "stored": 7}
    assert explain_line({"capped": capped}).endswith("and 7 more: 14 found, 7 stored")


def test_a_flood_of_an_emoji_sequence_counts_each_hit_once(tagger):
    """The single emoji inside a longer emoji term were found by two passes; past the cap, the
    second pass's copies were counted again (399,950 of 200,000)."""
    matcher_ = tagger.matcher
    sequence = next(key for key in matcher_.emoji if len(key) > 1)
    found = matcher_.find([(sequence + " ") * 200_000])
    assert set(found.over[0].values()) == {200_000}
    few = (sequence + " ") * 40
    assert [hit for hit in found.hits() if hit[2] <= len(few)] == matcher_.find([few]).hits()


def test_a_field_longer_than_text_chars_is_tagged_as_its_first_part_and_says_so(tagger, monkeypatch):
    # A page can hold a 48 MB string (safeio's json_string_bytes); tagging costs ~65 bytes a
    # character, so only the first TEXT_CHARS of a field are tagged, and the explanation says so.
    monkeypatch.setattr(tagger_module, "TEXT_CHARS", 1000)
    text = "cruzamos sin papeles " + "x" * 2000 + " coyote lancha"
    texts = [text]
    tagged = tagger.tag_rows([(1, 1, "Cuenta", text)])
    assert not {"coyote", "lancha"} & {row[3] for row in tagged.hits}  # past 1,000 characters: not read
    assert "sin papeles" in {row[3] for row in tagged.hits}
    assert texts == [text]  # the caller's texts are left as they are
    explanation = orjson.loads(tagged.scores[0][5])
    assert explanation["capped"] == [{"text": "text", "length": len(text), "tagged": 1000}]
    assert "stored in part: text tagged as its first 1,000 of 2,035 characters" in explain_line(explanation)
    # A field within the bound is tagged whole, with nothing capped.
    whole = tagger.tag_rows([(1, 1, "Cuenta", text[:1000])])
    assert "capped" not in orjson.loads(whole.scores[0][5])
