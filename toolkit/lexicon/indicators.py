"""Contact points and facts in a text: phones (E.164), WhatsApp and Telegram links, emails, prices,
account handles.

Phone parsing (the phonenumbers library) is slow, so it only runs on candidate digit runs found by
a cheap regex, and only in texts that contain a digit at all. Places come from the gazetteer
lexicons' hits (see scoring.py), not from here.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

EXTRACTOR = "indicators@2"  # 2: audience counts are not prices; Mexican "+52 1" mobiles as "+52"
# Region hints tried in order for numbers written without a country code (where coyote and dealer
# ads in this project's scope come from and go to).
REGIONS = ("MX", "US", "GT", "HN", "SV", "NI", "CO", "VE", "HT", "BR")
CONTACT_TYPES = frozenset({"phone", "whatsapp", "telegram", "email"})
PHONE_CACHE = 65_536  # parsed numbers kept (least recently used dropped)
# A text written to flood the extractor (one WhatsApp link or price a million times, or a million
# different numbers) gives the first INDICATORS_PER_VALUE of each (type, value) and at most
# INDICATORS_PER_TEXT in all; the rest are counted, not kept (see `extract`). Far above any real
# post: the samples' busiest text has 9.
INDICATORS_PER_VALUE = 50
INDICATORS_PER_TEXT = 5_000

def maybe_indicators(text: str) -> bool:
    """Every indicator has a digit, an "@", a "/" (links) or a quotation mark; each `in` is a memchr,
    far faster than a regex."""
    return ("0" in text or "1" in text or "2" in text or "3" in text or "4" in text or "5" in text or "6" in text
            or "7" in text or "8" in text or "9" in text or "@" in text or "/" in text or '"' in text
            or "\u201c" in text or "\u00ab" in text)


# Signals that are not contact points or facts about the item, only about how its text is framed:
# they score (as `[negative]` contexts) but are not stored as indicators.
FRAMING_TYPES = frozenset({"quote", "news_link"})
# Quotation framing: a short span inside quotation marks, as reporting quotes an ad or a page name
# ('“Cruce 100% seguro” a EEUU', 'avaliando “delivery de maconha”').
QUOTED = re.compile(r'[\u201c"\u00ab]([^\u201c\u201d"\u00ab\u00bb\n]{2,80})[\u201d"\u00bb]')
# A link to a news article: the path of an article on a news site (a section like /noticias/ or
# /news/, or a long hyphenated slug), not a profile, group or chat link.
URL = re.compile(r"https?://(?:www\.)?([A-Za-z0-9.\-]+)(/[^\s]*)?", re.IGNORECASE)
NEWS_PATH = re.compile(r"/(?:noticias?|news|articles?|nota|notas|story|stories|politica|nacional|internacional|sociedad"
                       r"|seguridad|policiaca|policia|sucesos|mundo|world|local|crime|justicia|migracion|inmigracion)/"
                       r"|/[a-z0-9]+(?:-[a-z0-9]+){4,}", re.IGNORECASE)
PLATFORM_HOSTS = ("facebook.", "fb.", "instagram.", "tiktok.", "twitter.", "x.com", "t.me", "telegram.", "wa.me",
                  "whatsapp.", "youtube.", "youtu.be", "snapchat.")
# A digit run that may be a phone number: 7+ digits with spaces, dots, dashes or brackets between.
PHONE_RUN = re.compile(r"(?<![\w/=])(?:\+\s?)?\(?\d(?:[\d\s().\-]{5,20})\d(?![\w/])")
WHATSAPP = re.compile(
    r"(?:https?://)?(?:www\.)?(?:"
    r"wa\.me/c/(?P<catalog>\d{6,15})"
    r"|wa\.me/(?:message/(?P<message>[A-Za-z0-9]+)|\+?(?P<wame>\d{6,15}))"
    r"|api\.whatsapp\.com/send/?\?(?:[^\s#]*?&)?phone=\+?(?P<api>\d{6,15})"
    r"|chat\.whatsapp\.com/(?:invite/)?(?P<invite>[A-Za-z0-9]{10,40})"
    r"|(?:www\.)?whatsapp\.com/catalog/(?P<catalog2>\d{6,15})"
    r"|wa\.link/(?P<walink>[A-Za-z0-9]+)"
    r")",
    re.IGNORECASE,
)
TELEGRAM = re.compile(
    r"(?:https?://)?(?:t|telegram)\.me/(?:(?:joinchat/|\+)(?P<invite>[A-Za-z0-9_\-]{10,40})"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_]{3,31}))",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@.])@(?P<name>[A-Za-z][A-Za-z0-9_]{3,31})\b")
TELEGRAM_WORD = re.compile(r"telegram|\btg\b|\btlg\b", re.IGNORECASE)
DIGIT = re.compile(r"[0-9]")
EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,24}\b")

CURRENCY_WORDS = {
    "usd": "USD", "us$": "USD", "u$s": "USD", "dls": "USD", "dlls": "USD", "dolares": "USD", "dólares": "USD",
    "dollars": "USD", "dolar": "USD", "dólar": "USD", "verdes": "USD",
    "mxn": "MXN", "pesos": "MXN", "pesitos": "MXN", "varos": "MXN", "baros": "MXN", "pesos mexicanos": "MXN",
    # A peso named with its country is that country's, never Mexico's ("300 mil pesos colombianos").
    "pesos colombianos": "COP", "pesos chilenos": "CLP", "clp": "CLP", "pesos argentinos": "ARS",
    "pesos dominicanos": "DOP", "dop": "DOP", "pesos cubanos": "CUP", "bolivares": "VES",
    "bolívares": "VES", "bolos": "VES", "colones": "CRC",
    "quetzales": "GTQ", "gtq": "GTQ", "lempiras": "HNL", "hnl": "HNL",
    "reais": "BRL", "r$": "BRL", "brl": "BRL", "cordobas": "NIO", "córdobas": "NIO", "soles": "PEN",
    "gourdes": "HTG", "goud": "HTG", "dola": "USD", "dolá": "USD",
    "euros": "EUR", "euro": "EUR", "eur": "EUR", "libras": "GBP", "pounds": "GBP", "gbp": "GBP",
}
_CUR = "|".join(sorted((re.escape(k) for k in CURRENCY_WORDS), key=len, reverse=True))
_NUM = r"\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
# Prices: find each number, then look just before it for a currency sign and just after it for
# "mil"/"k" and a currency word (one small anchored regex each: a single big alternation is slow).
NUMBER = re.compile(rf"{_NUM}")
CURRENCY_BEFORE = re.compile(r"(US\$|U\$S|R\$|\$|USD|MXN|€|£)\s?$", re.IGNORECASE)
MULTIPLIER_AFTER = re.compile(r"\s?(mil|k)\b", re.IGNORECASE)
CURRENCY_AFTER = re.compile(rf"\s?(?:de\s)?({_CUR})\b", re.IGNORECASE)
# The sign written after the amount ("4000€", "4.000 €", "5000$"); a "$" only right after it and not
# opening the next amount ("año 2023 $500" is a year and a price).
SIGN_AFTER = re.compile(r"\s?(€|£)|(\$)(?!\s?\d)")
# ISO codes written in capitals after an amount, which win over the sign before it ("$300.000 COP" is
# Colombian pesos; as lower-case words "cop" and "ars" are English).
CODE_AFTER = re.compile(r"\s?(COP|ARS|CLP|DOP|MXN|USD|EUR|GBP|GTQ|HNL|BRL|PEN|VES|CRC)\b")
SIGNS = {"$": "USD", "US$": "USD", "U$S": "USD", "USD": "USD", "MXN": "MXN", "R$": "BRL", "€": "EUR", "£": "GBP"}
# Audience counts written like amounts ("12 mil seguidores", "2,1 mil Me gusta", "1.2K followers",
# "Miembros: 5 mil"): a number with one of these words right after it (or a label right before it)
# and no currency is a count, never a price.
_COUNTS = (r"seguidor(?:es|as)?|followers?|me\s+gusta|likes?|miembros|members?|suscriptor(?:es|as)|subscribers?"
           r"|visualizaciones|vistas|views|reproducciones|comentarios|comments|compartid[oa]s|shares|personas"
           r"|amig[oa]s|friends|fans|seguidos|following|integrantes|publicaciones|posts|veces|vezes|curtidas"
           r"|inscritos|membros|pessoas")
COUNT_AFTER = re.compile(rf"\s*(?:de\s+)?(?:{_COUNTS})\b", re.IGNORECASE)
COUNT_BEFORE = re.compile(rf"\b(?:{_COUNTS})\s*[:·]?\s*$", re.IGNORECASE)
# Mexican mobiles in the form used until 2019: +52 1 and ten digits (wa.me/521...). The "1" is no
# longer dialled; without it the number is the same line, so seller networks join on one E.164 form.
MX_OLD_MOBILE = re.compile(r"^\+?521(\d{10})$")


@dataclass(frozen=True, slots=True)
class Indicator:
    """An extracted contact point or fact, with its span in the original text."""

    type: str  # phone, whatsapp, telegram, email, price, handle, place; quote, news_link (FRAMING_TYPES)
    value: str  # normalised: E.164, invite:CODE, @handle, "7500 USD", a place name
    start: int
    end: int
    matched: str


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=PHONE_CACHE)
def parse_phone(raw: str, regions: tuple[str, ...] = REGIONS) -> str | None:
    """E.164 form of a phone number written any common way, trying `regions` for local numbers.

    Memoised: parsing is the slow part of extraction, and the same contact number is written the
    same way in post after post of one seller or smuggler.
    """
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.count("+") > 1 or len(digits.lstrip("+")) < 7:
        return None
    old = MX_OLD_MOBILE.match(digits)
    if old and (digits.startswith("+") or len(digits) == 13):
        raw = digits = "+52" + old.group(1)
    candidates = [None] if digits.startswith("+") else list(regions)
    if not digits.startswith("+") and len(digits) >= 11:
        candidates.insert(0, "ZZ")  # maybe an international number without its "+"
    for region in candidates:
        try:
            number = phonenumbers.parse("+" + digits if region == "ZZ" else raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return _e164(number)
    return None


def _amount(number: str, multiplier: str | None) -> float | None:
    text = number.replace(" ", "")
    # A separator followed by exactly three digits groups thousands; otherwise it is a decimal point.
    parts = re.split(r"[.,]", text)
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        value = float("".join(parts))
    elif len(parts) == 2:
        value = float(parts[0] + "." + parts[1])
    elif len(parts) > 2:
        value = float("".join(parts[:-1]) + "." + parts[-1])
    else:
        value = float(text)
    if multiplier:
        value *= 1000
    return value if value > 0 else None


class _Spans:
    """Spans (start, end), sorted once: `holds(at)` says whether one holds the offset, in log time
    (a text of a million links must not test each number against each link)."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans = sorted(spans)
        self.starts = [start for start, _ in spans]
        self.reach: list[int] = []  # the furthest end among the spans up to each one
        furthest = -1
        for _, end in spans:
            furthest = max(furthest, end)
            self.reach.append(furthest)

    def holds(self, at: int) -> bool:
        index = bisect_right(self.starts, at) - 1
        return index >= 0 and self.reach[index] > at


