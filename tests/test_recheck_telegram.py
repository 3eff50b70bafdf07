"""Telegram messages are rechecked through their `?embed=1` widget, never their post page.

A message's page, t.me/<name>/<id>, is a shell made from its address (the widget script's
`data-telegram-post`, an iframe of the widget: meedan/pender's test/data/telegram-item.html is one);
it looks the same when the message was deleted. The widget shows the message, or "Post not found"
(public scrapers test for `div.tgme_widget_message_error`). The pages served here are the corpus
fixtures in tests/pages/telegram, which imitate those.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from _recheck_server import Replies, add_item, serving

from toolkit.models import Status
from toolkit.platforms.detect import read_page
from toolkit.platforms.registry import check_url, get

PAGES = Path(__file__).resolve().parent / "pages" / "telegram"
SHELL = (PAGES / "post-page.html").read_text(encoding="utf-8")
LIVE = (PAGES / "embed-post-live.html").read_text(encoding="utf-8")
GONE = (PAGES / "embed-post-not-found.html").read_text(encoding="utf-8")


def test_a_message_is_checked_at_its_widget():
    telegram = get("telegram")
    assert telegram.check_url("https://t.me/crucesmx/4205") == "https://t.me/crucesmx/4205?embed=1&mode=tme"
    assert telegram.check_url("https://t.me/s/CrucesMX/4205?before=9") == "https://t.me/crucesmx/4205?embed=1&mode=tme"
    # A channel is read from its own page; a private channel's message (t.me/c/...) has no public widget.
    assert telegram.check_url("https://t.me/crucesmx") == "https://t.me/crucesmx"
    assert telegram.check_url("https://t.me/c/1234567/89") == "https://t.me/c/1234567/89"
    assert check_url("facebook", "https://www.facebook.com/x/posts/1") == "https://www.facebook.com/x/posts/1"
    assert check_url(None, "https://t.me/crucesmx/4205") == "https://t.me/crucesmx/4205"


def test_the_post_page_is_no_evidence_either_way():
    """The shell names the message (its capture) but says nothing of whether it exists."""
    reading = read_page(SHELL, "https://t.me/crucesmx/4205")
    assert (reading.verdict.status, reading.verdict.reason) == (Status.ERROR, "no-markers")
    assert reading.main.item.key == "crucesmx/4205"
    assert read_page(LIVE, "https://t.me/crucesmx/4205?embed=1&mode=tme").verdict.status == Status.AVAILABLE
    assert read_page(GONE, "https://t.me/crucesmx/4205?embed=1&mode=tme").verdict.status == Status.UNAVAILABLE


def test_a_channel_list_without_the_message_asked_for_is_no_evidence_of_it():
    """A t.me/s/<name>/<id> list shows the channel around an id even when the message is gone."""
    listing = (PAGES / "channel-s-list.html").read_text(encoding="utf-8")
    assert read_page(listing, "https://t.me/s/crucesmx").verdict.status == Status.AVAILABLE
    reading = read_page(listing, "https://t.me/s/crucesmx/999999")
    assert reading.verdict.status == Status.ERROR


class Widgets(Replies):
    """t.me as far as these tests go: every post page is the same shell; the widget of 4205 shows
    the message, every other widget "Post not found"."""

    def do_GET(self) -> None:
        if "embed=1" not in self.path:
            self.reply(200, SHELL)
        else:
            self.reply(200, LIVE if self.path.startswith("/crucesmx/4205?") else GONE)


@pytest.fixture
def tme():
    with serving(Widgets) as url:
        yield url


def test_live_recheck_reads_the_widget_a_deleted_message_included(case, invoke, tme, monkeypatch):
    # The items sit on the local server, which the Telegram platform does not own: point its
    # widget addresses there, as check_url points t.me's.
    monkeypatch.setattr("toolkit.recheck.live.check_url",
                        lambda platform, url: url + "?embed=1&mode=tme" if platform == "telegram" else url)
    live = add_item(case, "telegram", f"{tme}/crucesmx/4205", kind="message", key="crucesmx/4205")
    deleted = add_item(case, "telegram", f"{tme}/crucesmx/4201", kind="message", key="crucesmx/4201")
    result = invoke("recheck", case, "--all", "--wave", "w1", "--interval", "0", "--retries", "0")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    rows = {row[0]: row[1:] for row in conn.execute('SELECT item_id, status, reason, final_url FROM "check"')}
    conn.close()
    assert rows[live][0] == "available" and rows[live][2] == f"{tme}/crucesmx/4205?embed=1&mode=tme"
    assert rows[deleted][:2] == ("unavailable", "not-found")
