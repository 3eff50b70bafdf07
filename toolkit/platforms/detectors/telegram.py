"""Telegram t.me web previews: channel/group/user pages, post pages, `t.me/s/` message lists and
`?embed=1` message widgets. A `t.me/s/` list yields the channel and one capture per message."""

from __future__ import annotations

from toolkit.dates import parse_iso, to_utc_iso
from toolkit.models import Capture, ItemRef, Kind, Status
from toolkit.platforms.counts import find_counts, parse_count
from toolkit.platforms.detect import Detector, Evidence, Finding, register_detector
from toolkit.platforms.detectors._page_data import clean, first, visible_text
from toolkit.platforms.markers import normalise
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places
from toolkit.platforms.registry import get
from toolkit.platforms.telegram import BASE

MESSAGE_TEXT = "container:div.tgme_widget_message_text"
MAX_STUB = 200
_GENERIC_TITLES = ("telegram: contact @", "telegram messenger", "telegram: join group chat", "telegram – a new era of messaging")


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
        # Only the message asked for speaks for the page (see inspect); others keep their own status.
        places.add(MESSAGE_TEXT, [])
        return places

    def inspect(self, page: Page, places: Places) -> Finding:
        telegram = get("telegram")
        requested = next((r for r in (telegram.identify(u) for u in (page.url, page.final_url) if u) if r), None)
        tree = page.tree
        if tree is None:
            return Finding([], None)
        messages = [self._message(node, places) for node in tree.xpath("//div[contains(@class, 'tgme_widget_message ')"
                                                                      " or @class='tgme_widget_message'][@data-post]")]
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
        first_message = next((m for m in messages if m.item.key == wanted), None)
        if first_message is not None:
            captures.append(first_message)
            if first_message.text and len(first_message.text) <= MAX_STUB:
                places.add(MESSAGE_TEXT, [first_message.text])
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
        return Finding(captures, evidence)

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

    def _message(self, node, places: Places) -> Capture | None:
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
        for candidate, place in ((error, "container:div.tgme_widget_message_error"), (text, "container:div.tgme_widget_message_text")):
            # Telegram's stub replaces the whole text; a long message merely quoting it is content.
            if not candidate or book is None or len(candidate) > MAX_STUB:
                continue
            folded = normalise(candidate)
            for status in (Status.REMOVED, Status.UNAVAILABLE):
                for rule in book.rules("telegram", status):
                    hit = rule.find([folded]) if rule.match != "present" and place in rule.places else None
                    if hit:
                        capture.status, capture.status_marker, capture.status_place = status, hit[1], place
                        return capture
        capture.status_marker, capture.status_place = node.get("data-post"), "container:div.tgme_widget_message"
        return capture