NO_SPANS = _Spans([])


def _prices(text: str) -> Iterator[Indicator]:
    """The prices in `text`, in order (one at a time: a text may hold a million numbers)."""
    for m in NUMBER.finditer(text):
        start, end = m.span()
        before = CURRENCY_BEFORE.search(text, max(0, start - 5), start)
        if before is None and start > 0 and (text[start - 1].isalnum() or text[start - 1] in ".,$"):
            continue  # inside a word or a longer number ("M30", "1.2.3")
        mult = MULTIPLIER_AFTER.match(text, end)
        pos = mult.end() if mult else end
        code = CODE_AFTER.match(text, pos)
        word = code or CURRENCY_AFTER.match(text, pos)
        if code is not None:
            currency = code.group(1)
            if before is not None:
                start = before.start()
        elif before is not None:
            currency = CURRENCY_WORDS[word.group(1).lower()] if word else SIGNS[before.group(1).upper()]
            start = before.start()
        elif word is not None:
            currency = CURRENCY_WORDS[word.group(1).lower()]
        elif (word := SIGN_AFTER.match(text, pos)) is not None:
            currency = SIGNS[word.group(1) or word.group(2)]
        elif COUNT_AFTER.match(text, pos) or COUNT_BEFORE.search(text, max(0, start - 30), start):
            continue  # an audience count ("12 mil seguidores"), not an amount of money
        elif mult is not None and re.fullmatch(r"\d{1,3}(?:[.,]\d)?", m.group()):
            currency = "XXX"  # ISO 4217: no currency stated ("8 mil")
        else:
            continue
        end = word.end() if word else pos
        amount = _amount(m.group(), mult.group(1) if mult else None)
        if amount is None:
            continue
        value = f"{amount:.0f} {currency}" if amount == int(amount) else f"{amount:.2f} {currency}"
        yield Indicator("price", value, start, end, text[start:end].strip())


