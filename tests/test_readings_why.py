"""Every case of issue 13's "Why", through `detect`, a scan, a recheck from saved pages and a live
recheck against the local test server, where the case applies.

- a Facebook login wall whose og:url is `/login/?next=<page>` reads login_required for <page>;
- a Marketplace search page is not an item: no status, its listings recorded to track;
- an mbasic group permalink gives a post whose parent is the group (the author beside it);
- a hostile page claiming a confirmed page's numeric id is a conflict, not a merge;
- live: a redirect to another site that answers 404 is an error, a 404 whose body is a wall a wall;
- Telegram: one-to-one chats are not imported; a message missing from a later export that covers
  its channel around it is gone;
- URL lists keep hosts apart.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from _recheck_server import RecheckServer, add_item

PAGES = Path(__file__).resolve().parent / "pages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAST = ["--interval", "0.05", "--timeout", "2", "--connect-timeout", "1", "--retries", "0"]
SINGLEFILE = "<!DOCTYPE html> <html><!--\n Page saved with SingleFile \n url: {url} \n saved date: {when}\n-->"


def saved(folder: Path, name: str, url: str, html: str, when: str = "Mon May 17 2021 10:04:37 GMT-0500") -> Path:
    """A page as SingleFile saves it: its URL and save time in the comment after <html>."""
    folder.mkdir(parents=True, exist_ok=True)
    body = html.split("<html", 1)[1].split(">", 1)[1] if "<html" in html else html
    path = folder / name
    path.write_text(SINGLEFILE.format(url=url, when=when) + body, encoding="utf-8")
    return path


def db(case: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(case / "case.db")
    conn.row_factory = sqlite3.Row
    return conn


def items(invoke, case: Path, *args: str) -> list[dict]:
    result = invoke("items", case, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def confirm(invoke, case: Path, tmp_path: Path, *urls: str) -> None:
    """Review the items at `urls` as violating (the cohort a recheck looks at)."""
    sheet = tmp_path / f"review-{len(list(tmp_path.glob('review-*')))}.csv"
    sheet.write_text("url,verdict,category\n" + "".join(f"{u},violating,smuggling_offer\n" for u in urls),
                     encoding="utf-8")
    result = invoke("review", case, "--import", str(sheet), "--reviewer", "ana")
    assert result.exit_code == 0, result.output


def checks(case: Path) -> list[tuple]:
    with db(case) as conn:
        return [tuple(r) for r in conn.execute(
            'SELECT i.kind, i.key, c.method, c.status, c.reason FROM "check" c JOIN item i ON i.id = c.item_id'
            " ORDER BY c.id")]


@pytest.fixture
def server():
    with RecheckServer(hosts=2) as srv:
        yield srv


# --- the login wall whose og:url names the page --------------------------------------------------

WALL = PAGES / "facebook" / "wall-next-og.html"


def test_login_wall_detect(invoke):
    result = invoke("detect", WALL, "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["status"], row["reason"], row["page"]) == ("login_required", "login-wall", "wall")
    (capture,) = row["captures"]
    assert (capture["kind"], capture["key"], capture["status"], capture["name"]) == ("page", "somepage",
                                                                                    "login_required", None)


def test_login_wall_scan_and_recheck_from_saved_pages(case, invoke, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/somepage\n", encoding="utf-8")
    assert invoke("scan", case, urls, "--quiet").exit_code == 0
    confirm(invoke, case, tmp_path, "https://www.facebook.com/somepage")
    later = saved(tmp_path / "later", "somepage.html", "https://www.facebook.com/somepage/", WALL.read_text("utf-8"))
    result = invoke("recheck", case, later, "--wave", "w1")
    assert result.exit_code == 0, result.output
    assert checks(case) == [("page", "somepage", "export", "login_required", "login-wall")]
    (page,) = items(invoke, case)
    # The item keeps its own name (none): the wall's "Log into Facebook" never becomes it.
    assert (page["key"], page["status"], page["name"]) == ("somepage", "login_required", None)

    # The same wall saved without its URL, scanned into a fresh case: the item named in next=.
    fresh = tmp_path / "fresh"
    assert invoke("init", fresh).exit_code == 0
    result = invoke("scan", fresh, WALL)
    assert result.exit_code == 0, result.output
    assert "1 login_required (login-wall)" in result.output
    (page,) = items(invoke, fresh)
    assert (page["key"], page["status"], page["name"]) == ("somepage", "login_required", None)


def test_login_wall_live(case, invoke, server):
    wall = add_item(case, "facebook", server.base(0) + "/fb/login-og")
    redirected = add_item(case, "facebook", server.base(0) + "/fb/login-og-redirect")
    result = invoke("recheck", case, "--all", "--wave", "w1", *FAST)
    assert result.exit_code == 0, result.output
    with db(case) as conn:
        rows = {r["item_id"]: dict(r) for r in conn.execute('SELECT * FROM "check"')}
    assert (rows[wall]["status"], rows[wall]["reason"]) == ("login_required", "login-wall")
    # HTTP 200 whose final URL is /login/.../?next=: the wall, never the page it names.
    assert (rows[redirected]["status"], rows[redirected]["http_status"]) == ("login_required", 200)
    assert "/login/og/?next=" in rows[redirected]["final_url"]
    with db(case) as conn:
        assert conn.execute("SELECT count(*) FROM capture").fetchone()[0] == 0  # nothing of the wall kept


# --- the Marketplace search page -------------------------------------------------------------------

SEARCH = PAGES / "facebook" / "marketplace-search.html"
SEARCH_NO_URL = PAGES / "facebook" / "marketplace-search-nourl.html"


def test_marketplace_search_detect_lists_its_listings(invoke):
    result = invoke("detect", SEARCH, "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["status"], row["reason"], row["page"], row["page_reason"]) == (
        "error", "not-an-item", "not-item", "marketplace-search")
    assert row["captures"] == []
    assert sorted(c["key"] for c in row["candidates"]) == ["880000000000601", "880000000000602", "880000000000603"]
    table = invoke("detect", SEARCH)
    assert "Item links on pages that are not items" in table.stdout and "880000000000602" in table.stdout


@pytest.mark.parametrize("page", [SEARCH, SEARCH_NO_URL], ids=["with-url", "without-url"])
def test_marketplace_search_scan_records_listings_to_track(case, invoke, page):
    result = invoke("scan", case, page)
    assert result.exit_code == 0, result.output
    assert "not an item (marketplace-search): no status taken, its item links recorded to track" in result.output
    listed = items(invoke, case)
    assert sorted((r["kind"], r["key"], r["status"]) for r in listed) == [
        ("listing", "880000000000601", None), ("listing", "880000000000602", None), ("listing", "880000000000603", None)]
    # No seller became an item, no listing is "sold", and each says where it was found.
    with db(case) as conn:
        fields = [json.loads(r[0]) for r in conn.execute("SELECT fields FROM capture ORDER BY id")]
    assert all(f["found_on"]["page"] == "marketplace-search" for f in fields)


def test_marketplace_search_recheck_from_saved_pages_takes_no_status(case, invoke, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.facebook.com/marketplace/item/880000000000601/\n", encoding="utf-8")
    assert invoke("scan", case, urls, "--quiet").exit_code == 0
    confirm(invoke, case, tmp_path, "https://www.facebook.com/marketplace/item/880000000000601/")
    result = invoke("recheck", case, SEARCH, "--wave", "w1")
    assert result.exit_code == 0, result.output
    assert checks(case) == []  # a search page's "Sold" filter is no reading of the listing


# --- the mbasic group permalink -------------------------------------------------------------------

@pytest.mark.parametrize("name,group", [("group-permalink-mbasic-view.html", "viajerosalnorte"),
                                        ("group-permalink-dataft-nourl.html", "300000000000501")])
def test_group_permalink_parent_is_the_group(case, invoke, name, group):
    page = PAGES / "facebook" / name
    result = invoke("detect", page, "--format", "json")
    (row,) = json.loads(result.stdout)
    assert row["captures"][0]["parent"] == f"group:{group}"
    assert row["captures"][0]["fields"]["author_name"] == "Juan Pérez"
    assert invoke("scan", case, page, "--quiet").exit_code == 0
    listed = {r["kind"]: r for r in items(invoke, case)}
    assert set(listed) == {"post", "group"}  # no made-up "page <post id>"
    assert listed["group"]["key"] == group and listed["post"]["parent"] == listed["group"]["id"]


# --- alias poisoning --------------------------------------------------------------------------------

CONFIRMED_ID = "100064000000401"
LIVE_PAGE = f"""<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Cruce Seguro USA | Facebook</title>
<meta property="og:title" content="Cruce Seguro USA"><meta property="og:site_name" content="Facebook">
<meta property="og:url" content="https://www.facebook.com/cruce.seguro.usa/">
<meta property="al:android:url" content="fb://page/{CONFIRMED_ID}"></head>
<body><h1>Cruce Seguro USA</h1><div>Te cruzamos sin papeles.</div></body></html>"""
GONE_PAGE = """<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Facebook</title></head>
<body><div role="main"><h2>Este contenido no está disponible en este momento</h2></div></body></html>"""


def test_a_page_claiming_a_confirmed_pages_id_is_a_conflict_not_a_merge(case, invoke, tmp_path):
    first = saved(tmp_path / "w0", "cruce.html", "https://www.facebook.com/cruce.seguro.usa/", LIVE_PAGE)
    assert invoke("scan", case, first, "--quiet").exit_code == 0
    confirm(invoke, case, tmp_path, "https://www.facebook.com/cruce.seguro.usa/")
    hostile = saved(tmp_path / "w0", "otra.html", "https://www.facebook.com/otra.pagina.mx/",
                    (PAGES / "facebook" / "page-hostile-app-link.html").read_text("utf-8"))
    result = invoke("scan", case, hostile)
    assert result.exit_code == 0, result.output
    assert "identity conflict" in result.output and f"claims {CONFIRMED_ID}" in result.output
    pages = {r["key"]: r for r in items(invoke, case, "--kind", "page")}
    assert set(pages) == {"cruce.seguro.usa", "otra.pagina.mx"}  # kept apart
    with db(case) as conn:
        conflicts = conn.execute("SELECT i.key, c.key, o.key FROM identity_conflict c JOIN item i ON i.id = c.item_id"
                                 " JOIN item o ON o.id = c.other_id").fetchall()
    assert [tuple(c) for c in conflicts] == [("otra.pagina.mx", CONFIRMED_ID, "cruce.seguro.usa")]
    shown = invoke("show", case, "https://www.facebook.com/cruce.seguro.usa/")
    assert "identity conflict" in shown.stdout and "otra.pagina.mx" in shown.stdout

    # A later "no disponible" copy of the other page never becomes the confirmed page's status.
    later = saved(tmp_path / "w1", "otra-later.html", "https://www.facebook.com/otra.pagina.mx/", GONE_PAGE)
    result = invoke("recheck", case, later, "--wave", "w1", "--all")
    assert result.exit_code == 0, result.output
    assert checks(case) == [("page", "otra.pagina.mx", "export", "unavailable", "content-unavailable")]
    pages = {r["key"]: r for r in items(invoke, case, "--kind", "page")}
    assert pages["cruce.seguro.usa"]["status"] == "available"

    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2026-12-31", "-o", out, "--format", "md")
    assert result.exit_code == 0, result.output
    text = next(out.glob("*.md")).read_text("utf-8")
    assert "### Data quality" in text and "1 identity conflict" in text


def test_a_page_saved_without_its_url_claims_its_id_beside_its_address(case, invoke, tmp_path):
    """Saved without a URL, the hostile copy is still the page its og:url names, its app-link id a
    refused claim: it never lands on the confirmed page's numeric item."""
    numeric = tmp_path / "ids.txt"
    numeric.write_text(f"https://www.facebook.com/profile.php?id={CONFIRMED_ID}\nhttps://www.facebook.com/cruce.seguro.usa\n",
                       encoding="utf-8")
    assert invoke("scan", case, saved(tmp_path, "c.html", "https://www.facebook.com/cruce.seguro.usa/", LIVE_PAGE),
                  "--quiet").exit_code == 0
    result = invoke("scan", case, PAGES / "facebook" / "page-hostile-app-link.html")
    assert result.exit_code == 0 and "identity conflict" in result.output, result.output
    with db(case) as conn:
        hostile = conn.execute("SELECT c.item_id, i.key FROM capture c JOIN item i ON i.id = c.item_id"
                               " WHERE c.name = 'Otra Página'").fetchall()
    assert [r[1] for r in hostile] == ["otra.pagina.mx"]


