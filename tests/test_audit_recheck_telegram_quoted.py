"""A live Telegram channel whose own words quote Telegram's ban notice is not a removal.

The owner of a channel writes its description (`div.tgme_page_description` on t.me/<name>, what
og:description and twitter:description repeat, `div.tgme_channel_info_description` on
t.me/s/<name>) and its messages (`div.tgme_widget_message_text`); public scrapers read those
elements as the bio and the post text (medialab/minet's t.me/s/ scraper, many t.me profile
readers). Telegram writes `div.tgme_widget_message_error` in the ?embed=1 widget ("Post not
found", the Terms-of-Service notices: WP Telegram Widget's post_still_exists, a TDLib link
checker comparing that box's text with the notices), and its notice for a blocked channel stands
in for the description, the whole of it. The people investigated write the description, so
"This channel can't be displayed because it violated Telegram's Terms of Service" there must not
turn a live channel into a removal.

The pages are the corpus pages in tests/pages/telegram and tests/fixtures/pages/telegram (each
names the real page it imitates), with the owner's texts changed where the real pages carry them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from _recheck_server import Replies, add_item, serving

from toolkit.models import Status
from toolkit.platforms.detect import read_page

CORPUS = Path(__file__).resolve().parent / "pages" / "telegram"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages" / "telegram"
NOTICE = "This channel can't be displayed because it violated Telegram's Terms of Service."
QUOTE = NOTICE + " Mentira, seguimos aquí: salidas diarias, escribe al +52 55 5555 0101"
CHANNEL = "https://t.me/cruce_seguro_mx"
LIST = "https://t.me/s/cruce_seguro_mx"
OWN_DESCRIPTION = "Viajes a USA. Pregunta sin compromiso."  # og:description and the description element


def corpus(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def with_description(page: str, text: str) -> str:
    """The fixture channel (t.me/<name> or t.me/s/<name>) with its owner's description (element
    and og:description) set to `text`."""
    assert page.count(OWN_DESCRIPTION) == 2
    return page.replace(OWN_DESCRIPTION, text)


def test_a_banned_channel_still_reads_removed():
    """Telegram's notice in place of the description, no subscriber count, no messages."""
    for body, url in ((corpus("channel-tos.html"), "https://t.me/crucesmx"),
                      (fixture("removed.html"), "https://t.me/viajes_norte_info")):
        reading = read_page(body, url)
        assert (reading.verdict.status, reading.verdict.reason) == (Status.REMOVED, "terms-of-service")
        assert reading.verdict.place == "container:div.tgme_page_description"


QUOTES = [
    ("en-after", QUOTE),
    ("en-before", "Ojo: si ves 'This channel can't be displayed because it violated Telegram's Terms of Service', "
                  "búscanos en @cruce_seguro_mx2"),
    ("es", "Si un día ves 'Este canal no se puede mostrar porque violó los Términos de Servicio de Telegram', "
           "escríbenos al WhatsApp"),
    ("copyright", "Canal is unavailable due to copyright infringement? No, aquí seguimos, pregunta sin compromiso"),
    ("inaccessible", "This channel is inaccessible en otras apps, aquí sí: salidas diarias"),
]


@pytest.mark.parametrize("name,quote", QUOTES, ids=[q[0] for q in QUOTES])
def test_a_live_channel_whose_description_quotes_the_notice_reads_available(name, quote):
    """A subscriber count (t.me/<name>) or counters and messages (t.me/s/<name>) beside it."""
    for page, url in ((fixture("available-channel.html"), CHANNEL), (fixture("available.html"), LIST)):
        reading = read_page(with_description(page, quote), url)
        assert reading.verdict.status == Status.AVAILABLE, (name, url, reading.verdict)
        assert reading.main.item.key == "cruce_seguro_mx" and reading.main.text == quote


