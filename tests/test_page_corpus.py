"""The page corpus: every page in tests/pages/manifest.csv reads as the manifest says.

The pages are minimal synthetic copies of real pages' structure (walls with and without next=,
checkpoints, consent, "content isn't available" in four languages, deleted accounts, private
groups, Marketplace listings and searches, mbasic/m/www posts, group permalinks, t.me previews,
TikTok and Instagram error pages); the manifest's `source` column names the public page or report
each imitates (never its content). Columns: the page's `url` (else the SingleFile header's),
`final_url` and `http_status` where the page came from a live fetch; the expected `platform`,
`page` (item, wall, not-item), `kind`, `key`, `parent` (kind:key), `status` and `reason`, and for
a page that is not an item the number of item links it offers (`candidates`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from toolkit.models import Family, Status
from toolkit.platforms.detect import read_page

PAGES = Path(__file__).resolve().parent / "pages"
with (PAGES / "manifest.csv").open(encoding="utf-8") as _manifest:
    MANIFEST = list(csv.DictReader(_manifest))
HEADER = re.compile(rb"Page saved with SingleFile\s+url: (\S+)")


def read_row(row: dict[str, str]):
    """Read a corpus page as the manifest row says it was obtained."""
    body = (PAGES / row["file"]).read_bytes()
    saved = HEADER.search(body[:2000])
    url = row["url"] or (saved.group(1).decode() if saved else None)
    return read_page(body, url, final_url=row["final_url"] or None,
                     http_status=int(row["http_status"]) if row["http_status"] else None,
                     observed_at="2021-05-17T15:04:37Z")


def test_the_corpus_covers_every_kind_of_page():
    assert len(MANIFEST) >= 60
    assert len({row["file"] for row in MANIFEST}) == len(MANIFEST)
    assert sorted(str(p.relative_to(PAGES)) for p in PAGES.glob("*/*.html")) == sorted(r["file"] for r in MANIFEST)
    # Every row names the public page or report its structure comes from; at least 40 imitate real
    # pages studied (the rest say "synthetic:").
    assert all(len(row["source"]) > 20 for row in MANIFEST)
    assert sum(not row["source"].startswith("synthetic:") for row in MANIFEST) >= 40
    kinds = {(row["page"], row["status"] or row["reason"]) for row in MANIFEST}
    for wanted in [("wall", "login_required"), ("wall", "restricted"), ("not-item", "marketplace-search"),
                   ("not-item", "search"), ("not-item", "hashtag"), ("item", "unavailable"), ("item", "sold"),
                   ("item", "removed"), ("item", "account_gone"), ("item", "available")]:
        assert wanted in kinds, wanted


@pytest.mark.parametrize("row", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_page_reads_as_the_manifest_says(row):
    reading = read_row(row)
    verdict = reading.verdict
    assert (reading.platform, reading.page) == (row["platform"], row["page"]), (verdict, reading.page_reason)
    if row["page"] == "not-item":
        # No status is taken from a page that is not an item; its item links are offered instead.
        assert verdict.reason == "not-an-item" and reading.page_reason == row["reason"], verdict
        assert not reading.captures
        assert len(reading.candidates) == int(row["candidates"]), [c.item for c in reading.candidates]
        assert all(c.status is None for c in reading.candidates)
        return
    assert str(verdict.status) == row["status"], verdict
    if row["reason"]:
        assert verdict.reason == row["reason"], verdict
    if row["page"] == "wall":
        assert Status(verdict.status).family == Family.UNKNOWN
    if not row["key"]:
        assert not reading.captures, [c.item for c in reading.captures]
        return
    main = reading.main
    assert (str(main.item.kind), main.item.key) == (row["kind"], row["key"])
    assert (f"{main.parent.kind}:{main.parent.key}" if main.parent else "") == row["parent"]
    assert main.status == verdict.status
    if verdict.status not in (Status.AVAILABLE, Status.SOLD):
        # A wall or a gone page gives nothing of its own: no name, no text, no second item.
        assert len(reading.captures) == 1 and main.name is None and main.text is None


DOCS = Path(__file__).resolve().parent.parent / "docs" / "detectors.md"
FIXTURE_PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


def documented_evidence() -> set[tuple[str, str, str]]:
    """(platform, kind, place) from the evidence table of docs/detectors.md."""
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("## What counts as \"the item is there\"", 1)[1].split("Never evidence", 1)[0]
    found = set()
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("platform", "---"):
            places = [p for p in re.findall(r"`([^`]+)`", cells[2])
                      if p.startswith(("meta:", "json", "data-ft", "canonical", "container:", "text"))]
            assert places, line
            found.update((cells[0], cells[1], place) for place in places)
    return found


def test_every_documented_evidence_has_a_page_that_shows_it():
    """Each kind of evidence docs/detectors.md lists is what some page in the corpus or the detector
    fixtures reads as available by."""
    seen: set[tuple[str, str, str]] = set()
    for path in [*PAGES.glob("*/*.html"), *FIXTURE_PAGES.glob("*/*.html")]:
        body = path.read_bytes()
        row = next((r for r in MANIFEST if PAGES / r["file"] == path), None)
        saved = HEADER.search(body[:2000]) or re.search(rb"url: (\S+)", body[:600])
        url = (row["url"] if row and row["url"] else None) or (saved.group(1).decode() if saved else None)
        reading = read_page(body, url)
        if reading.verdict.status == Status.AVAILABLE and reading.main is not None:
            seen.add((reading.platform, str(reading.main.item.kind), reading.verdict.place))
    documented = documented_evidence()
    assert len(documented) >= 20
    assert documented <= seen, sorted(documented - seen)