# --- live: redirects elsewhere, 404 walls ----------------------------------------------------------

def test_live_redirects_elsewhere_and_404_walls(case, invoke, server):
    ids = {
        "/elsewhere/gone404": add_item(case, "facebook", server.base(0) + "/elsewhere/gone404"),
        "/elsewhere/fb/unavailable-404": add_item(case, "facebook", server.base(0) + "/elsewhere/fb/unavailable-404"),
        "/elsewhere/fb/live": add_item(case, "facebook", server.base(0) + "/elsewhere/fb/live"),
        "/elsewhere/web": add_item(case, "generic", server.base(0) + "/elsewhere/gone404", kind="page",
                                   key="elsewhere-generic"),
        "/fb/login-404": add_item(case, "facebook", server.base(0) + "/fb/login-404"),
        "/gone404": add_item(case, "facebook", server.base(1) + "/gone404"),
    }
    result = invoke("recheck", case, "--all", "--wave", "w1", *FAST)
    assert result.exit_code == 0, result.output
    with db(case) as conn:
        rows = {r["item_id"]: (r["status"], r["reason"]) for r in conn.execute('SELECT * FROM "check"')}
    assert rows[ids["/elsewhere/gone404"]] == ("error", "redirected-elsewhere")
    assert rows[ids["/elsewhere/web"]] == ("error", "redirected-elsewhere")
    # The platform's own "not available" page, even on another host, is its word.
    assert rows[ids["/elsewhere/fb/unavailable-404"]] == ("unavailable", "content-unavailable")
    assert rows[ids["/elsewhere/fb/live"]] == ("available", None)  # followed for evidence
    assert rows[ids["/fb/login-404"]] == ("login_required", "login-wall")
    assert rows[ids["/gone404"]] == ("unavailable", "http-404")  # no redirect: a hard 404 stays one