def test_the_corpus_channels_quoting_the_notice_read_available():
    reading = read_page(corpus("channel-quoted-description.html"), "https://t.me/crucesmx")
    assert reading.verdict.status == Status.AVAILABLE and reading.main.followers == 12431
    reading = read_page(corpus("channel-s-quoted.html"), "https://t.me/s/crucesmx")
    assert reading.verdict.status == Status.AVAILABLE
    assert [(c.item.key, c.status) for c in reading.captures] == [
        ("crucesmx", Status.AVAILABLE), ("crucesmx/4203", Status.AVAILABLE), ("crucesmx/4206", Status.AVAILABLE)]


def test_a_live_channel_whose_latest_message_quotes_the_notice_reads_available():
    """The channel and the message: a message that holds the notice among its own words is live."""
    body = fixture("available.html").replace("Precios especiales para familias.", QUOTE)
    reading = read_page(body, LIST)
    assert reading.verdict.status == Status.AVAILABLE
    latest = next(c for c in reading.captures if c.item.key == "cruce_seguro_mx/103")
    assert latest.status == Status.AVAILABLE and latest.text == QUOTE
    reading = read_page(body, "https://t.me/s/cruce_seguro_mx/103")
    assert (reading.main.item.key, reading.verdict.status) == ("cruce_seguro_mx/103", Status.AVAILABLE)


def test_the_stub_word_for_word_beside_a_live_channel_is_undetermined():
    """The owner may copy the notice whole; whether Telegram keeps a banned channel's count is
    not known from a real page: neither removed nor live."""
    for body, url in ((corpus("channel-stub-beside-count.html"), "https://t.me/crucesmx"),
                      (with_description(fixture("available.html"), NOTICE), LIST)):
        verdict = read_page(body, url).verdict
        assert (verdict.status, verdict.reason) == (Status.ERROR, "notice-in-owner-text"), url
        assert verdict.marker and "Terms of Service" in verdict.marker


def test_a_user_page_whose_bio_copies_the_notice_is_not_removed():
    """A person's or bot's t.me/<name> shows "@name" under the title, no count: that line is a
    sign Telegram displays the account, so its bio's notice is the owner's (quoted: live; word
    for word: undetermined)."""
    user = fixture("available-channel.html").replace(
        '<div class="tgme_page_extra">3 412 subscribers</div>', '<div class="tgme_page_extra">@cruce_seguro_mx</div>')
    preview = '<a class="tgme_page_context_link" href="/s/cruce_seguro_mx">Preview channel</a>'
    assert preview in user
    user = user.replace(preview, "")
    reading = read_page(with_description(user, QUOTE), CHANNEL)
    assert reading.verdict.status == Status.AVAILABLE and reading.main.fields["telegram_type"] == "user"
    verdict = read_page(with_description(user, NOTICE), CHANNEL).verdict
    assert (verdict.status, verdict.reason) == (Status.ERROR, "notice-in-owner-text")


def test_a_quote_with_no_sign_of_a_live_channel_is_undetermined():
    """No count, no messages (a user's page, or a notice Telegram might print with more words):
    the notice among other words is not taken for Telegram's, nor the page for live."""
    body = fixture("available-channel.html").replace('<div class="tgme_page_extra">3 412 subscribers</div>', "")
    verdict = read_page(with_description(body, QUOTE), CHANNEL).verdict
    assert (verdict.status, verdict.reason) == (Status.ERROR, "notice-in-owner-text")


