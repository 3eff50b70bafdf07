"""Telegram t.me web previews: channel/group/user pages, post pages, `t.me/s/` message lists and
`?embed=1` message widgets. A `t.me/s/` list yields the channel and one capture per message.

Whose words are where (docs/detectors.md, "Telegram: the owner's words and Telegram's notices"):
the channel's owner writes `tgme_page_title` and `tgme_page_description` on t.me/<name> (and
og:title / og:description, which repeat them), `tgme_channel_info_header_title` and
`tgme_channel_info_description` on t.me/s/<name>, and every `tgme_widget_message_text`; on a
post page t.me/<name>/<id>, og:description is the message's text. Telegram writes
`tgme_widget_message_error` (the widget's "Post not found" and Terms-of-Service notices), and its
notice for a blocked channel takes the place of the description, the whole of it. So a notice's
wording inside the owner's words decides only as that stub (the whole text), and only on a page
that shows no sign of an account Telegram still displays (a subscriber count, messages, a
user's "@name" line): beside one, the stub is `error` (`notice-in-owner-text`: it cannot be told from the owner's copy of it),
and a text that holds the notice among other words is the owner quoting it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.dates import parse_iso, to_utc_iso
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms.counts import find_counts, parse_count
from toolkit.platforms.detect import MARKER_ORDER, Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, visible_text
from toolkit.platforms.markers import MarkerBook, normalise
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get
from toolkit.platforms.telegram import BASE

MESSAGE_TEXT = "container:div.tgme_widget_message_text"
MESSAGE_ERROR = "container:div.tgme_widget_message_error"
# Places that hold the owner's words (a channel's description, what the meta tags repeat of it or
# of a message, a message's text): marker rules naming them are read by `inspect`, not by `decide`.
OWNER_PLACES = ("container:div.tgme_page_description", "container:div.tgme_channel_info_description",
                "meta:og:description", "meta:description", "meta:twitter:description", MESSAGE_TEXT)
UNDETERMINED = "notice-in-owner-text"
# Telegram's stub is "This channel " / "Este canal " / "Cette chaîne " + a rule's marker: at most
# this many words besides the marker; more is the owner's text around a quotation.
STUB_EXTRA_WORDS = 3
_WORD = re.compile(r"\w+")
_GENERIC_TITLES = ("telegram: contact @", "telegram messenger", "telegram: join group chat", "telegram – a new era of messaging")


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice's wording found in one of the owner's places: which rule, and whether it is the
    whole text there (Telegram's stub) or words among the owner's (a quotation)."""

    status: Status
    marker: str
    place: str
    reason: str | None
    whole: bool


def notice_in(book: MarkerBook | None, text: str | None, place: str) -> Notice | None:
    """The first marker of a Telegram rule naming `place` that `text` holds (removed first, in the
    order `decide` reads statuses), or None."""
    if not text or book is None:
        return None
    folded = normalise(text)
    for status in MARKER_ORDER:
        for rule in book.rules("telegram", status):
            if place not in rule.places or rule.match == "present":
                continue
            hit = rule.find([folded])
            if hit:
                rest = folded.replace(normalise(hit[1]).rstrip(".!"), " ", 1)
                return Notice(status, hit[1], place, rule.reason, len(_WORD.findall(rest)) <= STUB_EXTRA_WORDS)
    return None


def _one(node, xpath: str):
    found = node.xpath(xpath)
    return found[0] if found else None


def _text(node) -> str | None:
    return clean(" ".join(node.text_content().split())) if node is not None else None


