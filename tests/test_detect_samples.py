"""The expected reading of every saved page in ../shared/samples (skipped when absent).

Each HTML page there is listed with what the detectors must read off it: the platform, what the
page is (an item's page, a wall, or not an item), the status, the item and its parent, and the
other keys the page gives for the item (aliases) or, for a page that is not an item, how many item
links it offers. The Telegram Desktop HTML pages are exports, read by their importer: each must
be imported as a channel (never skipped as a private chat).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import sample
from toolkit.models import Status
from toolkit.platforms.detect import read_page
from toolkit.sources import registry
from toolkit.sources.base import ReadContext

# file under samples/: (platform, page, status, reason, kind, key, parent "kind:key", aliases, candidates)
EXPECTED = {
    "facebook_html/facebook_scraper_m_vcr/m_group_117507531664134.html":
        ("facebook", "item", "available", None, "group", "southamericansincomputing", None, ("117507531664134",), 0),
    "facebook_html/facebook_scraper_m_vcr/m_group_permalink_1629606003787605.html":
        ("facebook", "item", "available", None, "post", "1629606003787605", "group:southamericansincomputing", (), 0),
    "facebook_html/facebook_scraper_m_vcr/m_story_nintendo_3065154550235644.html":
        ("facebook", "item", "available", None, "post", "3065154550235644", "page:119240841493711", (), 0),
    "facebook_html/pender_www/facebook-item-page_iosid.html":
        ("facebook", "item", "available", None, "page", "popordezamagit", None, ("891167404572251",), 0),
    "facebook_html/pender_www/facebook-item-page_pfbid.html":
        ("facebook", "item", "available", None, "post",
         "pfbid02Hvu5Jys35PPckFHUQFNbxoT7pK8quieyMMG7D5KkkwtxbwJuSkpPjXK1ZEXceQNXl", "page:littlemix", (), 0),
    # A photo album saved logged out without its URL: only the login form says anything.
    "facebook_html/pender_www/facebook-item-page_photo-album.html":
        ("facebook", "item", "login_required", "login-wall", None, None, None, (), 0),
    "facebook_html/pender_www/facebook-profile-page_meedan-old.html":
        ("facebook", "item", "available", None, "page", "105510962816034", None, (), 0),
    "facebook_html/pender_www/facebook-profile-page_meedan.html":
        ("facebook", "item", "available", None, "page", "heymeedan", None, ("100067935271247",), 0),
    # A comment thread and a reactions list name no item and show none: nothing is read from them.
    "facebook_html/phoenix_mbasic_singlefile/comment_replies_j-sonko-replies.html":
        ("facebook", "item", "error", "no-markers", None, None, None, (), 0),
    "facebook_html/phoenix_mbasic_singlefile/page_watchthemed_alarmphone.html":
        ("facebook", "item", "available", None, "page", "watchthemed.alarmphone", None, ("1525906057683632",), 0),
    "facebook_html/phoenix_mbasic_singlefile/photo_post_j-sonko.html":
        ("facebook", "item", "available", None, "post", "840811325957217", "page:governormikesonkombuvi", (), 0),
    "facebook_html/phoenix_mbasic_singlefile/post_story_album_c-test.html":
        ("facebook", "item", "available", None, "post", "1568199460026980", "page:197019303811676", (), 0),
    "facebook_html/phoenix_mbasic_singlefile/reactions_people_who_reacted.html":
        ("facebook", "item", "error", "no-markers", None, None, None, (), 0),
    # A search: no status, its results (a page and two posts) offered to track; the saver's own
    # profile in the header is not among them.
    "facebook_html/phoenix_mbasic_singlefile/search_posts_failed7.html":
        ("facebook", "not-item", "error", "not-an-item", None, None, None, (), 3),
    "instagram_html/pender_instagram-item-page.html":
        ("instagram", "item", "available", None, "post", "Chm_-tPJqpd", "profile:retrobayarea", (), 0),
    "instagram_html/pender_instagram-profile-page.html":
        ("instagram", "item", "available", None, "profile", "megadeth", None, (), 0),
    "telegram_web_html/pender_telegram-item.html":
        ("telegram", "item", "available", None, "message", "rechtsanwaeltin_beate_bahner/13285",
         "channel:rechtsanwaeltin_beate_bahner", (), 0),
    "tiktok_html/pender_tiktok-item-page.html":
        ("tiktok", "item", "available", None, "video", "7134059641968872746", "profile:rebelunicorncrafts", (), 0),
}
EXPORTS = {
    "telegram_desktop_html/channel_koks8642_tg-nav-bot_messages.html": "channel",
    "telegram_desktop_html/channel_uponthepathofsalaf_messages.html": "channel",
}


def read_sample(name: str):
    body = sample(*name.split("/")).read_bytes()
    header = re.search(rb"Page saved with SingleFile\s+url: (\S+)", body[:2000])
    return read_page(body, header.group(1).decode() if header else None)


def test_every_saved_page_is_listed(samples):
    pages = {str(p.relative_to(samples)) for p in samples.rglob("*") if p.suffix.lower() in (".html", ".htm")}
    assert pages and pages == set(EXPECTED) | set(EXPORTS)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=[n.split("/")[-1] for n in sorted(EXPECTED)])
def test_sample_reading(name):
    platform, page, status, reason, kind, key, parent, aliases, candidates = EXPECTED[name]
    reading = read_sample(name)
    assert (reading.platform, reading.page, str(reading.verdict.status), reading.verdict.reason) == (
        platform, page, status, reason), reading.verdict
    assert len(reading.candidates) == candidates, [c.item for c in reading.candidates]
    if key is None:
        assert not reading.captures
        return
    main = reading.main
    assert (str(main.item.kind), main.item.key) == (kind, key)
    assert (f"{main.parent.kind}:{main.parent.key}" if main.parent else None) == parent
    assert main.aliases == aliases


@pytest.mark.parametrize("name", sorted(EXPORTS), ids=[n.split("/")[-1] for n in sorted(EXPORTS)])
def test_telegram_export_pages_are_channels(name):
    path = sample(*name.split("/"))
    importer = registry.detect(path)
    assert importer is not None and importer.name == "telegram-html"
    context = ReadContext(path=path)
    records = [raw for _, raw in importer.read(path, context)]
    assert records[0]["record"] == "chat" and records[0]["kind"] == EXPORTS[name]
    assert len(records) > 100 and not context.notes


def test_sample_fields(samples):
    group = read_sample("facebook_html/facebook_scraper_m_vcr/m_group_117507531664134.html")
    assert group.main.name == "South Americans in Computing"
    assert len(group.captures) > 5 and all(c.parent == group.main.item for c in group.captures[1:])
    permalink = read_sample("facebook_html/facebook_scraper_m_vcr/m_group_permalink_1629606003787605.html")
    post, parent = permalink.captures
    # In a group the writer is a member, beside the post; the group is its parent, by its own name.
    assert (post.fields["author_id"], post.fields["author_name"]) == ("757122227", "Omar U. Florez")
    assert parent.name == "South Americans in Computing"
    page = read_sample("facebook_html/pender_www/facebook-item-page_iosid.html").main
    assert (page.name, page.likes) == ("Popor dezamagit", 40468)
    tiktok = read_sample("tiktok_html/pender_tiktok-item-page.html")
    assert tiktok.main.likes == 4787 and tiktok.captures[1].followers == 183500
    story = read_sample("facebook_html/facebook_scraper_m_vcr/m_story_nintendo_3065154550235644.html").main
    assert story.created_at == "2020-05-13T01:01:18Z" and story.text.startswith("Check out these themed wallpapers")
    search = read_sample("facebook_html/phoenix_mbasic_singlefile/search_posts_failed7.html")
    assert sorted(str(c.item.kind) for c in search.candidates) == ["page", "post", "post"]


def test_no_saved_page_in_the_samples_reads_as_gone(samples):
    """Every HTML file among the samples (any platform, any layout): never a removal."""
    pages = sorted(p for p in samples.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    assert pages
    for path in pages:
        reading = read_page(path.read_bytes())
        assert reading.verdict.status.family.value != "gone", (path.name, reading.verdict)
        assert reading.verdict.status != Status.REMOVED
