"""Telegram Desktop export in HTML (`messages.html`, `messages2.html`, ...).

Each page of the export is one file and names the chat in its header. The page yields the chat
(channel or group) and one message item per `div.message.default`; service events and date
dividers are skipped. The HTML does not say whether the chat is a channel or a group: when every
message is signed with the chat's own name it is a channel, when members sign it is a group
(`kind_inferred` is recorded). One-to-one chats (a person, a bot, Saved Messages) are private
conversations and are not imported; the HTML does not name a chat's type either, so a chat is
taken as one-to-one when it is named "Saved Messages", or when the one it is named after writes in
it with exactly one other person and no event says channel or group. A note names every chat
skipped. The export's `css/`, `js/` and `images/` folders are not exports and are left for the
scan's list of unknown files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import lxml.html

from toolkit.dates import to_utc_iso
from toolkit.errors import InputError
from toolkit.models import Capture, Kind
from toolkit.safeio import markup_cut, over_limit
from toolkit.sources import _telegram as tg
from toolkit.sources.base import Importer, ReadContext, head_text
from toolkit.sources.registry import register

MAX_PAGE_BYTES = 64 << 20  # tdesktop splits exports into pages of 1,000 messages (a few MB)
DATE_TITLE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):(\d{2}))?")
GO_TO = re.compile(r"GoToMessage\((\d+)\)")
GROUP_EVENT = re.compile(r"\bcreated group\b|\bGroup\s*«|\bjoined group\b|\bconverted .* to a supergroup\b", re.I)
CHANNEL_EVENT = re.compile(r"\bChannel\s*«.*» created\b", re.I)
MEDIA_CLASS = re.compile(r"\bmedia_(\w+)")
WEB_LINK = re.compile(r"^(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:[/?#:]|$)", re.I)


@register
class TelegramHtml(Importer):
    name = "telegram-html"
    version = "1"
    description = "Telegram Desktop export, HTML (messages.html, messages2.html, ...)"
    priority = 80

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head[:8192])
        return "<title>Exported Data</title>" in text and 'class="page_header"' in text

    def read(self, path: Path, ctx: ReadContext) -> Iterator[tuple[int | None, Any]]:
        with ctx.open_binary() as binary:
            body = binary.read(MAX_PAGE_BYTES + 1)
        if len(body) > MAX_PAGE_BYTES:
            raise InputError(str(path), f"page is over {MAX_PAGE_BYTES >> 20} MB, larger than any Telegram export page",
                             "Check that this is an unmodified messages*.html from Telegram Desktop")
        if markup_cut(body) is not None:  # refused, not cut: a cut page would lose messages unsaid
            raise over_limit(str(path), "html_tags", "a page of more elements than a Telegram export page holds")
        tree = lxml.html.document_fromstring(body, parser=lxml.html.HTMLParser(encoding="utf-8", recover=True))
        if not tree.find_class("chat_page"):
            # A whole-account export also has index pages (export_results.html, lists/chats.html,
            # contacts, sessions) in the same design: they hold no messages.
            ctx.note("an index page of a Telegram export (chats, contacts, sessions...): no messages in it")
            return
        header = tree.find_class("page_header")
        name_nodes = header[0].find_class("text") if header else []
        name = " ".join(name_nodes[0].text_content().split()) if name_nodes else ""
        if not name:
            raise InputError(str(path), "no chat name in the page header", "This is not a Telegram Desktop messages*.html page")
        history = tree.find_class("history")
        nodes = [node for node in history[0] if node.tag == "div"] if history else []
        records, signers, events = [], set(), []
        sender = None
        for node in nodes:
            classes = (node.get("class") or "").split()
            if "message" not in classes:
                continue
            if "service" in classes:
                events.append(node.text_content())
                continue
            try:
                record = _message_record(node, sender)
            except ValueError as exc:
                ctx.fail("bad-message", str(exc), node.sourceline)
                continue
            sender = record["from"]
            if sender and not record.get("forwarded_from"):
                signers.add(" ".join(sender.split()))
            records.append((node.sourceline, record))
        if _one_to_one(name, signers, events):
            ctx.note(f"chat {name!r} not imported: a one-to-one conversation (person, bot or saved messages: "
                     f"only {name!r} and one other write in it), private, not a channel or group")
            return
        kind = _kind(name, signers, events)
        yield None, {"record": "chat", "name": name, "kind": kind}
        for line, record in records:
            yield line, {"record": "message", "name": name, "kind": kind, "message": record}

    def map(self, raw: dict[str, Any]) -> Iterable[Capture]:
        kind = Kind(raw["kind"])
        if raw["record"] == "chat":
            return [tg.chat_capture(raw["name"], kind, kind_inferred=True)]
        message = raw["message"]
        chat = tg.chat_ref(raw["name"], kind)
        fields = {key: message.get(key) for key in ("from", "forwarded_from", "reply_to_message_id", "media_type",
                                                    "signature", "reactions", "links", "poll_question")}
        if not message["date"].endswith("Z"):
            fields["date_is_local_time"] = True  # an older export's title gives no offset
        return [tg.message_capture(chat, message["id"], text=tg.tidy_text(message["text"]),
                                   created_at=message["date"], fields=fields, raw=message)]


SAVED_MESSAGES = frozenset({"saved messages", "replies", "mensajes guardados", "mensagens salvas",
                            "messages enregistrés"})


def _one_to_one(name: str, signers: set[str], events: list[str]) -> bool:
    """Whether an HTML export page is a private conversation: Saved Messages, or a chat named after
    one of exactly two people writing in it, with no channel or group event."""
    if " ".join(name.split()).casefold() in SAVED_MESSAGES:
        return True
    if any(GROUP_EVENT.search(event) or CHANNEL_EVENT.search(event) for event in events):
        return False
    return name in signers and len(signers - {name}) == 1


def _kind(name: str, signers: set[str], events: list[str]) -> str:
    """Channel when the chat signs every message itself; group when members sign or events say so."""
    if any(GROUP_EVENT.search(event) for event in events):
        return Kind.GROUP.value
    if any(CHANNEL_EVENT.search(event) for event in events):
        return Kind.CHANNEL.value
    return Kind.GROUP.value if signers - {name} else Kind.CHANNEL.value


def _date(title: str | None) -> str | None:
    """The message time from a date's title ("16.04.2021 10:00:00 UTC-05:00") as ISO UTC with a Z.

    Older exports write the title without its offset: that is the exporting machine's local time,
    kept as it is, without a Z (as the JSON export's `date`), never passed off as UTC.
    """
    match = DATE_TITLE.search(title or "")
    if not match:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if sign is None:
        return moment.isoformat()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    return to_utc_iso(moment.replace(tzinfo=timezone(offset)))


def html_text(node) -> str:
    """The text of a message node as the JSON export gives it: <br> as newlines, tags dropped."""
    parts: list[str] = []

    def walk(element) -> None:
        if element.text:
            parts.append(element.text)
        for child in element:
            if child.tag == "br":
                parts.append("\n")
            elif isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(node)
    return "".join(parts)


def _direct(node, *classes: str):
    """The first child of `node` carrying all of `classes` (not one nested deeper)."""
    wanted = set(classes)
    for child in node:
        if wanted <= set((child.get("class") or "").split()):
            return child
    return None


def _message_record(node, previous_sender: str | None) -> dict[str, Any]:
    ident = node.get("id") or ""
    if not ident.startswith("message") or not ident[7:].isdigit():
        raise ValueError(f"message without a numeric id ({ident!r})")
    body = _direct(node, "body")
    if body is None:
        raise ValueError(f"message {ident[7:]} has no body")
    date_node = _direct(body, "date")
    from_node = _direct(body, "from_name")
    # "joined" messages continue the previous sender's run and carry no name of their own.
    sender = " ".join(from_node.text_content().split()) if from_node is not None else previous_sender
    record: dict[str, Any] = {"id": int(ident[7:]), "from": sender,
                              "date": _date(date_node.get("title") if date_node is not None else None)}
    text_node = _direct(body, "text")
    forwarded = _direct(body, "forwarded", "body")
    if forwarded is not None:
        fwd_name = _direct(forwarded, "from_name")
        if fwd_name is not None:
            own = "".join(fwd_name.xpath("text()"))
            record["forwarded_from"] = " ".join(own.split()) or None
        if text_node is None:
            text_node = _direct(forwarded, "text")
    reply = _direct(body, "reply_to")
    if reply is None and forwarded is not None:
        reply = _direct(forwarded, "reply_to")
    if reply is not None:
        match = GO_TO.search(lxml.html.tostring(reply, encoding="unicode"))
        record["reply_to_message_id"] = int(match.group(1)) if match else None
    record["text"] = tg.tidy_text(html_text(text_node)) if text_node is not None else ""
    hrefs = text_node.xpath(".//a/@href") if text_node is not None else []
    # Relative hrefs are the export's own media files (stickers/, photos/) and are not links.
    record["links"] = [href if "://" in href else "https://" + href for href in (h.strip() for h in hrefs)
                       if href.startswith("tg://") or WEB_LINK.match(href)]
    media = body.xpath(".//div[contains(concat(' ', @class, ' '), ' media ')]/@class")
    if media:
        found = MEDIA_CLASS.search(media[0])
        record["media_type"] = found.group(1) if found else None
    poll = body.find_class("media_poll")
    if poll:
        question = poll[0].find_class("question")
        record["poll_question"] = " ".join(question[0].text_content().split()) if question else None
    signature = _direct(body, "signature")
    if signature is not None:
        record["signature"] = " ".join(signature.text_content().split())
    reactions = []
    for reaction in body.xpath(".//span[contains(concat(' ', @class, ' '), ' reaction ')]"):
        emoji = reaction.find_class("emoji")
        count = reaction.find_class("count")
        number = "".join(count[0].text_content().split()) if count else ""
        reactions.append({"emoji": " ".join(emoji[0].text_content().split()) if emoji else None,
                          "count": int(number) if number.isdigit() else None,
                          **({"paid": True} if "paid" in (reaction.get("class") or "").split() else {})})
    record["reactions"] = reactions
    if record["date"] is None:
        raise ValueError(f"message {record['id']} has no readable date")
    return record

