"""The rough edges a new researcher tripped over (issue 20), one test per moment: each shows the new
behaviour and that the old one is gone.

Filters that say when they match nothing, reasons beside statuses, notices that can be checked and
voided, a review queue above a threshold, hints that fit the cause, and Markdown without stray
backslashes. Every page and archive here is synthetic (fictional names), in the formats of saved
Facebook pages and Webrecorder WARCs.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from _recheck_server import RecheckServer, add_item
from conftest import FIXTURES
from review_data import populate
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

FAST = ["--interval", "0.05", "--timeout", "1", "--connect-timeout", "1", "--retries", "0"]


def rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def ids(case):
    return populate(case)  # facebook pages and a group, a TikTok video; scores 1-10


# --- 1. filters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["Facebook", "FACEBOOK", "fb", "facebook"])
def test_platform_filter_takes_any_case_and_short_names(invoke, case, ids, word):
    found = rows(invoke("items", case, "--platform", word, "--format", "json"))
    assert {i["platform"] for i in found} == {"facebook"} and len(found) == 4  # before: [] for Facebook and fb


def test_plural_kinds_and_verdict_words_in_any_case(invoke, case, ids):
    assert len(rows(invoke("items", case, "--kind", "pages", "--format", "json"))) == 3  # before: []
    assert len(rows(invoke("items", case, "--kind", "Groups", "--format", "json"))) == 1
    assert rows(invoke("items", case, "--category", "Smuggling_Offer", "--format", "json"))


@pytest.mark.parametrize(("command", "option", "word", "message"), [
    ("items", "--platform", "facebok", "Error: --platform: unknown platform 'facebok'; did you mean facebook?"),
    ("items", "--kind", "pgae", "Error: --kind: unknown kind 'pgae'; did you mean page?"),
    ("items", "--verdict", "violatin", "Error: --verdict: unknown verdict 'violatin'; did you mean violating?"),
    ("items", "--channel", "in app", None),  # a valid channel: spaces read as underscores
    ("review", "--platform", "facebok", "did you mean facebook?"),
    ("review", "--kind", "vidoe", "did you mean video?"),
    ("recheck", "--kind", "chanel", "did you mean channel?"),
    ("recheck", "--platform", "tik tok", "did you mean tiktok?"),
])
def test_an_unknown_word_is_refused_with_the_choices(invoke, case, ids, command, option, word, message):
    result = invoke(command, case, option, word, *(["--reviewer", "ana"] if command == "review" else []),
                    input="q")
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Use one of:" in result.output


def test_a_filter_that_matches_nothing_says_so(invoke, case, ids):
    result = invoke("items", case, "--platform", "telegram")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # before: an empty table, as if the search had found nothing
    assert "No items match --platform telegram (the case holds 5 items)" in result.stderr
    assert "This case has no telegram items; its platforms: facebook (4), tiktok (1)" in result.stderr
    # Scripts still get an empty array.
    assert rows(invoke("items", case, "--platform", "tg", "--format", "json")) == []


def test_detect_takes_a_short_platform_name(invoke):
    page = FIXTURES / "singlefile" / "page_cruce_seguro.html"
    assert rows(invoke("detect", page, "--platform", "FB", "--format", "json"))[0]["platform"] == "facebook"
    result = invoke("detect", page, "--platform", "facebok")
    assert result.exit_code == 2 and "did you mean facebook?" in result.output


# --- 2. a reason beside every status -------------------------------------------------------------

def test_live_summary_waves_items_and_show_give_the_reason(invoke, case):
    with RecheckServer(hosts=1) as server:
        add_item(case, "facebook", server.base(0) + "/always503")
        add_item(case, "facebook", server.base(0) + "/fb/unavailable-es")
        gone = add_item(case, "facebook", "http://127.0.0.1:9/closed")  # nothing listens: connect-error
        result = invoke("recheck", case, "--all", "--wave", "w1", *FAST)
    assert result.exit_code == 0, result.output
    # The live summary: counts, and the reasons behind them (before: "error 2" and nothing else).
    assert "reasons" in result.stdout.splitlines()[2]
    summary = rows(invoke("recheck", case, "--all", "--wave", "w1", *FAST, "--format", "json"))  # resumed: no fetch
    assert [(r["error"], r["unavailable"], r["reasons"]) for r in summary] == [
        (2, 1, "error: connect-error 1, http-503 1; unavailable: content-unavailable 1")]
    per_item = rows(invoke("waves", case, "--items", "--format", "json"))
    assert {(r["status"], r["reason"]) for r in per_item} >= {("error", "http-503"), ("error", "connect-error")}
    table = invoke("waves", case, "--items")
    header = table.stdout.splitlines()[1]
    assert header.index("status") < header.index("reason") < header.index("observed_at")  # beside it
    listed = {i["id"]: i for i in rows(invoke("items", case, "--format", "json"))}
    assert (listed[gone]["status"], listed[gone]["reason"]) == ("error", "connect-error")
    shown = invoke("show", case, str(gone), "--format", "csv")
    assert "error · (connect-error)" in shown.stdout
    # The report's item table too: each wave's status, then its reason.
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 'ana', ?)",
                     (gone, "2021-04-12T00:00:00Z"))
    conn.close()
    out = case.parent / "report"
    assert invoke("report", case, "--output", out, "--format", "csv").exit_code == 0
    header, row = list(csv.reader(io.StringIO((out / "items.csv").read_text(encoding="utf-8-sig"))))
    assert header[header.index("status:w1") + 1] == "reason:w1"
    assert (row[header.index("status:w1")], row[header.index("reason:w1")]) == ("error", "connect-error")


def test_detect_table_has_the_reason_beside_the_status(invoke):
    result = invoke("detect", FIXTURES / "singlefile" / "page_cruce_seguro_unavailable.html",
                    FIXTURES / "singlefile" / "group_login_wall.html")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    assert header.index("status") < header.index("reason") < header.index("marker")
    assert "content-unavailable" in result.stdout and "login-wall" in result.stdout
    table = list(csv.reader(io.StringIO(invoke("detect", FIXTURES / "singlefile" / "group_login_wall.html",
                                               "--format", "csv").stdout)))
    assert table[0][table[0].index("status") + 1] == "reason" and table[1][table[0].index("reason")] == "login-wall"


def test_items_says_never_captured_where_nothing_shows_the_state(invoke, case, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/nadie.ejemplo\n", encoding="utf-8")
    assert invoke("scan", case, urls).exit_code == 0
    result = invoke("items", case)
    assert result.exit_code == 0, result.output
    assert "never captured" in result.stdout  # before: an empty status cell, no word why
    assert rows(invoke("items", case, "--format", "json"))[0]["status"] is None  # scripts keep null


# --- 3. notices: impossible dates refused, voids ---------------------------------------------------

def test_flag_refuses_a_future_date_unless_forced(invoke, case, ids):
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    result = invoke("flag", case, "1", "--channel", "in_app", "--at", future)
    assert result.exit_code == 2, result.output  # before: recorded
    assert f"{future} is in the future" in result.output and "--force" in result.output
    assert rows(invoke("items", case, "--noticed", "--format", "json")) == []
    tomorrow = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert invoke("flag", case, "1", "--channel", "in_app", "--at", tomorrow).exit_code == 0  # a day's slack
    assert invoke("flag", case, "2", "--channel", "in_app", "--at", future, "--force").exit_code == 0


def test_flag_refuses_a_date_before_the_first_capture(invoke, case, ids, tmp_path):
    # The populated items were captured on 2021-04-10.
    result = invoke("flag", case, "1", "2", "--channel", "in_app", "--at", "2021-04-01")
    assert result.exit_code == 2, result.output
    assert "2021-04-01 is before item 1 was first captured (2021-04-10)" in result.output
    assert "nothing recorded" in result.output
    sheet = tmp_path / "notices.csv"
    sheet.write_text("item,noticed_at,channel\n1,2021-04-01,in_app\n2,2021-04-10,in_app\n", encoding="utf-8")
    result = invoke("flag", case, "--from", sheet)
    assert result.exit_code == 1
    assert f"{sheet}:2: 2021-04-01 is before item 1 was first captured (2021-04-10)" in result.output
    assert "1 notices recorded" in result.output  # the good row goes on
    assert invoke("flag", case, "--from", sheet, "--force").exit_code == 0


def test_a_notice_is_voided_not_edited_and_every_count_leaves_it_out(invoke, case, ids):
    assert invoke("flag", case, "1", "--channel", "in_app", "--at", "2021-04-16").exit_code == 0
    noticed = rows(invoke("items", case, "--noticed", "--format", "json"))
    assert [i["id"] for i in noticed] == [1]
    result = invoke("flag", case, "--void", "1", "--why", "wrong item: meant the group")
    assert result.exit_code == 0, result.output
    assert "Notice #1 voided: item 1, 2021-04-16 in_app" in result.output
    assert rows(invoke("items", case, "--noticed", "--format", "json")) == []
    assert rows(invoke("items", case, "--channel", "in_app", "--format", "json")) == []
    shown = invoke("show", case, "1", "--format", "csv").stdout
    assert "#1 · in_app" in shown and "VOIDED" in shown and "wrong item: meant the group" in shown
    # Append-only: the notice row is still there, with a void beside it.
    conn = sqlite3.connect(case / "case.db")
    assert conn.execute("SELECT count(*) FROM notice").fetchone()[0] == 1
    assert conn.execute("SELECT notice_id, why FROM notice_void").fetchall() == [(1, "wrong item: meant the group")]
    conn.close()
    # Voided once is final; the same notice given again is not silently recorded again.
    again = invoke("flag", case, "--void", "1", "--why", "again")
    assert again.exit_code == 1 and "already voided" in again.output
    repeat = invoke("flag", case, "1", "--channel", "in_app", "--at", "2021-04-16")
    assert "1 skipped: the same notice was voided (#1)" in repeat.output
    assert invoke("flag", case, "--void", "1").exit_code == 2  # --why is required
    assert invoke("flag", case, "--void", "9", "--why", "x").exit_code == 1
    assert invoke("verify", case).exit_code == 0  # the void is in the custody chain


def test_the_report_leaves_a_voided_notice_out_and_says_so(invoke, case, ids, tmp_path):
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (1, 'violating', 'ana', '2021-04-12')")
    conn.close()
    assert invoke("flag", case, "1", "--channel", "dsa_notice", "--at", "2021-04-16").exit_code == 0
    assert invoke("flag", case, "--void", "1", "--why", "sent to the wrong platform").exit_code == 0
    out = tmp_path / "report"
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", out, "--format", "md,csv").exit_code == 0
    items = list(csv.DictReader(io.StringIO((out / "items.csv").read_text(encoding="utf-8-sig"))))
    assert items[0]["noticed_at"] == "" and items[0]["channel"] == ""
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "1 notice recorded by mistake was voided and is not counted: #1 (item 1, 2021-04-16, dsa_notice): " \
           "sent to the wrong platform." in text


# --- 4. the review queue starts above a threshold --------------------------------------------------

def test_review_defaults_to_the_case_threshold_and_says_what_it_left_out(invoke, case, tmp_path):
    populate(case)
    toml = case / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("min_score = 20", "min_score = 6"), encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    result = invoke("review", case, "--export", sheet, "--reviewer", "ana")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 candidates" in result.output  # before: all 5, score 1 included
    assert "Left out 3 item(s) scoring below 6 ([review] min_score in case.toml): --min-score 0 includes them" \
        in result.output
    screen = invoke("review", case, "--reviewer", "ana", input="vq")  # a verdict given, then quit
    assert "Candidate 1 of 2" in screen.output and "Left out 3 item(s) scoring below 6" in screen.output
    with_category = invoke("review", case, "--reviewer", "luis", "--category", "smuggling_offer", input="q")
    assert "Left out 1 item(s) scoring below 6" in with_category.output  # the smuggling_offer video scoring 5
    everything = invoke("review", case, "--export", sheet, "--reviewer", "ana", "--min-score", "0")
    assert "Wrote 4 candidates" in everything.output and "Left out" not in everything.output  # 1 answered above


def test_a_new_case_has_a_review_threshold(case):
    assert "[review]\n" in (case / "case.toml").read_text(encoding="utf-8")


# --- 6. hints that fit the cause ---------------------------------------------------------------------

def _warc(path, records) -> None:
    """A WARC of (url, content type, body) responses, each after the POST request that asked for it."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        for url, content_type, body in records:
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"q=cruce"), length=7,
                                                http_headers=StatusAndHeaders("POST /api/graphql HTTP/1.1", [],
                                                                              is_http_request=True))
            writer.write_record(request)
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=headers))


