"""Item aliases: one page known by its numeric id (CrowdTangle) and its vanity name (URLs, saved pages)
is one item for listing, review, flag, recheck and report, whatever order the files come in."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.case import open_case
from toolkit.models import Capture, ItemRef, Kind
from toolkit.sources._zeeschuimer_items import map_instagram, map_tiktok
from toolkit.sources.crowdtangle_api import CrowdTangleApi
from toolkit.store import transaction
from toolkit.store.aliases import conflicts_of
from toolkit.store.writer import CaptureWriter

PAGE_ID = "100000111000001"
VANITY = "CruceSeguroUSA.Oficial"
PAGE_URL = f"https://www.facebook.com/{VANITY}"

CT_HEADER = ("Page Name,User Name,Facebook Id,Page Category,Page Admin Top Country,Likes at Posting,"
             "Followers at Posting,Post Created,Type,URL,Message\n")
CT_ROW = (f"Cruce Seguro USA,{VANITY},{PAGE_ID},TRAVEL_COMPANY,MX,12.480,13.902,2021-03-02 18:02:45 EST,Photo,"
          f"https://www.facebook.com/{PAGE_ID}/posts/3000000000000001,"
          "\"¿Quieres cruzar? Salidas cada semana desde Tijuana. WhatsApp +52 55 5555 0101\"\n")
SAVED_LIVE = f"""<!-- saved from url=(0047){PAGE_URL} -->
<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">
<title>Cruce Seguro USA | Facebook</title>
<meta property="og:title" content="Cruce Seguro USA">
<meta property="og:url" content="{PAGE_URL}">
<meta property="al:android:url" content="fb://page/{PAGE_ID}">
<meta property="og:site_name" content="Facebook">
</head><body><h1>Cruce Seguro USA</h1><div>Te cruzamos sin papeles. WhatsApp +52 55 5555 0101</div></body></html>
"""
SAVED_GONE = f"""<!-- saved from url=(0047){PAGE_URL} -->
<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div role="main"><h2>Este contenido no está disponible en este momento</h2>
<span>Por lo general, esto sucede porque el propietario solo compartió el contenido con un grupo reducido
de personas, cambió quién puede verlo o este se eliminó.</span><a href="/">Ir a la sección de noticias</a></div>
</body></html>
"""
API_POST = {"status": 200, "result": {"posts": [{
    "platformId": f"{PAGE_ID}_3000000000000002", "platform": "Facebook", "date": "2021-03-05 10:00:00",
    "postUrl": f"https://www.facebook.com/{PAGE_ID}/posts/3000000000000002", "message": "Salidas cada semana",
    "subscriberCount": 13902, "statistics": {"actual": {"likeCount": 5}},
    "account": {"id": 77, "name": "Cruce Seguro USA", "handle": VANITY, "platformId": PAGE_ID,
                "accountType": "facebook_page", "subscriberCount": 13902}}]}}


def write_files(folder: Path) -> dict[str, Path]:
    made = {
        "crowdtangle": ("2021-04-10-12-00-00-EST-search-csv-export.csv", CT_HEADER + CT_ROW),
        "urls": ("urls.txt", f"# páginas encontradas\n{PAGE_URL}\n"),
        "saved": ("cruce.html", SAVED_LIVE),
        "api": ("posts.json", json.dumps(API_POST)),
        "gone": ("cruce-later.html", SAVED_GONE),
    }
    paths = {}
    for name, (filename, text) in made.items():
        path = folder / name / filename
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return write_files(tmp_path / "exports")


def scan(invoke, case: Path, path: Path, when: str = "2021-04-10T12:00:00Z") -> None:
    result = invoke("scan", case, str(path), "--collected-at", when, "--quiet")
    assert result.exit_code == 0, result.output


def pages(invoke, case: Path) -> list[dict]:
    result = invoke("items", case, "--kind", "page", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("order", [("crowdtangle", "urls", "saved"), ("urls", "saved", "crowdtangle")])
def test_one_page_through_review_flag_recheck_and_report(case, invoke, files, tmp_path, order):
    for name in order:
        scan(invoke, case, files[name])
    listed = pages(invoke, case)
    assert len(listed) == 1, listed
    page = listed[0]
    # The canonical item is the one the case recorded first.
    assert page["key"] == (PAGE_ID if order[0] == "crowdtangle" else VANITY.lower())
    assert page["name"] == "Cruce Seguro USA"

    # A review by URL (vanity) and a notice by the numeric page's own id land on the one item.
    with open_case(case) as opened:
        numeric = opened.db.execute("SELECT id FROM item WHERE kind = 'page' AND key = ?", (PAGE_ID,)).fetchone()[0]
        merged = dict(opened.db.execute("SELECT id, merged_into FROM item WHERE merged_into IS NOT NULL").fetchall())
    assert merged and set(merged.values()) == {page["id"]}
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"url,verdict,category\n{PAGE_URL}?ref=bookmarks,violating,smuggling_offer\n", encoding="utf-8")
    result = invoke("review", case, "--import", str(sheet), "--reviewer", "ana")
    assert result.exit_code == 0, result.output
    result = invoke("flag", case, str(numeric), "--channel", "in_app", "--at", "2021-04-16T15:00:00Z")
    assert result.exit_code == 0, result.output
    (page,) = pages(invoke, case)
    assert page["verdict"] == "violating" and page["channel"] == "in_app"

    # A later saved copy (unavailable, so without any numeric id) updates that one item.
    result = invoke("recheck", case, str(files["gone"]), "--wave", "w1", "--collected-at", "2021-05-17T15:00:00Z",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    with open_case(case) as opened:
        checks = opened.db.execute('SELECT item_id, status FROM "check"').fetchall()
    assert [tuple(c) for c in checks] == [(page["id"], "unavailable")]
    (page,) = pages(invoke, case)
    assert page["status"] == "unavailable"

    # The report counts the page once.
    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2021-05-31", "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads((out / "items.json").read_text(encoding="utf-8"))
    assert [(row["id"], row["status"]) for row in items] == [(page["id"], {"w1": "unavailable"})]
    headline = json.loads((out / "report.json").read_text(encoding="utf-8"))["headline"]
    assert "Of the 1 page reported in-app to Facebook on 2021-04-16" in headline[0]
    assert "1 of 1 (100%" in headline[0]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(("crowdtangle", "urls", "saved", "api")))
def test_import_order_does_not_change_the_items_shown(invoke, order):
    with tempfile.TemporaryDirectory() as folder:
        check_order(invoke, Path(folder), order)


def check_order(invoke, folder: Path, order: tuple[str, ...]) -> None:
    files = write_files(folder / "exports")
    case = folder / "c"
    assert invoke("init", case).exit_code == 0
    for name in order:
        scan(invoke, case, files[name])
    result = invoke("items", case, "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    kinds = sorted(row["kind"] for row in shown)
    # One page, and its posts from CrowdTangle (CSV: ...01, API: ...02) when those files were read.
    posts = ["post"] * (("crowdtangle" in order) + ("api" in order))
    assert kinds == sorted(["page", *posts])
    page = next(row for row in shown if row["kind"] == "page")
    assert {row["parent"] for row in shown if row["kind"] == "post"} <= {page["id"]}


def test_show_by_either_key_finds_the_one_item(case, invoke, files):
    scan(invoke, case, files["urls"])
    scan(invoke, case, files["crowdtangle"])
    (page,) = pages(invoke, case)
    for token in (PAGE_URL, f"https://www.facebook.com/{PAGE_ID}", f"https://m.facebook.com/profile.php?id={PAGE_ID}"):
        result = invoke("show", case, token, "--format", "json")
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert shown["item"]["id"] == page["id"]
        # Captures of both keys are the item's history.
        assert {e["source_format"] for e in shown["events"] if e["event"] == "capture"} == {"urls", "crowdtangle-csv"}


def test_alias_known_before_either_item(case):
    """A key seen only as an alias (never as an item) still joins the item created under it later;
    an alias two items claim links them only when they agree: two different numeric ids claiming
    one vanity name are two accounts, kept apart and recorded as a conflict."""
    with open_case(case) as opened, transaction(opened.db):
        writer = CaptureWriter(opened.db, None, "2021-04-10T00:00:00Z")
        page = ItemRef("facebook", Kind.PAGE, PAGE_ID, f"https://www.facebook.com/{PAGE_ID}")
        writer.write([Capture(item=page, aliases=("cruceseguro",))])
        vanity = ItemRef("facebook", Kind.PAGE, "cruceseguro", "https://www.facebook.com/cruceseguro")
        other = ItemRef("facebook", Kind.PAGE, "200000222000002", "https://www.facebook.com/200000222000002")
        writer.write([Capture(item=vanity), Capture(item=other, aliases=("cruceseguro.mx",)),
                      Capture(item=page, aliases=("cruceseguro.mx",))])
        rows = opened.db.execute("SELECT key, merged_into FROM item ORDER BY id").fetchall()
        conflicts = conflicts_of(opened.db)
    assert [tuple(r) for r in rows] == [(PAGE_ID, None), ("cruceseguro", 1), ("200000222000002", None)]
    assert writer.merged == 1
    assert [(c["key"], c["item_key"], c["other_key"]) for c in conflicts] == [
        ("cruceseguro.mx", PAGE_ID, "200000222000002")]
    assert conflicts[0]["reason"].startswith("ids differ")
    assert writer.conflicts and writer.conflicts[0]["key"] == "cruceseguro.mx"


def test_a_page_claiming_another_pages_vanity_or_id_stays_apart(case):
    """A copy at one page's URL whose og:url or app link names another page the case knows (by
    another name) is not that page: both claims are conflicts, and a later status of the copy
    stays on the copy."""
    with open_case(case) as opened, transaction(opened.db):
        writer = CaptureWriter(opened.db, None, "2021-04-10T00:00:00Z")
        confirmed = ItemRef("facebook", Kind.PAGE, "cruceseguro", "https://www.facebook.com/cruceseguro")
        writer.write([Capture(item=confirmed, aliases=(PAGE_ID,))])
        copy = ItemRef("facebook", Kind.PAGE, "otra.pagina", "https://www.facebook.com/otra.pagina")
        writer.write([Capture(item=copy, aliases=("cruceseguro",)), Capture(item=copy, aliases=(PAGE_ID,))])
        merged = opened.db.execute("SELECT count(*) FROM item WHERE merged_into IS NOT NULL").fetchone()[0]
        conflicts = conflicts_of(opened.db)
        owners = dict(opened.db.execute("SELECT a.key, i.key FROM item_alias a JOIN item i ON i.id = a.item_id"))
    assert merged == 0 and writer.merged == 0
    assert sorted((c["item_key"], c["key"], c["other_key"]) for c in conflicts) == [
        ("otra.pagina", PAGE_ID, "cruceseguro"), ("otra.pagina", "cruceseguro", "cruceseguro")]
    assert owners == {PAGE_ID: "cruceseguro"}  # the refused claims are not recorded as aliases


def test_sources_that_know_both_keys_say_so(files):
    importer = CrowdTangleApi()
    raw = ("post", API_POST["result"]["posts"][0], True)
    account = importer.map(raw)[0]
    assert account.item.key == PAGE_ID and account.aliases == (VANITY.lower(),)

    tiktok = map_tiktok({"id": "7000000000000000001", "desc": "cruces", "createTime": 1620000000,
                         "author": {"id": "6800000000000000001", "uniqueId": "viajes.norte", "nickname": "Viajes"}},
                        "2021-05-01T00:00:00Z")
    assert tiktok[0].item.key == "viajes.norte" and tiktok[0].aliases == ("id:6800000000000000001",)

    instagram = map_instagram({"code": "CAbcdEFgh12", "id": "2500000000000000001_4400000001",
                               "user": {"username": "cruce.norte", "pk": "4400000001"}, "taken_at": 1620000000},
                              "2021-05-01T00:00:00Z")
    assert instagram[0].item.key == "cruce.norte" and instagram[0].aliases == ("id:4400000001",)


def test_purge_of_either_key_purges_both_and_their_aliases(case, invoke, files):
    scan(invoke, case, files["urls"])
    scan(invoke, case, files["crowdtangle"])
    with open_case(case) as opened:
        numeric = opened.db.execute("SELECT id FROM item WHERE key = ?", (PAGE_ID,)).fetchone()[0]
    result = invoke("purge", case, "--item", str(numeric), "--yes")
    assert result.exit_code == 0, result.output
    with open_case(case) as opened:
        keys = [row[0] for row in opened.db.execute("SELECT key FROM item WHERE kind = 'page'")]
        aliases = opened.db.execute("SELECT count(*) FROM item_alias").fetchone()[0]
    assert len(keys) == 2 and all(key.startswith("purged-") for key in keys)
    assert aliases == 0
    assert invoke("verify", case).exit_code == 0
