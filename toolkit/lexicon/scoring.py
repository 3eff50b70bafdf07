"""Scoring a capture: which category its hits point to, how strongly, and why.

Per category, the score is the sum of the weights of the distinct terms that matched, where

- a term whose `requires` signals are absent (not in the item, or not within `within` tokens)
  counts only its lexicon's `alone` share (a coyote is an animal until a price or a phone appears);
- a term whose `excludes` contexts are present counts nothing (pollo next to a recipe);

plus the category's `[boost]` for every signal present (contact, price, place, ...), in full once the
terms add up to BOOST_FULL and in proportion below that (a lone weak term stays weak), all multiplied
by the category's `[negative]` factor for every context present (news, warning, wildlife, food).
The raw value is mapped to 0-100 with 100 * (1 - exp(-raw / SCALE)), so scores are comparable across
lexicon sets and a few strong signals saturate instead of adding up forever.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from toolkit.lexicon.files import Lexicon, Term
from toolkit.lexicon.indicators import CONTACT_TYPES, Indicator
from toolkit.models import Category

SCALE = 8.0
MIN_RAW = 1.0  # below this the capture gets no category
BOOST_FULL = 2.0  # term evidence from which a category gets its boosts in full (less: a share)
WORD = re.compile(r"\w+")
CATEGORY_ORDER = [c.value for c in Category]

Hit = tuple[int, int, int]


@dataclass
class FieldTags:
    """What was found in one field (name or text) of a capture."""

    field: str
    text: str
    hits: list[Hit]
    indicators: list[Indicator]


@dataclass
class Score:
    score: float  # 0-100
    raw: float
    category: str | None
    explanation: dict = field(default_factory=dict)


class Scorer:
    """Scores captures for one set of lexicons (their category boosts and negatives merged)."""

    def __init__(self, lexicons: list[Lexicon], terms: list[Term]):
        self.terms = terms
        self.roles = {lex.name: lex.role for lex in lexicons}
        self.alone = {lex.name: lex.alone for lex in lexicons}
        self.boost: dict[str, dict[str, float]] = defaultdict(dict)
        self.negative: dict[str, dict[str, float]] = defaultdict(dict)
        for lex in lexicons:
            if lex.category is None:
                continue
            # Several lexicons may feed one category: keep the strongest boost and negative for each signal.
            for signal, value in lex.boost.items():
                self.boost[lex.category][signal] = max(value, self.boost[lex.category].get(signal, 0.0))
            for signal, value in lex.negative.items():
                self.negative[lex.category][signal] = min(value, self.negative[lex.category].get(signal, 1.0))

    def signals(self, fields: list[FieldTags]) -> dict[str, list[tuple[str, int, int]]]:
        """Every signal present, with where: term tags, lexicon names, categories, places, indicator types."""
        found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for tags in fields:
            for tid, start, end in tags.hits:
                term = self.terms[tid]
                where = (tags.field, start, end)
                for name in term.tags:
                    found[name].append(where)
                found[term.lexicon].append(where)
                if term.category:
                    found[term.category].append(where)
                if self.roles[term.lexicon] == "places":
                    found["place"].append(where)
            for ind in tags.indicators:
                where = (tags.field, ind.start, ind.end)
                found[ind.type].append(where)
                if ind.type in CONTACT_TYPES:
                    found["contact"].append(where)
        return found

    def score(self, fields: list[FieldTags]) -> Score:
        """The score, category and explanation of one capture from its fields' hits and indicators."""
        signals = self.signals(fields)
        texts = {f.field: f.text for f in fields}
        totals: dict[str, float] = defaultdict(float)
        explained = []
        seen: set[int] = set()
        for tags in fields:
            scoring = [h for h in tags.hits if self.roles[self.terms[h[0]].lexicon] == "terms"]
            for tid, start, end in scoring:
                term = self.terms[tid]
                if tid in seen or _covered(scoring, tid, start, end):
                    continue
                seen.add(tid)
                counted, notes = term.weight, []
                if term.requires and not any(
                    _near(signals.get(name, ()), (tags.field, start, end), term.within, texts)
                    for name in term.requires
                ):
                    counted *= self.alone[term.lexicon]
                    notes.append("alone: no " + "/".join(term.requires) + (f" within {term.within} words" if term.within else ""))
                excluded = [name for name in term.excludes if name in signals]
                if excluded:
                    counted = 0.0
                    notes.append("excluded by " + ", ".join(excluded))
                totals[term.category] += counted
                explained.append({"term": term.term, "lexicon": term.lexicon, "category": term.category,
                                  "field": tags.field, "weight": term.weight, "counted": round(counted, 3),
                                  "notes": notes})
        by_category: dict[str, float] = {}
        boosts: dict[str, dict[str, float]] = {}
        negatives: dict[str, dict[str, float]] = {}
        for category, total in totals.items():
            if total <= 0:
                by_category[category] = 0.0
                continue
            # Co-signals amplify the terms' evidence; they cannot carry one weak term on their own.
            share = min(1.0, total / BOOST_FULL)
            added = {s: round(b * share, 3) for s, b in self.boost.get(category, {}).items() if s in signals}
            factors = {s: f for s, f in self.negative.get(category, {}).items() if s in signals}
            value = total + sum(added.values())
            for factor in factors.values():
                value *= factor
            by_category[category] = round(value, 3)
            if added:
                boosts[category] = added
            if factors:
                negatives[category] = factors
        raw = max(by_category.values(), default=0.0)
        category = None
        if raw >= MIN_RAW:
            category = min((c for c, v in by_category.items() if v == raw), key=CATEGORY_ORDER.index)
        explained.sort(key=lambda e: (-e["counted"], e["term"]))
        top = [e["term"] for e in explained if e["counted"] > 0][:5]
        present = sorted(s for s in signals if s in {"contact", "phone", "whatsapp", "telegram", "email", "price", "place"})
        contexts = sorted(negatives.get(category, {})) if category else []
        summary = ", ".join(top)
        if present:
            summary += (" " if summary else "") + " ".join("+" + s for s in present)
        if contexts:
            summary += (" " if summary else "") + " ".join("-" + s for s in contexts)
        explanation = {
            "raw": round(raw, 3),
            "by_category": dict(sorted(by_category.items())),
            "terms": explained,
            "signals": sorted(signals),
            "boosts": boosts,
            "negatives": negatives,
            "summary": summary,
        }
        return Score(score=round(100 * (1 - math.exp(-raw / SCALE)), 1), raw=round(raw, 3), category=category,
                     explanation=explanation)


def _covered(hits: list[Hit], tid: int, start: int, end: int) -> bool:
    """Whether a longer hit of another term contains this one ("cruce" inside "cruce seguro")."""
    for other, other_start, other_end in hits:
        if other != tid and other_start <= start and end <= other_end and other_end - other_start > end - start:
            return True
    return False


def _near(places, where: tuple[str, int, int], within: int | None, texts: dict[str, str]) -> bool:
    """Whether any of `places` other than `where` itself is in the item, or within `within` words of it."""
    places = [p for p in places if p != where]
    if not places:
        return False
    if within is None:
        return True
    field_name, start, end = where
    text = texts[field_name]
    for other_field, other_start, other_end in places:
        if other_field != field_name:
            continue
        if other_start >= end:
            gap = text[end:other_start]
        elif other_end <= start:
            gap = text[other_end:start]
        else:
            return True  # overlapping spans
        if len(WORD.findall(gap)) <= within:
            return True
    return False