def test_a_listed_message_is_removed_only_as_telegrams_stub():
    """In a t.me/s/ list Telegram shows its stub in place of a message it no longer displays, with
    no view count; the same words beside a view count are undetermined, among other words live."""
    reading = read_page(fixture("available.html"), "https://t.me/s/cruce_seguro_mx/102")
    assert (reading.verdict.status, reading.verdict.place) == (Status.REMOVED, "container:div.tgme_widget_message_text")
    with_views = fixture("available.html").replace(
        '<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/cruce_seguro_mx/102">',
        '<span class="tgme_widget_message_views">954</span><span class="tgme_widget_message_meta">'
        '<a class="tgme_widget_message_date" href="https://t.me/cruce_seguro_mx/102">')
    assert with_views != fixture("available.html")
    reading = read_page(with_views, "https://t.me/s/cruce_seguro_mx/102")
    assert (reading.verdict.status, reading.verdict.reason) == (Status.ERROR, "notice-in-owner-text")
    channel = read_page(with_views, LIST)
    assert channel.verdict.status == Status.AVAILABLE
    assert next(c for c in channel.captures if c.item.key == "cruce_seguro_mx/102").status == Status.ERROR


def test_the_message_widget_reads_telegrams_box_never_the_text():
    """?embed=1: a removed message is Telegram's error box; a live message's text is its own."""
    removed = read_page(corpus("embed-post-tos.html"), "https://t.me/crucesmx/4202?embed=1")
    assert (removed.verdict.status, removed.verdict.place) == (Status.REMOVED, "container:div.tgme_widget_message_error")
    gone = read_page(corpus("embed-post-not-found.html"), "https://t.me/crucesmx/4201?embed=1&mode=tme")
    assert (gone.verdict.status, gone.verdict.reason) == (Status.UNAVAILABLE, "not-found")
    for text in (QUOTE, "This message can't be displayed because it violated Telegram's Terms of Service."):
        body = corpus("embed-post-live.html").replace("Salida el lunes desde Tijuana", text)
        reading = read_page(body, "https://t.me/crucesmx/4205?embed=1&mode=tme")
        assert reading.verdict.status == Status.AVAILABLE and reading.main.text == text


def test_a_post_page_quoting_the_notice_says_nothing_either_way():
    """t.me/<name>/<id>: og:description is the message's text, on a shell made from the address."""
    body = corpus("post-page.html").replace("Salida el lunes desde Tijuana", QUOTE)
    verdict = read_page(body, "https://t.me/crucesmx/4205").verdict
    assert (verdict.status, verdict.reason) == (Status.ERROR, "no-markers")


def test_detect_on_a_saved_page(invoke, tmp_path):
    saved = tmp_path / "canal.html"
    saved.write_text(with_description(fixture("available-channel.html"), QUOTE), encoding="utf-8")
    result = invoke("detect", saved, "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["platform"], row["status"], row["place"]) == ("telegram", "available", "container:div.tgme_page_extra")
    result = invoke("detect", CORPUS / "channel-tos.html", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["status"] == "removed"


# A live recheck: t.me/<name> of a banned channel, of a live one quoting its notice, and t.me/s/ of
# a banned channel, which Telegram redirects to t.me/<name> (it shows no preview of a channel it
# does not display: RSSHub issues 6853 and 15354, BroadcastChannel issue 9).
SERVED = {"/banned": fixture("removed.html"), "/quoting": with_description(fixture("available-channel.html"), QUOTE)}


class Tme(Replies):
    def do_GET(self) -> None:
        if self.path == "/s/banned":
            self.reply(302, b"", headers={"Location": "/banned"})
        else:
            self.reply(200, SERVED[self.path])


@pytest.fixture
def tme():
    with serving(Tme) as url:
        yield url


def test_live_recheck_tells_the_ban_from_a_channel_quoting_it(case, invoke, tme):
    ids = {path: add_item(case, "telegram", tme + path, kind="channel") for path in ("/banned", "/quoting", "/s/banned")}
    result = invoke("recheck", case, "--all", "--wave", "w1", "--interval", "0", "--retries", "0")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    rows = {row[0]: row[1:] for row in conn.execute('SELECT item_id, status, reason, final_url FROM "check"')}
    conn.close()
    assert rows[ids["/banned"]][:2] == ("removed", "terms-of-service")
    assert rows[ids["/quoting"]][0] == "available"
    assert rows[ids["/s/banned"]] == ("removed", "terms-of-service", tme + "/banned")