@register_detector
class TelegramDetector(Detector):
    platform = "telegram"
    version = "1"
    statuses = frozenset({Status.AVAILABLE, Status.REMOVED, Status.UNAVAILABLE, Status.RATE_LIMITED, Status.ERROR})

    def claims(self, page: Page) -> bool:
        return page.meta.get("og:site_name") == "Telegram" or b'class="tgme_' in page.body[:200_000]

    def places(self, page: Page) -> Places:
        places = Places(page)
        # The owner's words are read by inspect, which puts back the texts that are Telegram's
        # stub on a page that shows no live channel; only the message asked for speaks for the page.
        for place in OWNER_PLACES:
            places.add(place, [])
        return places

    def inspect(self, page: Page, places: Places) -> Finding:
        telegram = get("telegram")
        requested = next((r for r in (telegram.identify(u) for u in (page.url, page.final_url) if u) if r), None)
        tree = page.tree
        if tree is None:
            return Finding([], None)
        # A t.me/s/ list (a channel's preview) shows Telegram's stub in place of a message's text;
        # the ?embed=1 widget puts its notices in tgme_widget_message_error instead.
        listed = bool(tree.xpath("//div[contains(@class, 'tgme_channel_info')] | "
                                 "//section[contains(@class, 'tgme_channel_history')]"))
        messages = [self._message(node, places, listed) for node in tree.xpath(
            "//div[contains(@class, 'tgme_widget_message ') or @class='tgme_widget_message'][@data-post]")]
        messages = [m for m in messages if m is not None]
        channel = self._channel(page, requested, messages)
        captures: list[Capture] = []
        evidence = None
        if messages:
            evidence = Evidence(f"{len(messages)} messages", "container:div.tgme_widget_message")
            for message in messages:
                message.parent = channel.item if channel else message.parent
        if channel is not None and channel.fields.pop("_evidence", None):
            evidence = evidence or Evidence(channel.fields.get("extra") or channel.name or channel.item.key,
                                            "container:div.tgme_page_extra" if channel.fields.get("extra")
                                            else "meta:og:title")
        # A post page (t.me/<name>/<id>) is a shell made from its address: the widget script's
        # data-telegram-post and an iframe of the ?embed=1 widget, the same for a deleted message.
        # It names the message (a capture) but is no evidence that it exists.
        post = self._post_page(page, telegram, channel)
        if post is not None:
            captures.append(post)
        wanted = requested.key if requested and requested.kind == Kind.MESSAGE else None
        undetermined = None if wanted else self._channel_notices(places, channel, messages, post is not None)
        first_message = next((m for m in messages if m.item.key == wanted), None)
        if first_message is not None:
            captures.append(first_message)
            if first_message.status_place == MESSAGE_TEXT:
                if first_message.status == Status.ERROR:
                    undetermined = (UNDETERMINED, first_message.status_marker or "", MESSAGE_TEXT)
                else:
                    places.add(MESSAGE_TEXT, [first_message.text or ""])
        if channel is not None:
            captures.append(channel)
        captures.extend(m for m in messages if m is not first_message)
        for capture in captures[1:]:
            if capture.status_marker is None and evidence:
                capture.status_marker, capture.status_place = evidence.marker, evidence.place
        if wanted is not None and first_message is None:
            # The message asked for is not on the page (a post page's shell, a t.me/s/ list that
            # lacks it): the channel's evidence says nothing of it.
            evidence = None
        return Finding(captures, evidence, undetermined)

    def _channel_notices(self, places: Places, channel: Capture | None, messages: list[Capture],
                         post_page: bool) -> tuple[str, str, str] | None:
        """Read the owner's places of a channel's page for a notice. Telegram's stub (the whole
        description) on a page without a sign of a live channel is put back for `decide` to read
        as before; the stub beside a subscriber count or messages, or a notice among other words
        where there is no such sign, is returned as undetermined (reason, marker, place); a notice
        among other words beside a live channel is the owner quoting it and is passed over."""
        # Signs that Telegram displays the account: messages, a t.me/s/ counter, or the line under
        # a t.me/<name> title ("12 431 subscribers", "N members", a user's or bot's "@name").
        live = bool(messages) or (channel is not None and (
            channel.followers is not None or channel.members is not None or "extra" in channel.fields
            or any(key.startswith("count_") for key in channel.fields)))
        book = places.data.get("book")
        doubt = None
        for place in OWNER_PLACES:
            if place == MESSAGE_TEXT or (post_page and place.startswith("meta:")):
                # A post page's meta tags are its message's text, and the page says nothing of it.
                continue
            for text in places.raw(place):
                notice = notice_in(book, text, place)
                if notice is None or (live and not notice.whole):
                    continue
                if notice.whole and not live:
                    places.add(place, [text])
                elif doubt is None:
                    doubt = (UNDETERMINED, notice.marker, place)
        return doubt

    def _channel(self, page: Page, requested: ItemRef | None, messages: list[Capture]) -> Capture | None:
        tree, meta = page.tree, page.meta
        info = _one(tree, "//div[contains(@class, 'tgme_channel_info')][1]")
        if info is not None:  # t.me/s/ list header
            name = _text(_one(info, ".//div[contains(@class, 'tgme_channel_info_header_title')]"))
            handle = _text(_one(info, ".//div[contains(@class, 'tgme_channel_info_header_username')]"))
            counters = {}
            for counter in info.xpath(".//div[contains(@class, 'tgme_channel_info_counter')]"):
                value = parse_count(_text(_one(counter, ".//span[contains(@class, 'counter_value')]")) or "")
                kind = _text(_one(counter, ".//span[contains(@class, 'counter_type')]")) or ""
                if value is not None:
                    counters[normalise(kind)] = value
            key = (handle or "").lstrip("@").lower() or (messages[0].item.key.split("/")[0] if messages else None) \
                or (requested.key.split("/")[0] if requested else None)
            if not key:
                return None
            ref = ItemRef("telegram", Kind.CHANNEL, key, f"{BASE}/{key}")
            followers = first(*(v for k, v in counters.items() if k.startswith(("subscriber", "suscriptor", "abonne", "inscrit"))))
            members = first(*(v for k, v in counters.items() if k.startswith(("member", "miembro", "membre", "membro"))))
            capture = Capture(item=ref, url=ref.url, name=name, followers=followers, members=members,
                              text=_text(_one(info, ".//div[contains(@class, 'tgme_channel_info_description')]")))
            capture.fields["_evidence"] = bool(name or counters)
            capture.fields.update({f"count_{k}": v for k, v in counters.items()})
            return capture
        title_node = _one(tree, "//div[contains(@class, 'tgme_page_title')]")
        if title_node is None and not meta.get("og:title"):
            return None
        name = _text(title_node) or clean(meta.get("og:title"))
        extra = _text(_one(tree, "//div[contains(@class, 'tgme_page_extra')]"))
        description = _text(_one(tree, "//div[contains(@class, 'tgme_page_description')]"))
        android = meta.get("al:android:url", "")
        handle = android.split("domain=", 1)[1].split("&", 1)[0] if "domain=" in android else None
        ref = None
        if handle:
            ref = get("telegram").identify(f"{BASE}/{handle}")
        elif requested is not None:
            ref = requested if requested.kind == Kind.CHANNEL else get("telegram").parent_of(requested.url or "")
        if ref is None:
            return None
        generic = (name or "").lower().startswith(_GENERIC_TITLES) or not name
        counts = find_counts(extra)
        # Channels show "N subscribers", groups "N members", users "@handle": all keep the channel
        # identity t.me/<name> has, with the type recorded.
        preview = _one(tree, "//a[contains(@href, '/s/')]") is not None
        if "members" in counts:
            kind_name = "group"
        elif counts or preview:
            kind_name = "channel"
        else:
            kind_name = None if generic else "user"
        capture = Capture(item=ref, url=ref.url, name=None if generic else name, text=description,
                          followers=counts.get("followers"), members=counts.get("members"))
        capture.fields["_evidence"] = bool(extra) or not generic
        if kind_name:
            capture.fields["telegram_type"] = kind_name
        if extra:
            capture.fields["extra"] = extra
        return capture

    def _post_page(self, page: Page, telegram, channel: Capture | None) -> Capture | None:
        node = _one(page.tree, "//*[@data-telegram-post]")
        if node is None:
            return None
        ref = telegram.identify(f"{BASE}/{node.get('data-telegram-post')}")
        if ref is None or ref.kind != Kind.MESSAGE:
            return None
        return Capture(item=ref, url=ref.url, parent=channel.item if channel else telegram.parent_of(ref.url),
                       text=clean(page.meta.get("og:description")))

    def _message(self, node, places: Places, listed: bool) -> Capture | None:
        ref = get("telegram").identify(f"{BASE}/{node.get('data-post')}")
        if ref is None or ref.kind != Kind.MESSAGE:
            return None
        text_node = _one(node, ".//div[contains(@class, 'tgme_widget_message_text')]")
        text = visible_text(None, text_node) if text_node is not None else None
        when = _one(node, ".//time[@datetime]")
        moment = parse_iso(when.get("datetime")) if when is not None else None
        views = parse_count(_text(_one(node, ".//span[contains(@class, 'tgme_widget_message_views')]")) or "")
        capture = Capture(item=ref, url=ref.url, parent=get("telegram").parent_of(ref.url), text=text,
                          name=_text(_one(node, ".//*[contains(@class, 'tgme_widget_message_owner_name')]")),
                          created_at=to_utc_iso(moment) if moment else None)
        if views is not None:
            capture.fields["views"] = views
        forwarded = _one(node, ".//a[contains(@class, 'tgme_widget_message_forwarded_from_name')]")
        if forwarded is not None:
            capture.fields["forwarded_from"] = _text(forwarded)
            if forwarded.get("href"):
                capture.fields["forwarded_from_url"] = forwarded.get("href")
        links = [a.get("href") for a in (text_node.xpath(".//a[@href]") if text_node is not None else [])]
        if links:
            capture.fields["links"] = links
        error = _text(_one(node, ".//div[contains(@class, 'tgme_widget_message_error')]"))
        book = places.data.get("book")
        notice = notice_in(book, error, MESSAGE_ERROR)  # Telegram's own box: its notice decides
        if notice is None and listed:
            notice = notice_in(book, text, MESSAGE_TEXT)
            if notice is not None and not notice.whole:
                notice = None  # the message quoting a notice among its own words
            elif notice is not None and views is not None:
                # A message Telegram cannot display shows no view count (medialab/minet reads a
                # listed message as displayable exactly when it has one): the stub beside a count
                # cannot be told from a message that copies it.
                capture.status, capture.status_marker, capture.status_place = Status.ERROR, notice.marker, MESSAGE_TEXT
                capture.fields["status_reason"] = UNDETERMINED
                return capture
        if notice is not None:
            capture.status, capture.status_marker, capture.status_place = notice.status, notice.marker, notice.place
            return capture
        capture.status_marker, capture.status_place = node.get("data-post"), "container:div.tgme_widget_message"
        return capture
