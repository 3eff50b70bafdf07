"""The one way page bytes become text, whoever holds them: a saved page, an MHTML part, a WARC,
WACZ or HAR record, a live recheck's response, a browser recheck's rendered HTML.

The encoding is taken, in this order (the HTML standard's, as `w3lib.encoding` implements it):

1. a byte-order mark: it wins over everything, a transport header that says otherwise included
   (browsers do the same: the BOM is in the bytes, a header is someone's claim about them);
2. the transport's charset: the Content-Type of an HTTP response, a WARC or HAR record, an MHTML
   part;
3. the page's own declaration: `<meta charset>`, `<meta http-equiv="Content-Type">` or an XML
   prolog in the first 4 KB before `<body>` (w3lib's prescan; the standard's is 1 KB);
4. detection: UTF-8 when the bytes are UTF-8, else Windows-1252 (browsers' fallback for Western
   pages; a statistical guess would read the same short page differently from version to version).

A declaration (2 or 3) is taken only when it fits the bytes, else the next step decides and a note
says why: a charset no one knows, one whose decoder fails on the body, a codec that is not a text
encoding (rot13, base64), UTF-7. A `<meta>` declaring UTF-16 or UTF-32 means UTF-8, as the standard says.
A transport charset of one byte per character (Latin-1, Windows-1252...) on bytes that are valid,
non-ASCII UTF-8 is a server's default header on a UTF-8 page: read as such, the page's Spanish
accents would become mojibake and its "no está disponible" would match no marker. Labels are
mapped as the WHATWG Encoding Standard does (latin-1 and ascii are Windows-1252...) by w3lib.

`for_parser` gives the bytes the HTML parser is handed (UTF-8 behind a BOM, which the parser
honours over any `<meta>`); `decode_page` the text, by the same choice. Page containers reach it
through `toolkit.sources._page_containers.prepare_body`, rechecks through `toolkit.recheck.reading.page_bytes`,
and `parse_page` for bytes handed to it directly.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

UTF8_BOM = codecs.BOM_UTF8
# Only to name a label w3lib could not resolve in a note (w3lib then answers None, as for no label).
_HEADER_LABEL = re.compile(r"""charset\s*=\s*["']?\s*([^\s;"',]+)""", re.I)
_META_LABEL = re.compile(rb"""<meta\b[^>]{0,400}?charset\s*=\s*["']?\s*([^\s;"'/>]+)""", re.I)
_SHOWN = {"utf-8": "utf-8", "cp1252": "windows-1252"}


@dataclass(frozen=True, slots=True)
class Choice:
    """How to read one page: the Python codec, how many bytes of BOM to skip, and why (a note when
    a declaration was passed over or the encoding was detected on bytes that are not UTF-8)."""

    encoding: str
    bom: int = 0
    note: str | None = None


def choose(body: bytes, content_type: str | None = None, *, charset: str | None = None) -> Choice:
    """The encoding to read `body` with: BOM, then the transport's charset (that of `content_type`,
    a Content-Type value, or `charset`, a label a container gives apart), then the page's
    declaration, then detection; see the module."""
    found, bom = read_bom(body)
    if found is not None and bom is not None:
        return Choice(found, len(bom))
    notes: list[str] = []
    if charset:
        label, transport = charset, _text_codec(resolve_encoding(charset))
    else:
        match = _HEADER_LABEL.search(content_type or "")
        label, transport = match and match.group(1), _text_codec(http_content_type_encoding(content_type))
    if transport is None:
        if label:
            notes.append(f"unknown charset {label}")
    else:
        # A transport "utf-16" without a BOM is little-endian (WHATWG); Python would guess.
        codec = {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(transport, transport)
        if _fits_transport(body, codec):
            return Choice(codec, 0, _joined(notes))
        notes.append(f"charset {label or transport} does not fit the body")
    declared = _text_codec(html_body_declared_encoding(body))
    if declared is None:
        label = _META_LABEL.search(body[:4096])
        if label and _text_codec(resolve_encoding(label.group(1).decode("ascii", "replace"))) is None:
            notes.append(f"page declares an unknown encoding {label.group(1).decode('ascii', 'replace')!r}")
    else:
        codec = "utf-8" if declared.startswith(("utf-16", "utf-32")) else declared
        if _strict(body, codec) is not None:
            return Choice(codec, 0, _joined(notes))
        notes.append(f"page declares {declared!r}, which does not fit the body")
    codec = "utf-8" if _strict(body, "utf-8") is not None else "cp1252"
    if notes:
        return Choice(codec, 0, f"{_joined(notes)}, read as {_SHOWN[codec]}")
    return Choice(codec, 0, None if codec == "utf-8" else "no charset declared and not UTF-8, read as windows-1252")


def decode_page(body: bytes, content_type: str | None = None, *, charset: str | None = None) -> tuple[str, str | None]:
    """The page's text (bytes no decoder can read become U+FFFD) and the note of `choose`."""
    choice = choose(body, content_type, charset=charset)
    return body[choice.bom:].decode(choice.encoding, errors="replace"), choice.note


def for_parser(body: bytes, content_type: str | None = None, *, charset: str | None = None) -> tuple[bytes, str | None]:
    """The page as the HTML parser must be handed it: UTF-8 behind a BOM, so that no `<meta>` in it
    can make the parser read it otherwise; and the note of `choose`. A body already so (what this
    function returns) comes back as it is."""
    choice = choose(body, content_type, charset=charset)
    if choice.encoding == "utf-8":
        return (body if choice.bom else UTF8_BOM + body), choice.note
    text = body[choice.bom:].decode(choice.encoding, errors="replace")
    return UTF8_BOM + text.encode("utf-8"), choice.note


def _strict(body: bytes, codec: str) -> str | None:
    """`body` decoded strictly by `codec` (an incomplete character at the end, where a capped body
    was cut, is left out), or None when it does not decode. A lone surrogate in UTF-8 (what a JSON
    string's lone \\ud800 gives, as in a HAR) does not make it another encoding."""
    try:
        errors = "surrogatepass" if codecs.lookup(codec).name == "utf-8" else "strict"
        return codecs.getincrementaldecoder(codec)(errors).decode(body, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _text_codec(name: str | None) -> str | None:
    """`name` when it is a text encoding Python has (not rot13, base64, zlib...), else None."""
    if name is None:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # UTF-7 has no WHATWG label and browsers dropped it: it spells "<" as "+ADw-", so a page could
    # show a browser one text and us another (w3lib refuses it too, from 2.4 on).
    if info.name == "utf-7" or not getattr(info, "_is_text_encoding", True):
        return None
    return name


def _fits_transport(body: bytes, codec: str) -> bool:
    text = _strict(body, codec)
    if text is None:
        return False
    # One character per byte: a single-byte charset. On valid non-ASCII UTF-8 it is a wrong header.
    return not (len(text) == len(body) and not body.isascii() and _strict(body, "utf-8") is not None)


def _joined(notes: list[str]) -> str | None:
    return ", ".join(notes) or None

