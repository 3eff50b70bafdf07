"""A live post whose own words quote a platform's "not available" notice is still live.

Facebook, Instagram and TikTok put the item's own text in the places the notices are looked for:
a Facebook post's <title> is "<page> - <post text> | Facebook" (the real
`facebook_html/pender_www/facebook-item-page_pfbid.html`: "Little Mix - 🤍 Nothing comes between
us 🤍 | Facebook"), an Instagram post's <title> and og:title are `<name> on Instagram: "<caption>"`
(`instagram_html/pender_instagram-item-page.html`), a TikTok video's <title> is its caption
(`tiktok_html/pender_tiktok-item-page.html`). The people investigated write those words: a post
saying "Este contenido no está disponible en tu país, escríbenos" must not read as removed. The
pages below are synthetic, built on the corpus fixtures in tests/fixtures/pages (which imitate
those real pages), with the quoting text put where the real pages carry the item's text.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from _recheck_server import FB_UNAVAILABLE_ES, Replies, add_item, serving

from toolkit.models import Family, Status
from toolkit.platforms.detect import read_page

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
FB_POST_URL = "https://www.facebook.com/cruceseguro.usa/posts/pfbid02AbCdEfGhIjKlMnOpQrStUvWxYz123456789l"
IG_POST_URL = "https://www.instagram.com/p/C5xYz_AbCdE/"
TT_VIDEO_URL = "https://www.tiktok.com/@viajes.rapidos/video/7360000000000000001"


def quoting(page: str, texts: tuple[str, ...], quote: str) -> str:
    """The corpus page with each of the post's own `texts` (its text, and the shorter forms of it
    the page shows in its <title>, og:description or JSON-LD) replaced by `quote`, longest first."""
    body = (PAGES / page).read_text(encoding="utf-8")
    for old in texts:
        assert old in body
        body = body.replace(old, quote)
    return body


def fb_post_quoting(quote: str) -> str:
    """The corpus Facebook post with its text (JSON-LD articleBody, og:description, the <title>'s
    "<page> - <text>" and the post's own span) replaced by `quote`."""
    return quoting("facebook/available-post.html", (
        "Salimos este viernes desde Tapachula, cruce garantizado, pago al llegar. Info por WhatsApp +52 55 5555 0101",
        "Salimos este viernes desde Tapachula, cruce garantizado, pago al llegar.",
        "Salimos este viernes desde Tapachula"), quote)


def ig_post_quoting(quote: str) -> str:
    return quoting("instagram/available-post.html", (
        "Salidas cada semana desde Tapachula. Cruce seguro, pago al llegar. Info +52 55 5555 0102",
        "Salidas cada semana desde Tapachula. Cruce seguro, pago al llegar.",
        "Salidas cada semana desde Tapachula."), quote)


def tt_video_quoting(quote: str) -> str:
    body = (PAGES / "tiktok" / "available.html").read_text(encoding="utf-8")
    for old in ("<title>Cruce por el río, te esperamos del otro lado | TikTok</title>",
                "Cruce por el río, te esperamos del otro lado 🚐 #viajes #usa"):
        assert old in body
    body = body.replace("<title>Cruce por el río, te esperamos del otro lado | TikTok</title>", f"<title>{quote} | TikTok</title>")
    body = body.replace("Cruce por el río, te esperamos del otro lado 🚐 #viajes #usa", quote)
    # TikTok shows the caption in an <h1> too (data-e2e="browse-video-desc").
    return body.replace('<div id="app"></div>', f'<div id="app"><h1 data-e2e="browse-video-desc">{quote}</h1></div>')


QUOTED = [
    ("facebook-title", FB_POST_URL, fb_post_quoting("Este contenido no está disponible en tu país? Escríbenos, cruzamos sin papeles")),
    ("facebook-whole-text", FB_POST_URL, fb_post_quoting("Este contenido no está disponible en este momento")),
    ("facebook-pt", FB_POST_URL, fb_post_quoting("Este conteúdo não está disponível no Brasil, fale no WhatsApp")),
    ("instagram-title", IG_POST_URL, ig_post_quoting("Esta publicación no está disponible en otras cuentas, solo aquí")),
    ("instagram-og", IG_POST_URL, ig_post_quoting("Contenido no disponible en tu zona? Pregunta por DM")),
    ("tiktok-gone", TT_VIDEO_URL, tt_video_quoting("Video no disponible actualmente en otras apps, aquí sí")),
    ("tiktok-account", TT_VIDEO_URL, tt_video_quoting("Couldn't find this account? New one here, salidas diarias")),
    ("tiktok-private", TT_VIDEO_URL, tt_video_quoting("Esta cuenta es privada? No, escríbenos")),
]


@pytest.mark.parametrize("name,url,body", QUOTED, ids=[q[0] for q in QUOTED])
def test_a_live_post_quoting_the_notice_reads_available(name, url, body):
    reading = read_page(body, url)
    assert reading.verdict.status == Status.AVAILABLE, (name, reading.verdict)


def test_the_notices_themselves_still_read_gone():
    """The platforms' own pages, without the item's evidence, read as before."""
    for platform, page, status in (("facebook", "unavailable.html", Status.UNAVAILABLE),
                                   ("instagram", "unavailable.html", Status.UNAVAILABLE),
                                   ("tiktok", "unavailable.html", Status.UNAVAILABLE),
                                   ("tiktok", "account_gone.html", Status.ACCOUNT_GONE),
                                   ("telegram", "removed.html", Status.REMOVED),
                                   ("whatsapp", "unavailable-invite.html", Status.UNAVAILABLE)):
        reading = read_page((PAGES / platform / page).read_bytes(), platform=platform)
        assert reading.verdict.status == status, (platform, page, reading.verdict)


def test_a_tiktok_status_code_is_never_quoted():
    """Only places that show text can quote: the inline JSON's status code is TikTok's own, even
    when the account's bio happens to hold the same digits."""
    body = (PAGES / "tiktok" / "available-profile.html").read_text(encoding="utf-8")
    assert '"statusCode": 0' in body or '"statusCode":0' in body
    body = body.replace('"statusCode": 0', '"statusCode": 10222').replace('"statusCode":0', '"statusCode":10222')
    body = body.replace('"signature": "', '"signature": "Código 10222 ')
    reading = read_page(body, "https://www.tiktok.com/@viajes.rapidos")
    assert reading.verdict.status == Status.RESTRICTED, reading.verdict


# A live recheck: the platform's soft 404 (HTTP 200, "Este contenido no está disponible") is gone,
# the same words inside a live post are not.
SERVED = {"/cruceseguro.usa/posts/soft404": FB_UNAVAILABLE_ES,
          "/cruceseguro.usa/posts/quoted": fb_post_quoting("Este contenido no está disponible en tu país? Escríbenos")}


class Handler(Replies):
    def do_GET(self) -> None:
        self.reply(200, SERVED[self.path])


@pytest.fixture
def site():
    with serving(Handler) as url:
        yield url


def test_live_recheck_tells_the_soft_404_from_a_post_quoting_it(case, invoke, site):
    ids = {path: add_item(case, "facebook", site + path, kind="post") for path in SERVED}
    result = invoke("recheck", case, "--all", "--wave", "w1", "--interval", "0", "--retries", "0")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    status = dict(conn.execute('SELECT item_id, status FROM "check"').fetchall())
    conn.close()
    assert status[ids["/cruceseguro.usa/posts/soft404"]] == "unavailable"
    assert status[ids["/cruceseguro.usa/posts/quoted"]] == "available"
    assert Status(status[ids["/cruceseguro.usa/posts/quoted"]]).family == Family.LIVE
