"""Facebook details beyond identity: Marketplace listings from inline JSON, and the audience,
creation date and "managed from" country a page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import orjson

from toolkit.models import ItemRef, Kind
from toolkit.platforms.counts import find_counts
from toolkit.platforms.markers import normalise
from toolkit.platforms.pages import Page
from toolkit.platforms.places import Places

MARKETPLACE_TYPENAME = b'"__typename":"GroupCommerceProductItem"'
WINDOW = 20_000
_STR = rb'"((?:[^"\\]|\\.)*)"'


def _string(raw: bytes, key: bytes) -> str | None:
    match = re.search(b'"' + key + rb'"\s*:\s*' + _STR, raw)
    return _decode(match.group(1)) if match else None


def _decode(value: bytes) -> str | None:
    try:
        return orjson.loads(b'"' + value + b'"')
    except orjson.JSONDecodeError:
        return None


def _flat_object(raw: bytes, key: bytes) -> dict:
    """A JSON object value without nested objects (`"key":{...}`), parsed, or {}."""
    match = re.search(b'"' + key + rb'"\s*:\s*(\{[^{}]*\})', raw)
    if not match:
        return {}
    try:
        value = orjson.loads(match.group(1))
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def marketplace_listing(page: Page, requested: ItemRef | None = None) -> dict | None:
    """The Marketplace listing in the page's inline JSON (`GroupCommerceProductItem`), or None.

    Returns id, title, price (a decimal string), currency, price_text, location, seller (name,
    id), is_sold, is_pending, description and created_at where present. When the page holds
    several listings (similar items), the requested one wins, else the first with a title; when a
    listing was asked for and is not among them, None (the others are suggestions, not the item).
    """
    if not page.has(MARKETPLACE_TYPENAME):
        return None
    raw = page.body
    position = raw.find(MARKETPLACE_TYPENAME)
    chosen = None
    while position >= 0:
        window = raw[max(0, position - WINDOW):position + WINDOW]
        local = raw[position:position + WINDOW]
        id_match = re.search(rb'"id"\s*:\s*"(\d+)"', local) or re.search(rb'"id"\s*:\s*"(\d+)"', window)
        if id_match and b"marketplace_listing_title" in window:
            listing_id = id_match.group(1).decode()
            if chosen is None or (requested is not None and requested.key == listing_id):
                chosen = (listing_id, window)
            if requested is None or requested.key == listing_id:
                break
        position = raw.find(MARKETPLACE_TYPENAME, position + 1)
    if chosen is None or (requested is not None and requested.kind == Kind.LISTING and chosen[0] != requested.key):
        return None
    listing_id, window = chosen
    price = _flat_object(window, b"listing_price")
    seller = _flat_object(window, b"marketplace_listing_seller")
    location = _flat_object(window, b"location_text") or _flat_object(window, b"reverse_geocode")
    amount = price.get("amount")
    try:
        amount = str(Decimal(str(amount))) if amount is not None else None
    except InvalidOperation:
        amount = None
    created = re.search(rb'"creation_time"\s*:\s*(\d{9,13})', window)
    description = _flat_object(window, b"redacted_description").get("text") or _string(window, b"marketplace_listing_description")
    place = location.get("text") or ", ".join(v for v in (location.get("city"), location.get("state")) if v) or None
    from toolkit.dates import from_unix

    return {
        "id": listing_id,
        "title": _string(window, b"marketplace_listing_title"),
        "price": amount,
        "currency": price.get("currency") or _string(window, b"currency"),
        "price_text": price.get("formatted_amount"),
        "location": place,
        "seller": {"name": seller.get("name"), "id": seller.get("id")} if seller else {},
        "seller_name": seller.get("name"),
        "is_sold": bool(re.search(rb'"is_sold"\s*:\s*true', window)),
        "is_pending": bool(re.search(rb'"is_pending"\s*:\s*true', window)),
        "description": description,
        "created_at": from_unix(created.group(1).decode()) if created else None,
    }


@dataclass
class PageDetails:
    counts: dict[str, int] = field(default_factory=dict)
    created_at: str | None = None
    country: str | None = None


MONTHS = {
    # en, es, pt, fr month names (accents folded by normalise)
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "octobre": 10, "novembre": 11, "decembre": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_CREATED = re.compile(
    r"(?:page created|creation de la page|pagina creada|fecha de creacion|creada el|criada em|pagina criada|"
    r"date de creation|created on|created)\W{0,6}(?:el\s+|on\s+|le\s+|em\s+)?(.{6,40})")
_DATE_MDY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),?\s+(\d{{4}})\b")
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:\s+de)?\s+({_MONTH})(?:\s+de)?\s+(\d{{4}})\b")
_COUNTRY = re.compile(
    r"(?:people who manage this page includes|managed from|personas que administran esta pagina incluye|"
    r"administrada desde|gerenciada de|pessoas que gerenciam esta pagina inclui|gere depuis|"
    r"personnes qui gerent cette page comprend)\s*:?\s*([^()\d:|·]{2,60})")


# Cheap tests on the raw text before the count patterns run.
_COUNT_HINT = re.compile(r"follow|seguid|abonn|subscri|suscri|inscri|member|miembr|membr|like|gusta|curtid|aime")
MAX_DETAIL_TEXTS = 400
# Likes of the page itself, as opposed to a post's "214 Me gusta".
_PAGE_LIKES = re.compile(r"les gusta esto|people like this|like this page|curtiram isso|aiment ça|aiment ceci")
# Cheap test on the raw text before normalising a line for the date and country patterns.
_DETAIL_HINT = re.compile(r"creat|cread|criad|cr[ée]ation|manage|administr|gerenc|g[eè]r")


def parse_written_date(text: str) -> str | None:
    """An ISO date from "January 5, 2019" / "5 de enero de 2019" / "5 janvier 2019" (normalised text)."""
    match = _DATE_MDY.search(text)
    if match:
        month, day, year = MONTHS[match.group(1)], int(match.group(2)), int(match.group(3))
    else:
        match = _DATE_DMY.search(text)
        if not match:
            return None
        day, month, year = int(match.group(1)), MONTHS[match.group(2)], int(match.group(3))
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def page_details(page: Page, places: Places) -> PageDetails:
    """Counts, creation date and managing country from the short texts a page shows (in page
    order, so the header's counts come before any in the feed)."""
    details = PageDetails()
    # The header, intro and transparency box come first in page order; a long feed below adds
    # nothing but time, so only the first texts are read.
    lines = [t.replace("\n", " ") for t in places.raw("leaf")[:MAX_DETAIL_TEXTS] if len(t) <= 200]
    joined = "\n".join(lines)
    lowered = joined.lower()
    # One line per text, matched one by one: a feed of "214 Me gusta" lines would cost a Python
    # step per match otherwise. Lower-casing that keeps the length keeps the lines aligned.
    low_lines = lowered.split("\n") if lines and len(lowered) == len(joined) else lines
    # Likes printed in the page body belong to its posts ("214 Me gusta"); only audience counts here.
    counts = find_counts("\n".join([line for line in low_lines if _COUNT_HINT.search(line)]))
    details.counts = {k: v for k, v in counts.items() if k in ("followers", "members")}
    page_likes = find_counts("\n".join([line for line in low_lines if _PAGE_LIKES.search(line)])).get("likes")
    if page_likes is not None:
        details.counts["likes"] = page_likes
    for raw_line in [original for original, line in zip(lines, low_lines, strict=True) if _DETAIL_HINT.search(line)]:
        line = normalise(raw_line)
        if details.created_at is None:
            created = _CREATED.search(line)
            if created:
                details.created_at = parse_written_date(created.group(1))
        if details.country is None:
            country = _COUNTRY.search(line)
            if country:
                # Keep the page's own spelling (México, not mexico) when folding kept the length.
                original = " ".join(raw_line.split())
                value = original[country.start(1):country.end(1)] if len(original) == len(line) else country.group(1)
                details.country = value.strip(" .,") if len(original) == len(line) else value.strip(" .,").title()
        if details.created_at and details.country:
            break
    return details
