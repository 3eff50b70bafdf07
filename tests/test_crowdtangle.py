"""CrowdTangle CSV and API JSON: scans of every variant, field mapping, bad inputs, real samples."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FIXTURES, sample
from toolkit.sources import crowdtangle_api
from toolkit.sources._crowdtangle import TZ_MINUTES, count, ct_time, decimal

CT = FIXTURES / "crowdtangle"


def scan(invoke, case: Path, *paths: Path | str, code: int = 0):
    result = invoke("scan", case, *paths)
    assert result.exit_code == code, result.output
    return result


def db(case: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(case / "case.db")
    conn.row_factory = sqlite3.Row
    return conn


def captures(case: Path, kind: str, key: str) -> list[dict]:
    rows = db(case).execute(
        "SELECT c.*, p.key AS parent_key, p.kind AS parent_kind FROM capture c JOIN item i ON i.id = c.item_id"
        " LEFT JOIN item p ON p.id = i.parent_id WHERE i.kind = ? AND i.key = ? ORDER BY c.id", (kind, key)).fetchall()
    out = []
    for row in rows:
        record = dict(row)
        record["fields"] = json.loads(row["fields"]) if row["fields"] else {}
        record["raw"] = json.loads(row["raw"]) if row["raw"] else None
        out.append(record)
    return out


def count_items(case: Path) -> dict[tuple[str, str], int]:
    rows = db(case).execute("SELECT platform, kind, count(*) FROM item GROUP BY platform, kind").fetchall()
    return {(p, k): n for p, k, n in rows}


# --- CSV -------------------------------------------------------------------------------------------

def test_pages_csv_maps_pages_and_posts(invoke, case):
    result = scan(invoke, case, CT / "pages.csv")
    assert "crowdtangle-csv, 5 records read, 5 mapped, 8 new items, 0 seen before, 9 captures" in result.output
    assert count_items(case) == {("facebook", "page"): 3, ("facebook", "post"): 5}
    page = captures(case, "page", "100000111000001")
    # Rows 1 and 2 show the same audience, row 3 a grown one: two page captures, not three.
    assert [(c["followers"], c["likes"], c["observed_at"]) for c in page] == [
        (13902, 12480, "2021-03-02T23:02:45Z"), (14055, 12610, "2021-03-06T02:10:00Z")]
    first = page[0]
    assert first["name"] == "Cruce Seguro a USA"
    assert first["country"] == "MX"
    assert first["created_at"] == "2019-03-01T15:15:00Z"
    assert first["text"].startswith("Viajes seguros a Estados Unidos")
    assert first["fields"] == {"at_posting": True, "handle": "cruceseguroausa", "category": "TRAVEL_COMPANY"}
    assert first["url"] == "https://www.facebook.com/100000111000001"
    (post,) = captures(case, "post", "3000000000000001")
    assert post["parent_kind"] == "page" and post["parent_key"] == "100000111000001"
    assert post["status"] == "available"
    assert post["url"] == "https://www.facebook.com/100000111000001/posts/3000000000000001"
    assert post["text"].startswith("¿Quieres cruzar? Salidas cada semana desde Tijuana.\nPrecio $3,500")
    assert post["created_at"] == "2021-03-02T23:02:45Z"
    assert post["likes"] == 988
    assert post["fields"]["total_interactions"] == 1204
    assert post["fields"]["total_interactions_weighted"] == 1204
    assert post["fields"]["overperforming_score"] == 2.35
    assert post["fields"]["type"] == "Photo"
    assert post["fields"]["link"] == "https://wa.me/525555550101"
    assert "video_length" not in post["fields"]  # N/A means none
    assert post["raw"] is None  # every column of a standard export is mapped
    (video,) = captures(case, "post", "3000000000000002")
    assert video["fields"]["post_views"] == 4512
    assert video["fields"]["video_owner"] == "Yes"
    assert video["fields"]["overperforming_score"] == -1.2


def test_unknown_columns_are_kept_raw(invoke, case, tmp_path):
    with open(CT / "pages.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0].append("Notas")
    for n, row in enumerate(rows[1:], start=1):
        row.append(f"revisar {n}" if n == 1 else "")
    edited = tmp_path / "pages-with-notes.csv"
    with open(edited, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    scan(invoke, case, edited)
    assert captures(case, "post", "3000000000000001")[0]["raw"] == {"Notas": "revisar 1"}
    assert captures(case, "post", "3000000000000002")[0]["raw"] is None


def test_row_without_url_does_not_stand_for_its_page(invoke, case, tmp_path):
    with open(CT / "pages.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("URL")] = ""  # the first row of "Cruce Seguro a USA" loses its URL
    edited = tmp_path / "pages-no-url.csv"
    with open(edited, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = scan(invoke, case, edited)
    assert "1 x no-url: row has an empty URL cell (line 2)" in " ".join(result.output.split())
    # The second row, with the same audience, now gives the page its capture.
    assert [c["followers"] for c in captures(case, "page", "100000111000001")] == [13902, 14055]


def test_groups_tsv(invoke, case):
    scan(invoke, case, CT / "groups.tsv")
    assert count_items(case) == {("facebook", "group"): 1, ("facebook", "post"): 2}
    (group,) = captures(case, "group", "200000444000004")
    assert group["name"] == "Trabajo y Cruces USA 2021"
    assert (group["members"], group["followers"]) == (8815, None)
    assert group["url"] == "https://www.facebook.com/groups/200000444000004"
    post = captures(case, "post", "4000000000000006")[0]
    assert post["created_at"] == "2021-03-07T21:20:00Z"  # 16:20 CDT
    assert post["parent_kind"] == "group"
    items = json.loads(invoke("items", case, "--format", "json").stdout)
    assert {i["url"] for i in items if i["kind"] == "post"} == {
        "https://www.facebook.com/groups/200000444000004/posts/4000000000000006",
        "https://www.facebook.com/groups/200000444000004/posts/4000000000000007"}


def test_old_header_and_unknown_zone(invoke, case):
    result = scan(invoke, case, CT / "old-header.csv")
    assert ("note: line 3: time zone 'XYZT' is unknown: its times are kept as local times, without conversion to UTC"
            in " ".join(result.output.split()))
    page = captures(case, "page", "100000555000005")
    assert [(c["name"], c["followers"], c["likes"]) for c in page] == [(None, 2311, 2045), (None, 2390, 2045)]
    assert page[0]["fields"] == {"at_posting": True, "handle": "pasesnorte"}
    known, unknown = captures(case, "post", "3000000000000008")[0], captures(case, "post", "3000000000000009")[0]
    assert known["created_at"] == "2021-02-10T19:00:00Z"  # 11:00 PST
    assert unknown["created_at"] == "2021-02-20T09:15:00"
    assert unknown["fields"]["time_zone"] == "XYZT"
    assert known["fields"]["total_interactions"] == 164


def test_dates_without_zone(invoke, case, tmp_path):
    text = (CT / "old-header.csv").read_text(encoding="utf-8-sig").replace(" PST", "").replace(" XYZT", "")
    plain = tmp_path / "no-zone.csv"
    plain.write_text(text, encoding="utf-8")
    result = scan(invoke, case, plain)
    assert ("note: line 2: Created has no time zone: its times are kept as local times, without conversion to UTC"
            in " ".join(result.output.split()))
    assert captures(case, "post", "3000000000000008")[0]["created_at"] == "2021-02-10T11:00:00"


def test_instagram_csv(invoke, case):
    scan(invoke, case, CT / "instagram.csv")
    assert count_items(case) == {("instagram", "profile"): 1, ("instagram", "post"): 2}
    profile = captures(case, "profile", "cruces.seguros.mx")
    assert [(c["name"], c["followers"]) for c in profile] == [("Cruces Seguros MX", 5210), ("Cruces Seguros MX", 5260)]
    assert profile[0]["url"] == "https://www.instagram.com/cruces.seguros.mx/"
    photo = captures(case, "post", "CMx0Ab1Cd2E")[0]
    assert photo["text"].startswith("Viaje seguro a USA")
    assert photo["created_at"] == "2021-03-10T02:00:00Z"  # 20:00 CST the day before
    assert photo["likes"] == 340
    assert photo["fields"]["score"] == 1.7
    reel = captures(case, "post", "CMy9Zz8Yy7X")[0]
    assert reel["url"] == "https://www.instagram.com/reel/CMy9Zz8Yy7X/"
    assert reel["fields"]["views"] == 7430
    assert reel["parent_key"] == "cruces.seguros.mx"


def test_history_csv_is_explained(invoke, case):
    result = scan(invoke, case, CT / "history.csv", code=1)
    assert f"Error: {CT / 'history.csv'}:1: a CrowdTangle per-post interaction history, not a posts export" in (
        " ".join(result.output.split()))
    assert "export the list of posts instead" in result.output


def test_missing_required_column(invoke, case):
    result = scan(invoke, case, CT / "missing-url.csv", code=1)
    text = " ".join(result.output.split())
    assert f"Error: {CT / 'missing-url.csv'}:1: CrowdTangle Facebook CSV without the column(s) URL" in text
    assert "the header must include Facebook Id, URL, Post Created" in text
    assert db(case).execute("SELECT count(*) FROM source").fetchone()[0] == 0


def test_truncated_csv_keeps_whole_rows(invoke, case):
    result = scan(invoke, case, CT / "truncated.csv")
    text = " ".join(result.output.split())
    assert "2 records read, 2 mapped" in text
    assert "1 x short-row: 31 cells for 41 columns (file cut off, or a quote left open?) (line 9)" in text


def test_wrong_format(invoke, case):
    result = scan(invoke, case, "--format", "crowdtangle-api", CT / "pages.csv", code=1)
    assert f"Error: {CT / 'pages.csv'}: does not look like crowdtangle-api" in " ".join(result.output.split())
    result = scan(invoke, case, "--format", "crowdtangle-csv", CT / "api-posts.json", code=1)
    assert f"Error: {CT / 'api-posts.json'}: does not look like crowdtangle-csv" in " ".join(result.output.split())


def test_export_time_from_file_name(invoke, case, tmp_path):
    named = tmp_path / "2021-03-20-10-00-00-EDT-search-csv-export.csv"
    shutil.copy(CT / "pages.csv", named)
    scan(invoke, case, named)
    assert db(case).execute("SELECT collected_at FROM source").fetchone()[0] == "2021-03-20T14:00:00Z"
    # A post capture is observed when the export was made.
    assert captures(case, "post", "3000000000000001")[0]["observed_at"] == "2021-03-20T14:00:00Z"


def test_url_list_csv_is_not_crowdtangle(invoke, case, tmp_path):
    plain = tmp_path / "list.csv"
    plain.write_text("url,name\nhttps://www.facebook.com/cruceseguroausa,Cruce\n", encoding="utf-8")
    result = scan(invoke, case, plain)
    assert "urls, 1 records read" in result.output


# --- API JSON --------------------------------------------------------------------------------------

def test_api_envelope(invoke, case):
    scan(invoke, case, CT / "api-posts.json")
    assert count_items(case) == {("facebook", "page"): 1, ("facebook", "group"): 1, ("facebook", "post"): 2,
                                 ("instagram", "profile"): 1, ("instagram", "post"): 1}
    (page,) = captures(case, "page", "100000111000001")
    assert (page["name"], page["followers"], page["country"]) == ("Cruce Seguro a USA", 14120, "MX")
    assert page["created_at"] == "2019-03-01T15:15:00Z"
    assert page["fields"]["category"] == "TRAVEL_COMPANY"
    assert page["fields"]["account_type"] == "facebook_page"
    (post,) = captures(case, "post", "3000000000000001")
    assert post["parent_key"] == "100000111000001"
    assert post["created_at"] == "2021-03-02T23:02:45Z"
    assert post["likes"] == 988
    assert post["fields"]["comment_count"] == 87
    assert post["fields"]["followers_at_posting"] == 13902
    assert post["fields"]["expanded_links"] == ["https://api.whatsapp.com/send?phone=525555550101"]
    assert post["fields"]["media"] == ["https://scontent.example/m1-full.jpg"]
    (group,) = captures(case, "group", "200000444000004")
    assert (group["members"], group["followers"]) == (8990, None)
    (ig,) = captures(case, "post", "CMx0Ab1Cd2E")
    assert ig["likes"] == 340 and ig["parent_key"] == "cruces.seguros.mx"
    assert ig["text"].startswith("Viaje seguro a USA")


def test_api_bare_post_and_list(invoke, case):
    scan(invoke, case, CT / "api-post.json", CT / "api-list.json")
    (video,) = captures(case, "post", "3000000000000002")
    assert video["fields"]["video_length_ms"] == 72000
    # Two posts in the list show the same account state: one account capture.
    assert [c["followers"] for c in captures(case, "page", "100000111000001")] == [14120, 14500]


def test_api_and_csv_meet_on_the_same_items(invoke, case):
    scan(invoke, case, CT / "pages.csv")
    result = scan(invoke, case, CT / "api-posts.json")
    assert "4 new items, 2 seen before" in result.output
    assert len(captures(case, "post", "3000000000000001")) == 2


def test_api_not_found(invoke, case):
    result = scan(invoke, case, CT / "100000111000001_3000000000000003.json", CT / "not-found-request.json",
                  CT / "not-found.json")
    (named,) = captures(case, "post", "3000000000000003")
    assert (named["status"], named["status_marker"], named["status_place"]) == ("unavailable", "Post not found", "api:notes")
    assert named["url"] == "https://www.facebook.com/permalink.php?story_fbid=3000000000000003&id=100000111000001"
    (asked,) = captures(case, "post", "3000000000000004")
    assert asked["status"] == "unavailable"
    assert asked["url"] == "https://www.facebook.com/100000222000002/posts/3000000000000004"
    assert ("note: CrowdTangle answered 'Post not found' without saying which post was asked for; name the file "
            "after the post (<pageid>_<postid>.json) to record it as unavailable") in " ".join(result.output.split())


def test_api_sniff_wants_a_whole_answer():
    api = crowdtangle_api.CrowdTangleApi()
    assert api.sniff(Path("x.json"), b'{"status":200,"notes":"Post not found"}')
    assert api.sniff(Path("x.json"), b'[{"status":200,"notes":"Post not found"}]')
    ndjson = b'{"status": 1, "notes": "a"}\n{"status": 2, "notes": "b"}\n'
    assert not api.sniff(Path("x.ndjson"), ndjson)
    assert not api.sniff(Path("x.json"), b'{"status": "ok", "notes": "a"}')


def test_api_truncated(invoke, case):
    result = scan(invoke, case, CT / "truncated.json", code=1)
    assert (f"Error: {CT / 'truncated.json'}:66: not valid JSON (unexpected end of data, column 3)"
            in " ".join(result.output.split()))


def test_api_streaming_large_files(invoke, case, monkeypatch):
    monkeypatch.setattr(crowdtangle_api, "WHOLE_LIMIT", 0)
    result = scan(invoke, case, CT / "api-posts.json", CT / "api-list.json")
    assert "3 records read, 3 mapped" in result.output and "2 records read, 2 mapped" in result.output
    assert len(captures(case, "post", "3000000000000011")) == 1
    result = scan(invoke, case, CT / "truncated.json", code=1)
    assert f"Error: {CT / 'truncated.json'}: not valid JSON" in " ".join(result.output.split())


# --- real samples (skipped when ../shared/samples is absent) ---------------------------------------

def test_sample_search_export(invoke, case):
    path = sample("crowdtangle_csv", "willdoliver_2021-07-05-22-49-20-BRT-search-csv-export.csv")
    result = scan(invoke, case, path)
    assert "10 records read, 10 mapped" in result.output
    assert db(case).execute("SELECT collected_at FROM source").fetchone()[0] == "2021-07-06T01:49:20Z"
    (post,) = captures(case, "post", "345428873810280")
    assert post["created_at"] == "2021-07-05T21:02:45Z"  # 18:02:45 BRT
    assert post["fields"]["total_interactions"] == 407137
    assert post["fields"]["overperforming_score"] == 1.4
    assert post["parent_key"] == "100050295107499"
    (page,) = captures(case, "page", "100050295107499")
    assert page["followers"] == 81438971 and page["country"] == "BR"
    assert "\n" in page["text"]  # quoted newlines survive


def test_sample_history(invoke, case):
    path = sample("crowdtangle_csv", "willdoliver_history_post_3758007754304128.csv")
    result = scan(invoke, case, path, code=1)
    assert "a CrowdTangle per-post interaction history, not a posts export" in " ".join(result.output.split())


def test_sample_api(invoke, case):
    video = sample("crowdtangle_api_json", "pender_crowdtangle-response_video.json")
    mock = sample("crowdtangle_api_json", "phoenix_crowdtangle_mock_data.json")
    missing = sample("crowdtangle_api_json", "pender_crowdtangle-response_not-found.json")
    result = scan(invoke, case, video, mock, missing)
    (post,) = captures(case, "post", "1127489833985824")
    assert post["parent_key"] == "144585402276277"
    assert post["created_at"] == "2016-10-05T11:15:30Z"
    assert post["fields"]["share_count"] == 18692
    assert "2 records read, 2 mapped" in result.output
    assert "CrowdTangle answered 'Post not found' without saying which post" in " ".join(result.output.split())


# --- parsers ---------------------------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([".", ",", " ", "\u00a0", ""]))
def test_count_reads_grouped_numbers(number, separator):
    text = f"{number:,}".replace(",", separator)
    assert count(text) == number


@pytest.mark.parametrize("text", ["1,4", "12.5", "N/A", "", "-", "1.2K", "12,34"])
def test_count_refuses_non_counts(text):
    assert count(text) is None


@given(st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_decimal_reads_both_locales(whole, cents):
    sign = "-" if whole < 0 else ""
    value = abs(whole) + cents / 100
    comma = f"{sign}{abs(whole):,}.{cents:02d}".replace(",", "_").replace(".", ",").replace("_", ".")
    dot = f"{sign}{abs(whole):,}.{cents:02d}"
    expected = -value if whole < 0 else value
    assert decimal(comma) == pytest.approx(expected)
    assert decimal(dot) == pytest.approx(expected)


@given(st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0)),
       st.sampled_from(sorted(TZ_MINUTES)))
def test_ct_time_converts_known_zones(moment, zone):
    iso, found, known = ct_time(f"{moment:%Y-%m-%d %H:%M:%S} {zone}")
    assert (found, known) == (zone, True)
    assert iso == (moment - timedelta(minutes=TZ_MINUTES[zone])).isoformat() + "Z"


# --- evidence copies, made alongside the import (toolkit/scan/pipeline.py) ---------------------------

def test_evidence_copy_of_an_imported_file(invoke, case):
    scan(invoke, case, CT / "pages.csv")
    sha = hashlib.sha256((CT / "pages.csv").read_bytes()).hexdigest()
    assert db(case).execute("SELECT evidence FROM source").fetchone()[0] == sha
    copy = case / "evidence" / sha[:2] / f"{sha}.gz"
    assert gzip.decompress(copy.read_bytes()) == (CT / "pages.csv").read_bytes()


def test_no_evidence_left_by_a_failed_import(invoke, case):
    scan(invoke, case, CT / "missing-url.csv", code=1)
    assert [p for p in (case / "evidence").rglob("*") if p.is_file()] == []


# --- the capture writer's item bookkeeping (toolkit/store/writer.py) ----------------------------------

def test_writer_fills_gaps_and_widens_times(case):
    from toolkit.models import Capture, ItemRef, Kind
    from toolkit.store import transaction
    from toolkit.store.db import connect
    from toolkit.store.writer import CaptureWriter

    conn = connect(case / "case.db")
    page_bare = ItemRef("facebook", Kind.PAGE, "100000111000001", None)
    page = ItemRef("facebook", Kind.PAGE, "100000111000001", "https://www.facebook.com/100000111000001")
    post = ItemRef("facebook", Kind.POST, "3000000000000001", "https://www.facebook.com/100000111000001/posts/3000000000000001")
    with transaction(conn):
        writer = CaptureWriter(conn, None, "2021-04-01T00:00:00Z")
        first = writer.write([Capture(item=page_bare, observed_at="2021-03-05T00:00:00Z")])
        # The page only as a parent: its missing URL is filled all the same.
        second = writer.write([Capture(item=post, parent=page, observed_at="2021-03-06T00:00:00Z")])
        url = conn.execute("SELECT url FROM item WHERE id = 1").fetchone()[0]
        third = writer.write([Capture(item=page, name="Cruce Seguro a USA", observed_at="2021-03-01T00:00:00Z")])
    assert url == "https://www.facebook.com/100000111000001"
    assert [w.item_id for w in first + second + third] == [1, 2, 1]
    assert [w.capture_id for w in first + second + third] == [1, 2, 3]
    assert (writer.items_new, writer.items_seen, writer.captures) == (2, 0, 3)
    row = conn.execute("SELECT name, first_seen, last_seen FROM item WHERE id = 1").fetchone()
    assert tuple(row) == ("Cruce Seguro a USA", "2021-03-01T00:00:00Z", "2021-03-05T00:00:00Z")
    assert conn.execute("SELECT parent_id FROM item WHERE id = 2").fetchone()[0] == 1
