"""The detectors on the real saved pages in ../shared/samples (skipped when absent)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sample
from toolkit.models import Status
from toolkit.platforms.detect import read_page

# (file under samples/, platform, kind, key, parent key or None)
EXPECTED = [
    ("facebook_html/facebook_scraper_m_vcr/m_group_117507531664134.html", "facebook", "group", "117507531664134", None),
    ("facebook_html/facebook_scraper_m_vcr/m_group_permalink_1629606003787605.html", "facebook", "post",
     "1629606003787605", "southamericansincomputing"),
    ("facebook_html/facebook_scraper_m_vcr/m_story_nintendo_3065154550235644.html", "facebook", "post",
     "3065154550235644", "119240841493711"),
    ("facebook_html/pender_www/facebook-item-page_iosid.html", "facebook", "page", "891167404572251", None),
    ("facebook_html/pender_www/facebook-item-page_pfbid.html", "facebook", "post",
     "pfbid02Hvu5Jys35PPckFHUQFNbxoT7pK8quieyMMG7D5KkkwtxbwJuSkpPjXK1ZEXceQNXl", "littlemix"),
    ("facebook_html/pender_www/facebook-profile-page_meedan-old.html", "facebook", "page", "105510962816034", None),
    ("facebook_html/pender_www/facebook-profile-page_meedan.html", "facebook", "profile", "100067935271247", None),
    ("facebook_html/phoenix_mbasic_singlefile/page_watchthemed_alarmphone.html", "facebook", "page",
     "watchthemed.alarmphone", None),
    ("facebook_html/phoenix_mbasic_singlefile/photo_post_j-sonko.html", "facebook", "post", "840811325957217",
     "governormikesonkombuvi"),
    ("facebook_html/phoenix_mbasic_singlefile/post_story_album_c-test.html", "facebook", "post", "1568199460026980",
     "197019303811676"),
    ("instagram_html/pender_instagram-item-page.html", "instagram", "post", "Chm_-tPJqpd", "retrobayarea"),
    ("instagram_html/pender_instagram-profile-page.html", "instagram", "profile", "megadeth", None),
    ("telegram_web_html/pender_telegram-item.html", "telegram", "message", "rechtsanwaeltin_beate_bahner/13285",
     "rechtsanwaeltin_beate_bahner"),
    ("tiktok_html/pender_tiktok-item-page.html", "tiktok", "video", "7134059641968872746", "rebelunicorncrafts"),
]
# Saved pages that are not items (comment replies, reactions, a search) or show a login form only.
OTHER = [
    "facebook_html/pender_www/facebook-item-page_photo-album.html",
    "facebook_html/phoenix_mbasic_singlefile/comment_replies_j-sonko-replies.html",
    "facebook_html/phoenix_mbasic_singlefile/reactions_people_who_reacted.html",
    "facebook_html/phoenix_mbasic_singlefile/search_posts_failed7.html",
]


def read_sample(name: str):
    body = sample(*name.split("/")).read_bytes()
    header = re.search(rb"Page saved with SingleFile\s+url: (\S+)", body[:2000])
    return read_page(body, header.group(1).decode() if header else None)


@pytest.mark.parametrize("name,platform,kind,key,parent", EXPECTED, ids=[e[0].split("/")[-1] for e in EXPECTED])
def test_sample_identity_and_status(name, platform, kind, key, parent):
    reading = read_sample(name)
    assert reading.platform == platform
    assert reading.verdict.status == Status.AVAILABLE, reading.verdict
    main = reading.main
    assert (str(main.item.kind), main.item.key) == (kind, key)
    assert (main.parent.key if main.parent else None) == parent


@pytest.mark.parametrize("name", OTHER, ids=[n.split("/")[-1] for n in OTHER])
def test_other_samples_are_never_gone(name):
    reading = read_sample(name)
    assert reading.platform == "facebook"
    assert reading.verdict.status.family.value in ("live", "unknown")


def test_sample_fields(samples):
    group = read_sample(EXPECTED[0][0])
    assert group.main.name == "South Americans in Computing"
    assert len(group.captures) > 5 and all(c.parent == group.main.item for c in group.captures[1:])
    page = read_sample("facebook_html/pender_www/facebook-item-page_iosid.html").main
    assert (page.name, page.likes) == ("Popor dezamagit", 40468)
    tiktok = read_sample("tiktok_html/pender_tiktok-item-page.html")
    assert tiktok.main.likes == 4787 and tiktok.captures[1].followers == 183500
    post = read_sample("facebook_html/facebook_scraper_m_vcr/m_story_nintendo_3065154550235644.html").main
    assert post.created_at == "2020-05-13T01:01:18Z" and post.text.startswith("Check out these themed wallpapers")


def test_no_saved_page_in_the_samples_reads_as_gone(samples):
    """Every HTML file among the samples (any platform, any layout): never a removal."""
    pages = sorted(p for p in samples.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    assert pages
    for path in pages:
        reading = read_page(path.read_bytes())
        assert reading.verdict.status.family.value != "gone", (path.name, reading.verdict)