def test_a_warc_of_json_answers_says_it_holds_no_page(invoke, case, tmp_path):
    # Imitates a Webrecorder capture of an app's GraphQL traffic: POST requests, JSON answers, an image.
    archive = tmp_path / "api.warc"
    _warc(archive, [("https://www.facebook.com/api/graphql/", "application/json", b'{"data": {}}'),
                    ("https://www.facebook.com/api/graphql/", "application/json; charset=utf-8", b'{"data": []}'),
                    ("https://static.xx.fbcdn.net/a.png", "image/png", b"\x89PNG")])
    result = invoke("scan", case, archive)
    assert result.exit_code == 1
    assert "no HTML responses in this WARC (2 JSON, 1 images): nothing to read as a page" in result.output
    assert "complete export" not in result.output  # before: "Check that the file is a complete export"


def test_a_search_page_gets_a_hint_that_fits(invoke, case, tmp_path):
    page = tmp_path / "search.html"
    page.write_text("<!-- saved from url=(0046)https://www.facebook.com/search/top/?q=cruce -->\n"
                    "<html><head><title>Facebook</title></head><body><div role='main'>Resultados de búsqueda"
                    "</div></body></html>", encoding="utf-8")
    result = invoke("scan", case, page)
    assert result.exit_code == 1
    assert "names no page, group, profile, post" in result.output
    assert "its page names no item: a search, a reactions list" in result.output
    assert "complete export" not in result.output


