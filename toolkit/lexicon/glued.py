"""Words glued together without capitals: "#weedforsale", "@plugmeds", "orderpainkillersonline.com".

Dealers and smugglers name their accounts, hashtags and shop domains by running words together in
lower case. The matcher already splits handles at capitals and digits ("@CruceSeguroUSA"); this
splits what is left with the lexicons' own words, so that "#vapecartsforsale" is read as "vape carts
for sale" and its terms are found.

The split is the one that covers the most of the token with known words, longer words first (each
known word scores the square of its length, so "pharmacy" beats "pharma" + "cy"); letters no known
word covers stay as they are. It can only find words the lexicons (or GLUE below) contain: it never
invents a term, it only places spaces.
"""

from __future__ import annotations

import re

from toolkit.lexicon.normalise import fold_str

# Words that stand between terms in handles and shop names ("for sale", "buy ... online", "the plug"):
# known to the splitter so that they do not swallow a neighbour's letters.
GLUE = frozenset({"for", "sale", "buy", "order", "online", "shop", "store", "stores", "the", "my", "your", "best",
                  "official", "oficial", "usa", "de", "la", "el", "los", "las", "del", "en", "con", "and",
                  "to", "in", "of", "here", "now", "ventas", "venta", "viajes", "tienda", "loja"})
MIN_TOKEN = 6  # shorter lowercase tokens are words, not glued ones
MAX_WORD = 24
MEMO_LIMIT = 50_000
# A web address's host before a common top-level domain: "orderpainkillersonline.com", "usa-meds.shop".
# Found in two steps because a regex that starts with the host would try every word of every post
# (about 6 µs a post); one that starts with the dot and the domain costs a fraction of that.
TLD = re.compile(r"\.(?:com|net|org|shop|store|online|site|biz|info|co|io|me|xyz|top|app|mx|br|es)(?![\w-])")
HOST = re.compile(r"(?<![\w.@-])(?:www\.)?([A-Za-z0-9][A-Za-z0-9-]{4,62})\Z")
HOST_REACH = 72  # "www." and a 63-character label, and a character before them


def hosts(text: str):
    """(host, start, end) for every web host in `text` (its name before the top-level domain, the
    span from its start to the end of the domain)."""
    for tld in TLD.finditer(text):
        at = tld.start()
        before = text[max(0, at - HOST_REACH):at]
        host = HOST.search(before)
        if host is not None and (host.start() > 0 or at <= HOST_REACH):
            yield host.group(1), at - len(before) + host.start(), tld.end()


PIECES = re.compile(r"[a-z]+|[^a-z]+")


class Splitter:
    """Splits glued lowercase tokens with a fixed vocabulary (the lexicons' words and GLUE)."""

    def __init__(self, words: set[str]):
        self.vocab = frozenset(w for w in words if w.isalpha() and 3 <= len(w) <= MAX_WORD) | GLUE
        self.memo: dict[str, str] = {}

    def spaced(self, token: str) -> str:
        """`token` (a handle, hashtag or host name), folded as the matcher reads text, with spaces
        between the known words found glued in it."""
        folded = fold_str(token).replace(" ", "")
        if len(folded) < MIN_TOKEN:
            return folded
        out = self.memo.get(folded)
        if out is None:
            out = " ".join(self._split(piece) if piece.isalpha() else piece for piece in PIECES.findall(folded))
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[folded] = out
        return out

    def _split(self, word: str) -> str:
        if len(word) < MIN_TOKEN or word in self.vocab:
            return word
        n, vocab = len(word), self.vocab
        best = [0] * (n + 1)  # best[i]: the highest score of a split of word[:i]
        back = [0] * (n + 1)  # where the last piece of that split starts
        for i in range(1, n + 1):
            best[i], back[i] = best[i - 1], i - 1  # an unknown letter
            for j in range(max(0, i - MAX_WORD), i - 1):
                if word[j:i] in vocab and best[j] + (i - j) ** 2 > best[i]:
                    best[i], back[i] = best[j] + (i - j) ** 2, j
        pieces, i = [], n
        while i > 0:
            pieces.append(word[back[i]:i])
            i = back[i]
        pieces.reverse()
        # Letters no word covered run together again ("xq" + "plug" reads "xq plug", not "x q plug").
        merged: list[str] = []
        for piece in pieces:
            if merged and len(piece) == 1 and piece not in vocab and len(merged[-1]) >= 1 and merged[-1] not in vocab:
                merged[-1] += piece
            else:
                merged.append(piece)
        return " ".join(merged)
