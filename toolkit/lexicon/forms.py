"""The surface forms of a term: its spelling, variants, inflections, each folded for matching.

A word form is a tuple of folded words ("pago", "al", "llegar") that matches those words separated
by any run of separators (spaces, punctuation, line breaks). An emoji form is the term's emoji
sequence with variation selectors, joiners and skin tones removed.
"""

from __future__ import annotations

from toolkit.lexicon.loader import Lexicon, Term
from toolkit.lexicon.normalise import fold_str

# Characters inside an emoji sequence that do not change what it means.
EMOJI_NOISE = frozenset("\ufe0e\ufe0f\u200d" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400)))
VOWELS = "aeiou"


def emoji_key(text: str) -> str:
    """An emoji sequence without variation selectors, joiners and skin tones."""
    return "".join(c for c in text if c not in EMOJI_NOISE and not c.isspace())


def is_emoji_form(text: str) -> bool:
    return any(ord(c) > 0xFF and not c.isalnum() for c in text)


def plural(word: str, lang: str | None) -> list[str]:
    """Plural forms of a folded word (Spanish/Portuguese rules by default, English with lang='en')."""
    if lang == "ht" or len(word) < 3 or not word.isalpha():
        return []
    if lang == "en":
        if word.endswith("y") and word[-2] not in VOWELS:
            return [word[:-1] + "ies"]
        return [word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")]
    if word.endswith("s"):
        return []
    if word.endswith("z"):
        return [word[:-1] + "ces"]
    if word[-1] in VOWELS:
        return [word + "s"]
    if lang == "pt" and word.endswith("m"):
        return [word[:-1] + "ns"]
    return [word + "es"]


def gender(word: str, lang: str | None) -> list[str]:
    """The other grammatical gender of a folded Spanish/Portuguese word, when it has a regular one."""
    if lang in ("en", "ht") or len(word) < 3 or not word.isalpha():
        return []
    if word.endswith("o"):
        return [word[:-1] + "a"]
    if word.endswith(("or", "on")):
        return [word + "a"]
    return []


def inflect(words: tuple[str, ...], mode: str, lang: str | None) -> set[tuple[str, ...]]:
    """`words` and its inflected forms: plural (and with mode 'all' gender) of the head word.

    The head of a Spanish noun phrase is its first word ("guia de confianza" -> "guias de
    confianza"), so only that word is inflected.
    """
    out = {words}
    if mode == "none":
        return out
    head = words[0]
    heads = {head}
    if mode == "all":
        heads.update(gender(head, lang))
    for form in list(heads):
        heads.update(plural(form, lang))
    for form in heads:
        out.add((form, *words[1:]))
    return out


def word_forms(term: Term) -> set[tuple[str, ...]]:
    """Every folded word form of a (non-regex) term."""
    forms: set[tuple[str, ...]] = set()
    for spelling in [term.term, *term.variants]:
        if is_emoji_form(spelling):
            continue
        words = tuple(fold_str(spelling).split())
        if words:
            forms |= inflect(words, term.inflect, term.lang)
    return forms


def emoji_forms(term: Term) -> set[str]:
    return {emoji_key(s) for s in [term.term, *term.variants] if is_emoji_form(s)}


def all_terms(lexicons: list[Lexicon]) -> list[Term]:
    return [term for lex in lexicons for term in lex.terms]