def test_detect_on_an_archive_points_to_scan(invoke, tmp_path):
    archive = tmp_path / "pages.warc"
    _warc(archive, [("https://www.facebook.com/cruce.ejemplo", "text/html", b"<html><title>x</title></html>")])
    result = invoke("detect", archive)
    assert result.exit_code == 1
    assert "WARC web archive" in result.output and "detect reads one saved page" in result.output
    assert f"toolkit scan CASE {archive}" in result.output
    assert "┏" not in result.stdout  # before: an empty table under the error


@pytest.mark.parametrize("column", ["link", "URL", "Href"])
def test_a_csv_with_a_link_column_is_a_url_list(invoke, case, tmp_path, column):
    sheet = tmp_path / "found.csv"
    sheet.write_text(f"Page name,{column},notes\nCruce,https://www.facebook.com/cruce.ejemplo,visto\n", encoding="utf-8")
    result = invoke("scan", case, sheet)
    assert result.exit_code == 0, result.output  # before: "no known format", skipped
    assert "urls, 1 records read, 1 mapped" in result.output
    assert [i["key"] for i in rows(invoke("items", case, "--format", "json"))] == ["cruce.ejemplo"]


def test_a_csv_without_a_url_column_names_the_column_it_needs(invoke, case, tmp_path):
    sheet = tmp_path / "found.csv"
    sheet.write_text("page,notes\nCruce,visto\n", encoding="utf-8")
    result = invoke("scan", case, sheet, "--format", "urls")
    assert result.exit_code == 1
    assert ("does not look like urls: no url column: a URL list CSV needs a column named url, link, href or uri "
            "(any case); columns found: 'page', 'notes'") in result.output
    plain = invoke("scan", case, sheet)
    assert "as a URL list: no url column" in plain.output


