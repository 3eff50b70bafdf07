"""Rechecks from later exports: saved pages matched to tracked items, not_seen, no duplicates."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _recheck_server import FB_LIVE, FB_LOGIN, FB_UNAVAILABLE_ES

from toolkit.case import open_case
from toolkit.models import Capture
from toolkit.platforms.detect import read_page
from toolkit.scan.pipeline import scan_paths
from toolkit.sources import registry
from toolkit.sources.base import Importer, ReadContext

PAGE = "https://www.facebook.com/CruceSeguroUSA.Oficial"
POST_A = "https://www.facebook.com/CruceSeguroUSA.Oficial/posts/1234567890"
POST_B = "https://www.facebook.com/CruceSeguroUSA.Oficial/posts/1234567891"
GROUP = "https://www.facebook.com/groups/quierocruzarlafrontera.ejemplo"
OTHER = "https://www.facebook.com/ViajesSeguros.Ejemplo"


class SavedPageForTests(Importer):
    """A minimal saved-page format for these tests: `<!-- url: U saved: T -->` then the HTML.
    The real containers (SingleFile, MHTML...) hand pages to read_page the same way."""

    name = "test-saved-page"
    version = "1"
    description = "saved page with a url/saved comment (tests only)"
    priority = 95

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.name.endswith(".saved.html")

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        body = path.read_bytes()
        found = re.match(rb"<!-- url: (\S+) saved: (\S+) -->", body)
        ctx.collected_at = found.group(2).decode()
        yield 1, {"url": found.group(1).decode(), "body": body, "saved": ctx.collected_at}

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        return read_page(raw["body"], raw["url"], observed_at=raw["saved"]).captures


@pytest.fixture
def saved_pages():
    registry.register(SavedPageForTests)
    yield
    registry._REGISTRY.pop(SavedPageForTests.name, None)


def save(folder: Path, name: str, url: str, html: str, when: str = "2021-05-17T15:00:00Z") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"<!-- url: {url} saved: {when} -->\n{html}", encoding="utf-8")


def track(case: Path, *paths: Path) -> None:
    """Import files as `toolkit scan` does (without lexicon tagging, which these tests do not need)."""
    with open_case(case) as opened:
        results = scan_paths(opened, [str(p) for p in paths])
    assert all(r.outcome == "imported" for r in results), results


def violating(case: Path) -> dict[str, int]:
    conn = sqlite3.connect(case / "case.db")
    with conn:
        ids = {url: item_id for item_id, url in conn.execute("SELECT id, url FROM item")}
        for item_id in ids.values():
            conn.execute("INSERT INTO review (item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 't', ?)",
                         (item_id, "2021-04-10T00:00:00Z"))
    conn.close()
    return ids


def checks(case: Path) -> list[tuple]:
    conn = sqlite3.connect(case / "case.db")
    rows = conn.execute('SELECT i.url, c.status, c.method, c.observed_at, c.reason FROM "check" c '
                        "JOIN item i ON i.id = c.item_id ORDER BY i.url").fetchall()
    conn.close()
    return rows


def test_later_exports_give_statuses_and_not_seen(case, invoke, tmp_path, saved_pages):
    urls = tmp_path / "tracked.txt"
    urls.write_text("\n".join([PAGE, POST_A, POST_B, GROUP, OTHER]) + "\n", encoding="utf-8")
    track(case, urls)
    ids = violating(case)
    wave2 = tmp_path / "wave2"
    save(wave2, "page.saved.html", PAGE, FB_LIVE)
    save(wave2, "post-a.saved.html", POST_A, FB_UNAVAILABLE_ES)
    save(wave2, "group.saved.html", GROUP, FB_LOGIN)

    result = invoke("recheck", case, "--wave", "2021-05-17", wave2, "--format", "json")
    assert result.exit_code == 0, result.output
    got = {url: (status, method, observed, reason) for url, status, method, observed, reason in checks(case)}
    page_url = "https://www.facebook.com/crucesegurousa.oficial"
    assert got[page_url][:3] == ("available", "export", "2021-05-17T15:00:00Z")
    assert got[page_url + "/posts/1234567890"][0] == "unavailable"
    assert got[GROUP][0] == "login_required"
    # Post B sits under the page, which the export shows: it was looked for and not seen; never gone.
    assert got[page_url + "/posts/1234567891"][0::3] == ("not_seen", "absent-from-export")
    # The other page was in no export at all: no check.
    assert "https://www.facebook.com/viajesseguros.ejemplo" not in got
    assert len(ids) == 5
    assert '"not_seen": 1' in result.stdout and '"unavailable": 1' in result.stdout

    # Running the same command again adds nothing.
    again = invoke("recheck", case, "--wave", "2021-05-17", wave2)
    assert again.exit_code == 0, again.output
    assert len(checks(case)) == 4
    assert "0 export check(s) added" in again.stderr


def test_files_scanned_before_the_recheck_are_matched_from_the_store(case, invoke, tmp_path, saved_pages):
    urls = tmp_path / "tracked.txt"
    urls.write_text(POST_A + "\n", encoding="utf-8")
    track(case, urls)
    violating(case)
    wave2 = tmp_path / "wave2"
    save(wave2, "post-a.saved.html", POST_A, FB_UNAVAILABLE_ES)
    track(case, wave2 / "post-a.saved.html")  # scanned as usual first
    result = invoke("recheck", case, "--wave", "w2", wave2)
    assert result.exit_code == 0, result.output
    assert [(s, m) for _, s, m, _, _ in checks(case)] == [("unavailable", "export")]


def test_new_captures_from_a_recheck_are_tagged_like_a_scan(case, invoke, tmp_path, saved_pages):
    urls = tmp_path / "tracked.txt"
    urls.write_text(PAGE + "\n", encoding="utf-8")
    track(case, urls)
    violating(case)
    wave2 = tmp_path / "wave2"
    save(wave2, "page.saved.html", PAGE, FB_LIVE)
    assert invoke("recheck", case, "--wave", "w2", wave2).exit_code == 0
    conn = sqlite3.connect(case / "case.db")
    tagged = conn.execute("SELECT count(*) FROM hit").fetchone()[0] + conn.execute("SELECT count(*) FROM indicator").fetchone()[0]
    conn.close()
    assert tagged > 0  # "Te cruzamos sin papeles" and the WhatsApp number