# --- Telegram ---------------------------------------------------------------------------------------

PERSONAL_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"/><title>Exported Data</title></head>
<body><div class="page_wrap"><div class="page_header"><div class="content"><div class="text bold">Bot Viajes</div></div></div>
<div class="page_body chat_page"><div class="history">
<div class="message service" id="message-1"><div class="body details">12 May 2024</div></div>
<div class="message default clearfix" id="message10"><div class="body"><div class="pull_right date details" title="12.05.2024 10:00:00 UTC-06:00">10:00</div>
<div class="from_name">Bot Viajes</div><div class="text">Hola, ¿a dónde quieres cruzar?</div></div></div>
<div class="message default clearfix" id="message11"><div class="body"><div class="pull_right date details" title="12.05.2024 10:01:00 UTC-06:00">10:01</div>
<div class="from_name">Ana Investigadora</div><div class="text">Tijuana</div></div></div>
<div class="message default clearfix joined" id="message12"><div class="body"><div class="pull_right date details" title="12.05.2024 10:02:00 UTC-06:00">10:02</div>
<div class="text">¿Precio?</div></div></div>
</div></div></div></body></html>"""


def test_one_to_one_chats_are_not_imported(case, invoke, tmp_path):
    html = tmp_path / "bot" / "messages.html"
    html.parent.mkdir()
    html.write_text(PERSONAL_HTML, encoding="utf-8")
    personal = tmp_path / "personal" / "result.json"
    personal.parent.mkdir()
    personal.write_text(json.dumps({"name": "Marta R.", "type": "personal_chat", "id": 5550001, "messages": [
        {"id": 1, "type": "message", "date": "2024-05-12T10:00:00", "date_unixtime": "1715529600",
         "from": "Marta R.", "from_id": "user5550001", "text": "¿Cuándo sales?"}]}), encoding="utf-8")
    for path, name in ((html, "'Bot Viajes'"), (personal, "'Marta R.'")):
        result = invoke("scan", case, path)
        assert name in result.output and "not imported" in result.output, result.output
    assert items(invoke, case) == []


def channel_export(path: Path, ids: list[int]) -> Path:
    data = json.loads((FIXTURES / "telegram" / "channel_json" / "result.json").read_text("utf-8"))
    data["messages"] = [m for m in data["messages"] if m["id"] in ids]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_message_missing_from_an_export_covering_its_channel_is_gone(case, invoke, tmp_path):
    assert invoke("scan", case, channel_export(tmp_path / "w0" / "result.json", list(range(1, 10))),
                  "--quiet").exit_code == 0
    with db(case) as conn:
        keys = {r[0].rsplit("/", 1)[-1]: r[1] for r in conn.execute("SELECT key, id FROM item WHERE kind = 'message'")}
    # Review through a sheet by id (message items have no URL).
    sheet = tmp_path / "review.csv"
    sheet.write_text(f"id,verdict,category\n{keys['5']},violating,smuggling_offer\n{keys['9']},violating,smuggling_offer\n",
                     encoding="utf-8")
    assert invoke("review", case, "--import", sheet, "--reviewer", "ana").exit_code == 0
    # The later export holds messages 1-4 and 6-8 of the channel but not 5: gone. Message 9 lies
    # past its last message (the export may stop early): not seen, never gone.
    later = channel_export(tmp_path / "w1" / "result.json", [1, 2, 3, 4, 6, 7, 8])
    result = invoke("recheck", case, later, "--wave", "w1", "--collected-at", "2024-06-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert "missing-from-full-export" in result.output
    found = {key.rsplit("/", 1)[-1]: (status, reason) for _, key, _, status, reason in checks(case)}
    assert found == {"5": ("unavailable", "missing-from-full-export"), "9": ("not_seen", "absent-from-export")}
    out = tmp_path / "report"
    result = invoke("report", case, "--as-of", "2024-06-30", "-o", out, "--format", "md")
    assert result.exit_code == 0, result.output
    assert "missing-from-full-export (1 in this case)" in next(out.glob("*.md")).read_text("utf-8")


# --- URL lists keep hosts apart --------------------------------------------------------------------

def test_url_list_hosts_stay_apart_and_merges_are_said(case, invoke, tmp_path):
    sheet = tmp_path / "urls.csv"
    sheet.write_text("url,platform\nhttps://www.facebook.com/somepage,facebook\nhttp://127.0.0.1:8765/somepage,facebook\n"
                     "https://m.facebook.com/somepage/?ref=bookmarks,facebook\n", encoding="utf-8")
    result = invoke("scan", case, sheet)
    assert result.exit_code == 0, result.output
    assert "3 records read, 3 mapped, 2 new items" in result.output
    assert "names the same item as line 2" in result.output
    assert sorted(r["key"] for r in items(invoke, case)) == ["somepage", "somepage@127.0.0.1:8765"]