def test_a_url_list_with_a_title_line_says_which_line_and_imports_with_format_urls(invoke, case, tmp_path):
    """A researcher's list of links with a title line was refused whole, even with --format urls,
    without naming the line. Detection still does not take it for a URL list (a text file is not one
    because it names a link), but says which line and how; forced, the links are read and the other
    line reported by its number. A text file with no link at all stays refused."""
    found = tmp_path / "found.txt"
    found.write_text("Pages found on 2021-04-12:\nhttps://www.facebook.com/cruce.ejemplo\n"
                     "https://www.facebook.com/viajes.norte\n", encoding="utf-8")
    plain = invoke("scan", case, found)
    assert plain.exit_code == 1
    assert ("as a URL list, line 1 is not a URL: 'Pages found on 2021-04-12:'; give --format urls to import its "
            "URLs, each other line reported by its number") in plain.output
    forced = invoke("scan", case, found, "--format", "urls")
    assert forced.exit_code == 0, forced.output
    assert "1 x bad-url: not a URL: 'Pages found on 2021-04-12:' (line 1)" in forced.output
    assert sorted(i["key"] for i in rows(invoke("items", case, "--format", "json"))) == ["cruce.ejemplo", "viajes.norte"]
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\nworld\n", encoding="utf-8")
    refused = invoke("scan", case, notes, "--format", "urls")
    assert refused.exit_code == 1 and "does not look like urls: not a URL on its own line: 'hello'" in refused.output


