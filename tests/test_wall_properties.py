"""Property: no gone reading ever comes from a page a person would call a wall, a search or an error.

Live and gone pages from the corpus (tests/pages) get wall markup mixed in: a wall's whole title,
a wall's address as og:url or canonical link, a final URL on a login, checkpoint or consent page,
a search or feed address, Marketplace's grid of listings, or an HTTP error answer. Whatever the
mix, the reading is never in the gone family; a page that became a wall reads as a wall. Overlays
that sit on real pages (a login bar, a login button, a cookie dialog) change nothing either way.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.models import Family, Status
from toolkit.platforms.detect import read_page
from toolkit.recheck.fetch import Fetched
from toolkit.recheck.reading import read_response

PAGES = Path(__file__).resolve().parent / "pages"
HEADER = re.compile(r"Page saved with SingleFile\s+url: (\S+)")

# (file, platform, family the page reads as on its own)
BASES = [
    ("facebook/overlay-login-page.html", "facebook", Family.LIVE),
    ("facebook/overlay-login-post-jsonld.html", "facebook", Family.LIVE),
    ("facebook/group-private.html", "facebook", Family.LIVE),
    ("facebook/listing.html", "facebook", Family.LIVE),
    ("facebook/post-mbasic-story.html", "facebook", Family.LIVE),
    ("facebook/unavailable-en.html", "facebook", Family.GONE),
    ("facebook/unavailable-es.html", "facebook", Family.GONE),
    ("facebook/unavailable-pt.html", "facebook", Family.GONE),
    ("facebook/unavailable-fr.html", "facebook", Family.GONE),
    ("facebook/deleted-account.html", "facebook", Family.GONE),
    ("facebook/listing-removed.html", "facebook", Family.GONE),
    ("facebook/content-not-found-mbasic.html", "facebook", Family.GONE),
    ("instagram/post.html", "instagram", Family.LIVE),
    ("instagram/unavailable-en.html", "instagram", Family.GONE),
    ("instagram/unavailable-es.html", "instagram", Family.GONE),
    ("tiktok/unavailable-en.html", "tiktok", Family.GONE),
    ("tiktok/account-gone.html", "tiktok", Family.GONE),
    ("telegram/embed-post-not-found.html", "telegram", Family.GONE),
    ("telegram/channel-tos.html", "telegram", Family.GONE),
]
ITEM = {"facebook": "https%3A%2F%2Fwww.facebook.com%2Fcruce.seguro.usa%2F",
        "instagram": "%2Fcruce.norte%2F", "tiktok": "https%3A%2F%2Fwww.tiktok.com%2F%40viajes.rapidos"}
# Wall markup per platform: ("title", text) replaces the title; ("meta", html) goes first in <head>;
# ("final", url) is where a live fetch ended.
WALLS = {
    "facebook": [("title", "Log into Facebook"), ("title", "Inicia sesión en Facebook"), ("title", "Entrar no Facebook"),
                 ("title", "Se connecter à Facebook | Facebook"), ("title", "Security Check"),
                 ("meta", f'<meta property="og:url" content="https://www.facebook.com/login/?next={ITEM["facebook"]}">'),
                 ("meta", '<link rel="canonical" href="https://www.facebook.com/login/web/">'),
                 ("final", f"https://www.facebook.com/login/?next={ITEM['facebook']}"),
                 ("final", "https://m.facebook.com/login.php?refsrc=deprecated"),
                 ("final", f"https://www.facebook.com/checkpoint/?next={ITEM['facebook']}"),
                 ("final", f"https://www.facebook.com/privacy/consent/user_cookie_choice/?next={ITEM['facebook']}")],
    "instagram": [("title", "Login • Instagram"), ("title", "Iniciar sesión • Instagram"),
                  ("final", f"https://www.instagram.com/accounts/login/?next={ITEM['instagram']}"),
                  ("final", "https://www.instagram.com/challenge/?next=/cruce.norte/")],
    "tiktok": [("title", "Log in | TikTok"), ("final", f"https://www.tiktok.com/login?redirect_url={ITEM['tiktok']}")],
    "telegram": [],
}
SEARCHES = {
    "facebook": [("final", "https://www.facebook.com/search/top?q=cruzar"),
                 ("final", "https://www.facebook.com/marketplace/tijuana/search/?query=cristal"),
                 ("final", "https://www.facebook.com/hashtag/cruzaralusa"),
                 ("final", "https://www.facebook.com/marketplace/")],
    "instagram": [("final", "https://www.instagram.com/explore/tags/cruzarfrontera/")],
    "tiktok": [("final", "https://www.tiktok.com/tag/cruzarfrontera"), ("final", "https://www.tiktok.com/search?q=cruzar")],
    "telegram": [],
}
# A grid of listings inside an item's own page (a listing's "similar items", a sidebar filter):
# it is not the item's, and changes nothing of its reading.
GRIDS = [
    '<div aria-label="Collection of Marketplace items"><a href="/marketplace/item/880000000000999/">'
    '<span>Vendido</span><span>Sold</span></a></div>',
    '<div role="navigation"><h2>Filtros</h2><span>Disponibilidad</span><span>Vendido</span></div>',
]
OVERLAYS = [
    '<div data-testid="royal_login_button">Log In</div>',
    '<form id="login_form" action="/login/"><input name="email"><input name="pass" type="password"></form>',
    '<div data-testid="cookie-policy-manage-dialog" role="dialog"><h2>Allow the use of cookies from Facebook on this '
    'browser?</h2><button>Allow all cookies</button></div>',
    "<span>See posts, photos and more on Facebook.</span>",
]


def load(file: str) -> tuple[str, str | None]:
    text = (PAGES / file).read_text(encoding="utf-8")
    saved = HEADER.search(text[:2000])
    return text, saved.group(1) if saved else None


def mix(text: str, parts: list[tuple[str, str]]) -> tuple[str, str | None]:
    """The page with the markup mixed in, and the final URL a part gives (the last one wins)."""
    final = None
    for where, value in parts:
        if where == "title":
            text = re.sub(r"<title[^>]*>.*?</title>", f"<title>{value}</title>", text, count=1, flags=re.S) \
                if "<title" in text else text.replace("<head>", f"<head><title>{value}</title>", 1)
        elif where == "meta":
            text = re.sub(r"(<head[^>]*>)", lambda m, value=value: m.group(1) + value, text, count=1)
        elif where == "body":
            text = re.sub(r"(<body[^>]*>)", lambda m, value=value: m.group(1) + value, text, count=1)
        elif where == "final":
            final = value
    return text, final


def wall_or_search(platform: str):
    choices = WALLS[platform] + SEARCHES[platform]
    return st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True) if choices else st.just([])


@st.composite
def mixed_pages(draw):
    file, platform, family = draw(st.sampled_from(BASES))
    parts = draw(wall_or_search(platform))
    overlays = draw(st.lists(st.sampled_from(OVERLAYS + GRIDS), max_size=3, unique=True))
    return file, platform, family, parts, [("body", o) for o in overlays]


@settings(max_examples=300, deadline=None)
@given(case=mixed_pages())
def test_walls_and_searches_never_read_as_gone(case):
    file, platform, family, parts, overlays = case
    text, url = load(file)
    body, final = mix(text, parts + overlays)
    reading = read_page(body.encode("utf-8"), url, final_url=final)
    status = Status(reading.verdict.status)
    assert status.family != Family.GONE or not parts, (file, parts, reading.verdict)
    # A fetch ends in one place: of several final URLs drawn, only the last is the page's.
    finals = [p for p in parts if p[0] == "final"]
    parts = [p for p in parts if p[0] != "final"] + finals[-1:]
    walls = [p for p in parts if p in WALLS[platform]]
    if walls:
        assert reading.page == "wall" and status.family == Family.UNKNOWN, (file, parts, reading.verdict)
        # The wall's item is the one asked for or named in next=; nothing of the page is kept.
        assert all(c.name is None and c.text is None for c in reading.captures)
    elif parts:
        assert reading.page == "not-item" and reading.verdict.reason == "not-an-item", (file, parts, reading.verdict)
    if not parts:
        # Overlays and grids over an item's own page change nothing: live stays live, gone gone.
        assert status.family == family, (file, overlays, reading.verdict)


@settings(max_examples=120, deadline=None)
@given(base=st.sampled_from(BASES), code=st.sampled_from([429, 500, 502, 503, 504, 403, 401]),
       overlays=st.lists(st.sampled_from(OVERLAYS), max_size=2, unique=True))
def test_error_answers_never_read_as_gone(base, code, overlays):
    """An error answer (429, 5xx, 401/403) is never a removal, whatever wording its body has."""
    file, platform, _ = base
    text, url = load(file)
    body, _ = mix(text, [("body", o) for o in overlays])
    fetched = Fetched(url=url or "https://example.org/x", started_at="2021-05-17T15:00:00Z",
                      final_url=url or "https://example.org/x", http_status=code,
                      headers={"content-type": "text/html; charset=utf-8"}, body=body.encode("utf-8"), attempts=1)
    reading = read_response(fetched, url=url, platform=platform, observed_at="2021-05-17T15:00:00Z")
    assert Status(reading.status).family != Family.GONE, (file, code, reading)