def extract(text: str, regions: tuple[str, ...] = REGIONS, over: dict[tuple[str, str | None], tuple[int, int]] | None = None
            ) -> list[Indicator]:
    """Every indicator in `text`, sorted by position; empty when the cheap prefilter finds nothing.

    Bounded for a text written to flood it: of each (type, value) the first INDICATORS_PER_VALUE
    found are kept, and INDICATORS_PER_TEXT in all. `over`, when given, receives what was found
    and not kept: (type, value) -> how many of it were found in all; (type, None) -> how many
    indicators of the type were found past INDICATORS_PER_TEXT distinct values (not told apart).
    """
    if not text or not maybe_indicators(text):
        return []
    out: list[Indicator] = []
    counts: dict[tuple[str, str], list[int]] = {}  # (type, value) -> [found, kept]
    beyond: dict[str, int] = {}  # type -> found past INDICATORS_PER_TEXT distinct values

    def keep(ind: Indicator) -> None:
        key = (ind.type, ind.value)
        entry = counts.get(key)
        if entry is None:
            if len(counts) >= INDICATORS_PER_TEXT:
                beyond[ind.type] = beyond.get(ind.type, 0) + 1
                return
            entry = counts[key] = [0, 0]
        entry[0] += 1
        if entry[1] < INDICATORS_PER_VALUE and len(out) < INDICATORS_PER_TEXT:
            entry[1] += 1
            out.append(ind)

    taken: list[tuple[int, int]] = []  # spans of links, so their digits are not read again as phones
    low = text.lower()
    # Each pattern runs only when a cheap substring test says it can match (regex scans are slow).
    whatsapp = "wa." in low or "whatsapp.com" in low
    for m in WHATSAPP.finditer(text) if whatsapp else ():
        if m.group("invite"):
            value = "invite:" + m.group("invite")
        elif m.group("message"):
            value = "message:" + m.group("message")
        elif m.group("walink"):
            value = "walink:" + m.group("walink")
        else:
            digits = m.group("catalog") or m.group("catalog2") or m.group("wame") or m.group("api")
            phone = parse_phone("+" + digits) or "+" + digits
            value = ("catalog:" + phone) if (m.group("catalog") or m.group("catalog2")) else phone
        keep(Indicator("whatsapp", value, m.start(), m.end(), m.group()))
        taken.append((m.start(), m.end()))
    for m in TELEGRAM.finditer(text) if ("t.me/" in low or "telegram.me/" in low) else ():
        value = "invite:" + m.group("invite") if m.group("invite") else "@" + m.group("name").lower()
        keep(Indicator("telegram", value, m.start(), m.end(), m.group()))
        taken.append((m.start(), m.end()))
    at = "@" in text
    for m in EMAIL.finditer(text) if at else ():
        keep(Indicator("email", m.group().lower(), m.start(), m.end(), m.group()))
        taken.append((m.start(), m.end()))
    links = _Spans(taken) if taken else NO_SPANS
    if at:
        # An @handle is a Telegram contact when Telegram is named; any other is an account handle
        # (a signal: account names carry what the account does, "@Reclutamiento_20_q").
        kind = "telegram" if TELEGRAM_WORD.search(text) else "handle"
        for m in HANDLE.finditer(text):
            if not links.holds(m.start()):
                keep(Indicator(kind, "@" + m.group("name").lower(), m.start(), m.end(), m.group()))
    if '"' in text or "\u201c" in text or "\u00ab" in text:
        for m in QUOTED.finditer(text):
            keep(Indicator("quote", m.group(1).strip(), m.start(), m.end(), m.group()))
    for m in URL.finditer(text) if "://" in text else ():
        host = m.group(1).lower()
        if m.group(2) and NEWS_PATH.search(m.group(2)) and not any(p in host for p in PLATFORM_HOSTS):
            keep(Indicator("news_link", host, m.start(), m.end(), m.group()))
    digits = DIGIT.search(text) is not None
    phones: list[tuple[int, int]] = []  # in order; phone runs never overlap one another
    for m in PHONE_RUN.finditer(text) if digits else ():
        if links.holds(m.start()):
            continue
        raw = m.group()
        if sum(c.isdigit() for c in raw) < 7:
            continue
        phone = parse_phone(raw, regions)
        if phone is not None:
            keep(Indicator("phone", phone, m.start(), m.end(), raw))
            phones.append((m.start(), m.end()))
    if digits:
        taken_all = _Spans(taken + phones) if phones else links
        for price in _prices(text):
            if not taken_all.holds(price.start):
                keep(price)
    out.sort(key=lambda i: (i.start, i.end, i.type))
    if over is not None:
        over.update({key: (found, kept) for key, (found, kept) in counts.items() if found > kept})
        over.update({(kind, None): (found, 0) for kind, found in beyond.items()})
    return out