def test_a_compressed_export_says_to_decompress_it(invoke, case, tmp_path):
    import gzip
    import zipfile

    text = "url\nhttps://www.facebook.com/cruce.ejemplo\n"
    packed = tmp_path / "found.csv.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    result = invoke("scan", case, packed)
    assert result.exit_code == 1
    assert "found.csv.gz: not a format toolkit knows (gzip-compressed: decompress it first, e.g. gunzip -k " \
           "found.csv.gz, and scan the result)" in result.output
    zipped = tmp_path / "found.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("found.csv", text)
    assert "(a zip archive: unzip it and scan the folder)" in invoke("scan", case, zipped).output


# --- 8. Markdown without stray backslashes ---------------------------------------------------------

def test_markdown_keeps_code_spans_and_escapes_the_rest():
    from toolkit.report.render_md import md, md_prose

    assert md_prose("run `toolkit verify CASE` to check") == "run `toolkit verify CASE` to check"
    assert md_prose("*bold* <b> `x` a`b") == "\\*bold\\* &lt;b&gt; `x` a\\`b"
    assert md("`toolkit verify CASE`") == "\\`toolkit verify CASE\\`"  # table cells escape every backtick


# --- 5. one readable explanation of a score --------------------------------------------------------

OFFER_PAGE = "Cruce seguro a USA, pago al llegar. WhatsApp +52 55 5555 0101"


def test_show_review_and_lexicon_test_print_the_score_as_a_sum(invoke, case, tmp_path):
    # A URL list row whose name carries the offer: scanned and scored by the shipped lexicons.
    sheet = tmp_path / "found.csv"
    sheet.write_text(f'url,name\nhttps://www.facebook.com/cruce.ejemplo,"{OFFER_PAGE}"\n', encoding="utf-8")
    assert invoke("scan", case, sheet).exit_code == 0
    shown = invoke("show", case, "1", "--format", "csv").stdout
    score_row = next(line for line in shown.splitlines() if ",score," in line)
    assert "cruce seguro (smuggling_offer, 3.0) + pago al llegar (3.0) + rule contact_and_crossing +1.0 + contact +2.5" in score_row
    assert "= " in score_row and "counted=" not in score_row and "lexicon=" not in score_row  # before: key=value runs
    screen = invoke("review", case, "--reviewer", "ana", "--min-score", "0", input="q").output
    assert "cruce seguro (smuggling_offer, 3.0) + pago al llegar (3.0)" in screen and "weight=" not in screen
    tested = invoke("lexicon", "test", OFFER_PAGE)
    assert tested.exit_code == 0, tested.output
    assert "cruce seguro (smuggling_offer, 3.0) + pago al llegar (3.0) + rule contact_and_crossing +1.0 + contact +2.5" in tested.stdout


