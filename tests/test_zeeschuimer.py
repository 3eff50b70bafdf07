"""Zeeschuimer NDJSON: TikTok, Instagram (three shapes) and Facebook stories, and broken lines."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, ROOT, sample
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.models import Kind, Status
from toolkit.sources.base import MapError, ReadContext
from toolkit.sources.registry import detect, get

MIXED = FIXTURES / "zeeschuimer" / "mixed.ndjson"
PRETTY = FIXTURES / "zeeschuimer" / "instagram-pretty.json"
EXAMPLE = ROOT / "cases" / "example" / "exports" / "zeeschuimer-tiktok-2021-03.ndjson"


def db(case: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(case / "case.db")
    conn.row_factory = sqlite3.Row
    return conn


def item(conn, platform, kind, key):
    row = conn.execute("SELECT * FROM item WHERE platform = ? AND kind = ? AND key = ?", (platform, kind, key)).fetchone()
    assert row is not None, (platform, kind, key)
    return row


def capture(conn, item_row):
    row = conn.execute("SELECT * FROM capture WHERE item_id = ? ORDER BY id DESC", (item_row["id"],)).fetchone()
    return row, orjson.loads(row["fields"]) if row["fields"] else {}


def test_detected_by_content():
    assert detect(MIXED).name == "zeeschuimer"
    assert detect(PRETTY).name == "zeeschuimer"
    assert detect(EXAMPLE).name == "zeeschuimer"


def test_mixed_export(case, invoke):
    before = MIXED.read_bytes()
    result = invoke("scan", case, MIXED)
    assert MIXED.read_bytes() == before  # inputs are never modified
    assert result.exit_code == 0, result.output
    assert "zeeschuimer, 9 records read, 7 mapped, 12 new items, 0 seen before, 14 captures, 4 failed" in result.output
    assert "1 x instagram-ad: an ad shown in the feed, not a post (line 6)" in result.output
    assert "1 x not-json: line is not JSON (unexpected character, expected a JSON value) (line 9)" in result.output
    assert ("1 x unsupported-platform 9gag.com: source_platform '9gag.com': toolkit reads facebook.com, "
            "instagram.com, tiktok.com (line 10)") in result.output
    assert "1 x truncated-line: the last line is cut off mid-record (the export did not finish) (line 11)" in result.output
    conn = db(case)
    source = conn.execute("SELECT * FROM source").fetchone()
    assert (source["records_read"], source["records_mapped"], source["records_failed"]) == (9, 7, 4)
    assert source["importer"] == "zeeschuimer@1"
    assert source["collected_at"] == "2021-04-16T11:00:08Z"  # the latest record seen in the file

    # TikTok: video with its author's profile; counts, overlays and hashtags kept.
    profile = item(conn, "tiktok", "profile", "pasadas.rapidas")
    video = item(conn, "tiktok", "video", "6944200000000000001")
    assert video["parent_id"] == profile["id"]
    assert video["url"] == "https://www.tiktok.com/@pasadas.rapidas/video/6944200000000000001"
    cap, fields = capture(conn, video)
    assert cap["observed_at"] == "2021-04-16T11:00:00Z"
    assert cap["created_at"] == "2021-04-13T07:46:40Z"
    assert cap["text"] == "Salimos cada viernes, cupo limitado #cruce\nPASE GARANTIZADO"
    assert cap["likes"] == 50 and cap["status"] == "available"
    assert fields["play_count"] == 700 and fields["comment_count"] == 4 and fields["share_count"] == 1
    assert fields["stickers"] == ["PASE GARANTIZADO"] and fields["hashtags"] == ["cruce"]
    assert json.loads(cap["raw"])["source_platform"] == "tiktok.com"
    pcap, _pfields = capture(conn, profile)
    assert pcap["name"] == "Pasadas Rápidas"
    # the newest capture of the profile comes from the older record shape, which has no author stats
    followers = conn.execute("SELECT followers FROM capture WHERE item_id = ? AND followers IS NOT NULL",
                             (profile["id"],)).fetchone()[0]
    assert followers == 3100
    # Older shape: author is a string, counts are strings in statsV2.
    old_cap, old_fields = capture(conn, item(conn, "tiktok", "video", "6944200000000000002"))
    assert old_cap["likes"] == 77 and old_fields["play_count"] == 1200
    assert old_cap["created_at"] == "2021-04-14T11:33:20Z"

    # Instagram: item list, graph and Polaris shapes, all posts keyed by shortcode under one profile.
    ig_profile = item(conn, "instagram", "profile", "cruce.seguro.usa")
    for code in ("CNcRuce0001", "CNcRuce0002"):
        assert item(conn, "instagram", "post", code)["parent_id"] == ig_profile["id"]
    listed, listed_fields = capture(conn, item(conn, "instagram", "post", "CNcRuce0001"))
    assert (listed["likes"], listed_fields["comment_count"], listed["created_at"]) == (230, 41, "2021-04-12T04:00:00Z")
    assert listed_fields["media_type"] == "carousel" and listed_fields["location"] == "Reynosa, Tamaulipas"
    assert listed_fields["hashtags"] == ["viajesusa", "cruce"] and listed_fields["usertags"] == ["guia.norte.ej"]
    graph, graph_fields = capture(conn, item(conn, "instagram", "post", "CNcRuce0002"))
    assert (graph["likes"], graph_fields["comment_count"], graph_fields["play_count"]) == (98, 7, 1500)
    assert graph["text"] == "Otro grupo llegó bien ✅ #cruce"
    polaris, polaris_fields = capture(conn, item(conn, "instagram", "post", "CNcRuce0003"))
    assert polaris["created_at"] is None and polaris["likes"] is None  # absent, not invented
    assert polaris_fields["play_count"] == 400 and polaris_fields["media_type"] == "video"
    assert conn.execute("SELECT followers FROM capture WHERE item_id = ? AND followers IS NOT NULL",
                        (ig_profile["id"],)).fetchone()[0] == 8700

    # Facebook: a page's post (parent keyed by the page id), and a group post (parent: the group).
    page = item(conn, "facebook", "page", "100064000000001")
    assert page["name"] == "Cruce Seguro a USA"
    post = item(conn, "facebook", "post", "3000000000000001")
    assert post["parent_id"] == page["id"]
    post_cap, post_fields = capture(conn, post)
    assert post_cap["created_at"] == "2021-04-11T00:13:20Z"
    assert post_fields["photos"] == ["4000000000000001"]
    group = item(conn, "facebook", "group", "555000111")
    group_post = item(conn, "facebook", "post", "3000000000000002")
    assert group_post["parent_id"] == group["id"]
    assert capture(conn, group_post)[1]["author"] == "Miembro Ejemplo"


def test_pretty_printed_record(case, invoke):
    result = invoke("scan", case, PRETTY)
    assert result.exit_code == 0, result.output
    assert "1 records read, 1 mapped, 2 new items" in result.output
    conn = db(case)
    assert item(conn, "instagram", "post", "CNcPretty01")["parent_id"] == item(
        conn, "instagram", "profile", "viajes.del.norte.ej")["id"]


def test_pretty_printed_record_cut_off(case, invoke, tmp_path):
    lines = PRETTY.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "cut.json"
    broken.write_text("".join(lines[:-6]), encoding="utf-8")
    result = invoke("scan", case, broken)
    assert result.exit_code == 1
    assert (f"Error: {broken}: no records could be imported: the file ends inside a record "
            "(the export did not finish) (line 1)") in result.output


def test_only_a_truncated_line(case, invoke, tmp_path):
    whole = MIXED.read_bytes().splitlines()[0]
    broken = tmp_path / "cut.ndjson"
    broken.write_bytes(whole[: len(whole) // 2])
    result = invoke("scan", case, broken)
    assert result.exit_code == 1
    assert (f"Error: {broken}: no records could be imported: the last line is cut off mid-record "
            "(the export did not finish) (line 1)") in result.output
    assert "Check that the file is a complete export of the format zeeschuimer" in result.output
    assert sqlite3.connect(case / "case.db").execute("SELECT count(*) FROM source").fetchone()[0] == 0


def test_example_export(case, invoke):
    result = invoke("scan", case, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "10 records read, 10 mapped, 16 new items" in result.output
    conn = db(case)
    videos = conn.execute("SELECT count(*) FROM item WHERE kind = 'video' AND parent_id IS NOT NULL").fetchone()[0]
    assert videos == 10


def test_map_is_pure_and_names_causes():
    importer = get("zeeschuimer")
    with pytest.raises(MapError) as err:
        importer.map({"source_platform": "douyin.com", "data": {}})
    assert err.value.cause == "unsupported-platform douyin.com"
    with pytest.raises(MapError) as err:
        importer.map([1, 2])
    assert err.value.cause == "not-a-record"
    with pytest.raises(MapError) as err:
        importer.map({"source_platform": "tiktok.com", "data": {"id": "x"}})
    assert err.value.cause == "no-video-id"
    odd = importer.map({"source_platform": "tiktok.com", "data": {"id": "69441000000001", "stickersOnItem": [{"stickerText": 5}]}})
    assert odd[-1].text is None and "stickers" not in odd[-1].fields
    with pytest.raises(MapError) as err:
        importer.map({"source_platform": "facebook.com", "data": {"__typename": "Comment"}})
    assert err.value.cause == "not-a-story"
    record = orjson.loads(MIXED.read_bytes().splitlines()[0])
    first, second = importer.map(record), importer.map(record)
    assert [c.item for c in first] == [c.item for c in second]
    assert [c.item.kind for c in first] == [Kind.PROFILE, Kind.VIDEO]
    assert first[1].status == Status.AVAILABLE and first[1].parent == first[0].item


def test_read_streams(tmp_path):
    """Records come out before the file has been read to its end."""
    line = MIXED.read_bytes().splitlines()[0] + b"\n"
    big = tmp_path / "big.ndjson"
    with open(big, "wb") as out:
        for _ in range(3000):
            out.write(line)
    ctx = ReadContext(path=big)
    records = get("zeeschuimer").read(big, ctx)
    number, record = next(records)
    assert number == 1 and record["source_platform"] == "tiktok.com"
    assert ctx.position < big.stat().st_size / 4
    assert sum(1 for _ in records) == 2999
    records.close()


def test_real_tiktok_sample(case, invoke):
    path = sample("zeeschuimer_ndjson", "tiktok_jorisheijkant_tiktok-test.ndjson")
    result = invoke("scan", case, path)
    assert result.exit_code == 0, result.output
    assert "96 records read, 96 mapped" in result.output and "failed" not in result.output
    conn = db(case)
    orphans = conn.execute("SELECT count(*) FROM item WHERE kind = 'video' AND parent_id IS NULL").fetchone()[0]
    undated = conn.execute("SELECT count(*) FROM capture c JOIN item i ON i.id = c.item_id"
                           " WHERE i.kind = 'video' AND c.created_at IS NULL").fetchone()[0]
    assert (orphans, undated) == (0, 0)
    assert conn.execute("SELECT count(*) FROM capture WHERE followers IS NOT NULL").fetchone()[0] > 0


def test_real_instagram_sample(case, invoke):
    path = sample("zeeschuimer_ndjson", "instagram_jorisheijkant_example_instagram_item.json")
    result = invoke("scan", case, path)
    assert result.exit_code == 0, result.output
    assert "1 records read, 1 mapped, 2 new items" in result.output
    conn = db(case)
    post = conn.execute("SELECT * FROM item WHERE platform = 'instagram' AND kind = 'post'").fetchone()
    assert post["parent_id"] is not None and post["url"].startswith("https://www.instagram.com/p/")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=10,
)
KEYS = ["id", "desc", "createTime", "author", "authorStats", "stats", "statsV2", "stickersOnItem", "textExtra",
        "challenges", "code", "shortcode", "caption", "user", "owner", "taken_at", "like_count", "__typename",
        "comet_sections", "post_id", "edge_media_to_caption", "usertags", "carousel_media", "location"]


# Records that pass each mapper's identity check, with anything at all in the other fields.
REQUIRED = {
    "tiktok.com": {"id": "6944100000000000001"},
    "instagram.com": {"code": "CNcRuce0001"},
    "facebook.com": {"__typename": "Story", "post_id": "3000000000000001"},
}
shaped = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)
comet = st.fixed_dictionaries({"content": st.fixed_dictionaries({"story": shaped}),
                               "context_layout": json_values}).map(lambda d: {"comet_sections": d})


@given(st.sampled_from(sorted(REQUIRED)), shaped, comet, json_values)
@settings(max_examples=100)
def test_map_never_raises_anything_but_map_error(platform, data, sections, stamp):
    importer = get("zeeschuimer")
    record = {**data, **(sections if platform == "facebook.com" else {}), **REQUIRED[platform]}
    try:
        captures = importer.map({"source_platform": platform, "timestamp_collected": stamp, "data": record})
    except MapError as exc:
        # Refused for a stated reason (two different authors, an unusable post id), never a crash.
        assert exc.cause in {"owner-mismatch", "no-post-id"}, exc.detail
    else:
        assert captures[-1].item.kind in {Kind.VIDEO, Kind.POST}


@given(st.lists(st.binary(max_size=40) | st.sampled_from([b"{", b"}", b"", b'{"a": 1}', b"[1]"]), max_size=12))
@settings(max_examples=200)
def test_reader_counts_what_it_cannot_read(tmp_path_factory, chunks):
    path = tmp_path_factory.mktemp("zs") / "odd.ndjson"
    path.write_bytes(b"\n".join(chunks))
    ctx = ReadContext(path=path)
    records = list(get("zeeschuimer").read(path, ctx))
    assert all(isinstance(number, int) and number >= 1 for number, _ in records)
    for entry in ctx.failures.values():
        assert entry[0] >= 1 and entry[1].line is not None


def test_a_mapper_crash_is_one_counted_failure(monkeypatch):
    """Platforms change their JSON without notice: a shape no mapper foresaw costs one record, not the file."""
    from toolkit.sources import _zeeschuimer_items

    def broken(data, observed):
        return data["missing"]

    monkeypatch.setitem(_zeeschuimer_items.MAPPERS, "tiktok.com", broken)
    with pytest.raises(MapError) as err:
        get("zeeschuimer").map({"source_platform": "tiktok.com", "data": {}})
    assert (err.value.cause, err.value.detail) == ("unexpected-tiktok.com-shape", "KeyError: 'missing'")


def test_bom_crlf_and_blank_lines(case, invoke, tmp_path):
    lines = MIXED.read_bytes().splitlines()[:2]
    path = tmp_path / "windows.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n\r\n".join(lines) + b"\r\n")
    result = invoke("scan", case, path)
    assert result.exit_code == 0, result.output
    assert f"{path}: zeeschuimer, 2 records read, 2 mapped, 3 new items, 0 seen before, 4 captures\n" in result.output
