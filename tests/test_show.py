"""`toolkit show CASE ITEM` (everything about one item, in time order) and `toolkit lexicon stats`."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from review_data import populate


@pytest.fixture
def ids(case):
    found = populate(case)
    conn = sqlite3.connect(case / "case.db")
    item = found["cruceseguro"]
    conn.execute("INSERT INTO source(sha256, size, format, importer, path, imported_at, records_read, records_mapped,"
                 " records_failed, items_new, items_seen, captures) VALUES ('ab', 1, 'urls', 'urls@1', 'exports/p.txt',"
                 " '2021-05-01T00:00:00Z', 1, 1, 0, 0, 1, 1)")
    conn.execute("INSERT INTO capture(item_id, source_id, observed_at, status, name, followers) VALUES (?, 1, '2021-05-01T09:00:00Z',"
                 " 'available', 'Cruce Seguro USA', 15000)", (item,))
    conn.execute("INSERT INTO indicator(capture_id, item_id, type, value, matched, field, extractor) VALUES (1, ?, 'phone',"
                 " '+525555550101', '+52 55 5555 0101', 'text', 'phones@1')", (item,))
    conn.execute("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at, note, origin) VALUES (?, 'violating',"
                 " 'smuggling_offer', 'ana', '2021-04-12T08:00:00Z', 'precio y WhatsApp', 'screen')", (item,))
    conn.execute("INSERT INTO notice(item_id, noticed_at, channel, reference, noticed_by, recorded_at) VALUES (?,"
                 " '2021-04-16T00:00:00Z', 'platform_request', 'TTP-list', 'ana', '2021-04-16T12:00:00Z')", (item,))
    conn.execute("INSERT INTO wave(name, started_at) VALUES ('w1', '2021-05-17T00:00:00Z')")
    conn.execute('INSERT INTO "check"(item_id, wave_id, observed_at, method, status, reason, http_status, detector)'
                 " VALUES (?, 1, '2021-05-17T10:00:00Z', 'live', 'unavailable', 'marker', 200, 'facebook@1')", (item,))
    conn.commit()
    conn.close()
    return found


def test_show_lists_everything_in_time_order(invoke, case, ids):
    result = invoke("show", case, str(ids["cruceseguro"]), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["at"], r["event"]) for r in rows] == [
        ("2021-04-10T12:00:00Z", "capture"),
        ("2021-04-10T12:00:00Z", "hit"),
        ("2021-04-10T12:00:00Z", "hit"),
        ("2021-04-10T12:00:00Z", "indicator"),
        ("2021-04-10T12:00:00Z", "score"),
        ("2021-04-12T08:00:00Z", "review"),
        ("2021-04-16T00:00:00Z", "notice"),
        ("2021-05-01T09:00:00Z", "capture"),
        ("2021-05-17T10:00:00Z", "check"),
    ]
    details = [r["detail"] for r in rows]
    assert details[1] == "cruce seguro [smuggling_offer] · in text 0-12 · “Cruce seguro” · smuggling-es@1"
    assert details[3] == "phone +525555550101 · “+52 55 5555 0101” · phones@1"
    assert details[5] == "violating · smuggling_offer · by ana · “precio y WhatsApp” · on screen"
    assert details[6] == "#1 · platform_request · ref TTP-list · by ana · recorded 2021-04-16T12:00:00Z"
    # Rows written before dates had a recorded source say so.
    assert details[7] == ("available · “Cruce Seguro USA” · followers 15,000 · source exports/p.txt (urls)"
                          " · date from not recorded")
    assert details[8] == "wave w1 · live · unavailable · (marker) · HTTP 200 · facebook@1 · date from not recorded"


def test_show_by_url_as_table(invoke, case, ids):
    result = invoke("show", case, "https://m.facebook.com/CruceSeguro/?fbclid=1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"#{ids['cruceseguro']} Cruce Seguro USA  facebook page  https://www.facebook.com/cruceseguro")
    assert "platform_request" in result.stdout and "unavailable" in result.stdout


def test_show_json(invoke, case, ids):
    result = invoke("show", case, str(ids["cruceseguro"]), "--format", "json")
    data = json.loads(result.stdout)
    assert data["item"]["key"] == "cruceseguro"
    assert [e["event"] for e in data["events"]][-1] == "check"
    assert data["events"][-1]["wave"] == "w1"


def test_show_unknown_item(invoke, case, ids):
    result = invoke("show", case, "4242")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown item '4242': no item with this id or URL in the case\n"
                             "List the case's items with: toolkit items CASE\n")
    assert invoke("show", case, "no-such-thing").exit_code == 1


def test_lexicon_stats(invoke, case, ids):
    conn = sqlite3.connect(case / "case.db")
    # cruceseguro was judged violating by the fixture.
    for key, verdict in (("viajesnorte", "not_violating"), ("tiktok", "violating"), ("recetas", "not_violating")):
        conn.execute("INSERT INTO review(item_id, verdict, reviewer, reviewed_at) VALUES (?, ?, 'ana', '2021-04-12T00:00:00Z')",
                     (ids[key], verdict))
    conn.commit()
    conn.close()
    result = invoke("lexicon", "stats", case, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "lexicon,term,category,reviewed,violating,not_violating,unsure,precision",
        "slang-es@1,,,1,0,1,0,0.0",
        "slang-es@1,pollo,other,1,0,1,0,0.0",
        "smuggling-es@1,,,3,2,1,0,0.6667",
        "smuggling-es@1,sin papeles,smuggling_offer,1,0,1,0,0.0",
        "smuggling-es@1,pago al llegar,smuggling_offer,3,2,1,0,0.6667",
        "smuggling-es@1,cruce seguro,smuggling_offer,1,1,0,0,1.0",
    ]
    only = invoke("lexicon", "stats", case, "--lexicon", "smuggling-es", "--min-reviewed", "2", "--format", "csv")
    assert only.stdout.splitlines()[1:] == ["smuggling-es@1,,,3,2,1,0,0.6667", "smuggling-es@1,pago al llegar,smuggling_offer,3,2,1,0,0.6667"]
    table = invoke("lexicon", "stats", case)
    assert "(all terms)" in table.stdout and "67%" in table.stdout


def test_lexicon_stats_before_any_review(invoke, case):
    populate(case)
    result = invoke("lexicon", "stats", case)
    assert result.exit_code == 0
    assert "No reviewed item has a lexicon hit yet" in result.output