def test_the_sum_adds_up_and_reads_entries_it_does_not_know():
    from toolkit.lexicon.explain import explain_line

    # A later scorer's entry kind ("penalties") is named with its number, never dumped raw.
    stored = {"raw": 10.0, "by_category": {"smuggling_offer": 10.0, "smuggling_information": 1.0},
              "terms": [{"term": "cruce", "lexicon": "smuggling-es@1", "category": "smuggling_offer", "field": "text",
                         "weight": 3.0, "counted": 3.0, "notes": []},
                        {"term": "pago al llegar", "category": "smuggling_offer", "weight": 3.0, "counted": 3.0, "notes": []},
                        {"term": "coyote", "category": "smuggling_offer", "weight": 2.0, "counted": 0.5,
                         "notes": ["alone: no price/contact"]},
                        {"term": "migrantes", "category": "smuggling_information", "weight": 1.0, "counted": 1.0}],
              "boosts": {"smuggling_offer": {"contact": 2.5, "price": 2.0}},
              "negatives": {}, "rules": [{"rule": "offer-with-price", "category": "smuggling_offer", "weight": 0.0,
                                          "signals": ["price"]}],
              "penalties": [{"name": "duplicate", "category": "smuggling_offer", "weight": -1.0}],
              "summary": "cruce, pago al llegar +contact +price"}
    assert explain_line(stored, "smuggling_offer", score=71.3) == (
        "cruce (smuggling_offer, 3.0) + pago al llegar (3.0) + coyote (0.5 of 2.0: alone: no price/contact)"
        " + rule offer-with-price +0.0 + contact +2.5 + price +2.0 + penalties:duplicate -1.0 = 10.0 (score 71.3)"
        "; also smuggling_information 1.0")
    negative = {"by_category": {"drug_sale": 1.5}, "terms": [{"term": "cristal", "category": "drug_sale", "weight": 3.0,
                                                              "counted": 3.0}],
                "negatives": {"drug_sale": {"news": 0.5}}}
    assert explain_line(negative) == "(cristal (drug_sale, 3.0)) × 0.5 news = 1.5"
    assert explain_line({"terms": ["cruce seguro", "pago al llegar"], "signals": ["price"]}) == "cruce seguro + pago al llegar"
    assert explain_line("not json at all") == "not json at all" and explain_line(None) == ""


# --- 7. CSV that Excel reads, and scripts too ------------------------------------------------------

def _cohort_of_telegram_messages(invoke, case) -> list[int]:
    assert invoke("scan", case, FIXTURES / "telegram" / "channel_json" / "result.json").exit_code == 0
    messages = [i["id"] for i in rows(invoke("items", case, "--kind", "messages", "--format", "json"))][:2]
    conn = sqlite3.connect(case / "case.db")
    with conn:
        for item_id in messages:
            conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 'ana', ?)",
                         (item_id, "2021-04-12T00:00:00Z"))
    conn.close()
    return messages


def test_report_csvs_start_with_a_bom_and_telegram_rows_carry_text_and_channel(invoke, case, tmp_path):
    messages = _cohort_of_telegram_messages(invoke, case)
    out = tmp_path / "report"
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", out, "--format", "csv").exit_code == 0
    data = (out / "items.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # before: no BOM, Excel mangled the accents
    assert all((out / name).read_bytes().startswith(b"\xef\xbb\xbf") for name in ("waves.csv", "clusters.csv"))
    table = {int(r["id"]): r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    first = table[messages[0]]
    assert first["kind"] == "message"
    assert first["parent_name"] == "Cruces Frontera Norte 🇺🇸"  # before: no name at all
    assert first["text"] == "Salidas cada semana desde Reynosa. Pago al llegar."  # before: no text
    plain = tmp_path / "plain"
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", plain, "--format", "csv", "--no-bom").exit_code == 0
    assert (plain / "items.csv").read_bytes().startswith(b"id,")


def test_a_message_gets_its_t_me_link_from_its_channel_s_public_address():
    from toolkit.report.build import _message_url

    def message(parent_url):  # the appendix passes an item's columns: platform, kind, key, parent's URL
        return "telegram", "message", "name:Cruces/45", parent_url

    assert _message_url(*message("https://t.me/crucesnorte")) == "https://t.me/crucesnorte/45"
    assert _message_url(*message(None)) is None  # an export names no @username: nothing is guessed
    assert _message_url(*message("https://example.org/x")) is None


def test_raw_cells_keep_phones_for_scripts_and_stdout_csv_has_no_bom(invoke, case, tmp_path):
    sheet = tmp_path / "found.csv"
    sheet.write_text('url,name\nhttps://www.facebook.com/cruce.ejemplo,"+52 55 5555 0101 cruce"\n', encoding="utf-8")
    assert invoke("scan", case, sheet).exit_code == 0
    protected = invoke("items", case, "--format", "csv")
    assert not protected.stdout.startswith("\ufeff")  # stdout is for scripts: no BOM by default
    assert "'+52 55 5555 0101 cruce" in protected.stdout  # a spreadsheet would run +52... as a formula
    raw = invoke("items", case, "--format", "csv", "--raw-cells")
    assert ",+52 55 5555 0101 cruce," in raw.stdout and "'+52" not in raw.stdout
    assert invoke("items", case, "--format", "csv", "--bom").stdout.startswith("\ufeff")


def test_report_raw_cells(invoke, case, tmp_path):
    _cohort_of_telegram_messages(invoke, case)
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.execute("UPDATE capture SET text = '=1+1 pago al llegar' WHERE item_id = (SELECT min(item_id) FROM review)")
    conn.close()
    protected, raw = tmp_path / "protected", tmp_path / "raw"
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", protected, "--format", "csv").exit_code == 0
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", raw, "--format", "csv", "--raw-cells").exit_code == 0
    assert ",'=1+1 pago al llegar," in (protected / "items.csv").read_text(encoding="utf-8-sig")
    assert ",=1+1 pago al llegar," in (raw / "items.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("command", "options"), [
    ("items", ["--platform", "--bom", "--raw-cells"]), ("show", ["--bom", "--raw-cells"]),
    ("waves", ["--items", "--bom", "--raw-cells"]), ("detect", ["--platform", "--bom", "--raw-cells"]),
    ("recheck", ["--platform", "--kind", "--bom", "--raw-cells"]), ("review", ["--min-score", "--bom", "--raw-cells"]),
    ("flag", ["--force", "--void", "--why"]), ("report", ["--bom", "--no-bom", "--raw-cells"]),
])
def test_help_shows_the_new_options(invoke, command, options):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    for option in options:
        assert option in result.stdout, (command, option)


def test_the_text_column_is_redacted_with_the_report(invoke, case, tmp_path):
    assert invoke("scan", case, FIXTURES / "telegram" / "channel_json" / "result.json").exit_code == 0
    with_phone = [i["id"] for i in rows(invoke("items", case, "--query", "wa.me", "--kind", "message", "--format", "json"))]
    assert with_phone
    conn = sqlite3.connect(case / "case.db")
    with conn:
        conn.executemany("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 'ana', '2021-04-12T00:00:00Z')",
                         [(i,) for i in with_phone])
    conn.close()
    out = tmp_path / "masked"
    assert invoke("report", case, "--as-of", "2021-06-30", "--output", out, "--format", "csv", "--redact").exit_code == 0
    text = (out / "items.csv").read_text(encoding="utf-8-sig")
    assert "525555550101" not in text and "5555 0101" not in text
    assert "Informes: [phone " in text  # the message text is there, its number masked
