"""Scoring a capture: which category its hits point to, how strongly, and why.

Per category, the score is the sum of the weights of the distinct terms that matched, where

- a term whose `requires` signals are absent (not in the item, or not within `within` tokens)
  counts only its lexicon's `alone` share (a coyote is an animal until a price or a phone appears);
- a term whose `excludes` contexts are present counts nothing (pollo next to a recipe);

plus the weight of every compositional rule of the category whose signals are all present (`[[rules]]`:
a price and a travel verb together; a route and a promise), plus the category's `[boost]` for every
signal present (contact, price, place, ...), in full once the terms and rules add up to BOOST_FULL and
in proportion below that (a lone weak term stays weak), all multiplied by the category's `[negative]`
factor for every context present (news, warning, wildlife, food).

Rules depend on which signals an item holds, not where: they are applied in `Scorer._numbers`, the
one function both the full scorer (`Scorer.score`) and its memoised shortcut (`Scorer.score_plain`)
call, so the two cannot disagree. A rule counts for an item that has at least one scoring term (an item with none is not
scored).
The raw value is mapped to 0-100 with 100 * (1 - exp(-raw / SCALE)), so scores are comparable across
lexicon sets and a few strong signals saturate instead of adding up forever.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

import orjson

from toolkit.lexicon.indicators import CONTACT_TYPES, Indicator
from toolkit.lexicon.loader import Lexicon, Term
from toolkit.models import Category

SCALE = 8.0
# Threats and demands speak of the police, warnings and reports themselves ("no llames a la policía",
# "esto es una advertencia"): a context word inside one of them is not a sign of reporting. Inside
# other terms it still is ("cártel" in "Cártel del Noreste" is what news about a cartel says too).
OWN_CONTEXT_TAGS = frozenset({"threat", "demand"})
MIN_RAW = 1.0  # below this the capture gets no category
CACHE_LIMIT = 100_000  # memoised scores kept; cleared when full so memory stays flat
BOOST_FULL = 2.0  # term evidence from which a category gets its boosts in full (less: a share)
WORD = re.compile(r"\w+")
CATEGORY_ORDER = [c.value for c in Category]

Hit = tuple[int, int, int]
ANYWHERE, WITHIN, SELF = 1, 2, 3  # a term's `requires` rule: anywhere in the item, within N words, given by itself too


@dataclass(slots=True)
class FieldTags:
    """What was found in one field (name or text) of a capture."""

    field: str
    text: str
    hits: list[Hit]
    indicators: list[Indicator]


class Score:
    """A capture's score (0-100), raw value, category, and its explanation (built when first read)."""

    __slots__ = ("_explanation", "_json", "_parts", "category", "raw", "score")

    def __init__(self, score: float, raw: float, category: str | None, parts: tuple | None = None):
        self.score = score
        self.raw = raw
        self.category = category
        self._parts = parts
        self._explanation: dict | None = None
        self._json: str | None = None

    @property
    def explanation(self) -> dict:
        """JSON-ready: raw, by_category, terms (weight, counted, notes), signals (those scoring looks at),
        boosts, negatives, rules, summary."""
        if self._explanation is None:
            self._explanation = _explain(self, *(self._parts or (None, (), 0, {}, {}, {}, {})))
        return self._explanation

    @property
    def explanation_json(self) -> str:
        """`explanation` as JSON text, as stored (built once: many captures share one score)."""
        if self._json is None:
            self._json = orjson.dumps(self.explanation).decode()
        return self._json


class _Bits(dict):
    """Signal name -> its bit in a signal mask; a name not seen before gets the next bit.

    A capture's signals as one int: a union is `|`, a membership test `&`, and a memo key hashes
    at once (a frozenset of names costs a hash per name). Only the signals scoring looks at (the
    `referenced` ones: named by a `requires`, `excludes`, `[boost]`, `[negative]` or rule) get a
    bit; any other name is 0, so the masks stay within one 64-bit word however many tags the
    lexicons carry for their own documentation.
    """

    def __init__(self, referenced: set[str] | None = None) -> None:
        super().__init__()
        self.names: list[str] = []
        self.referenced = referenced

    def __missing__(self, name: str) -> int:
        if self.referenced is not None and name not in self.referenced:
            self[name] = 0
            return 0
        bit = self[name] = 1 << len(self.names)
        self.names.append(name)
        return bit

    def mask(self, names) -> int:
        out = 0
        for name in names:
            out |= self[name]
        return out

    def names_of(self, mask: int) -> set[str]:
        return {name for i, name in enumerate(self.names) if mask >> i & 1}


class Scorer:
    """Scores captures for one set of lexicons (their category boosts and negatives merged)."""

    def __init__(self, lexicons: list[Lexicon], terms: list[Term]):
        self.terms = terms
        roles = {lex.name: lex.role for lex in lexicons}
        alone = {lex.name: lex.alone for lex in lexicons}
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
        # Compositional rules per category, in lexicon order: (name, signals all required, weight).
        self.rules: dict[str, list[tuple[str, frozenset[str], float]]] = defaultdict(list)
        for lex in lexicons:
            for rule in lex.rules:
                self.rules[rule.category].append((rule.rule, frozenset(rule.all), rule.weight))
        # Per term, precomputed once: the signals a hit of it gives, whether it scores, its share alone.
        self.gives = [tuple(dict.fromkeys([*t.tags, t.lexicon, *([t.category] if t.category else []),
                                           *(["place"] if roles[t.lexicon] == "places" else [])]))
                      for t in terms]
        self.scores = [roles[t.lexicon] == "terms" for t in terms]
        self.owns_context = [self.scores[tid] and not OWN_CONTEXT_TAGS.isdisjoint(t.tags) for tid, t in enumerate(terms)]
        # `requires` anywhere in the item, none of which the term gives itself: a plain membership test.
        self.plain = [not t.within and not set(t.requires) & set(given) for t, given in zip(terms, self.gives, strict=True)]
        self.positional = [bool(t.within) for t in terms]
        self.cache: dict[tuple, Score] = {}
        self.numbers: dict[tuple, tuple] = {}  # see _result
        self.alone = [alone[t.lexicon] for t in terms]
        referenced = {name for t in terms for name in (*t.requires, *t.excludes)}
        for lex in lexicons:
            referenced.update(lex.boost, lex.negative, *(rule.all for rule in lex.rules))
        self.bits = _Bits(referenced)
        self.give_mask = [self.bits.mask(given) for given in self.gives]
        # The rules, boosts and negatives per category with their signals as masks of `bits`, so that
        # `_numbers` tests them with `&` on an item's mask instead of building its set of names.
        self.rule_masks = {category: [(name, self.bits.mask(needed), weight) for name, needed, weight in rules]
                           for category, rules in self.rules.items()}
        # Per category, every signal any of its rules looks at: which rules fire depends on those alone.
        self.rule_union = {category: self.bits.mask(name for _, needed, _ in rules for name in needed)
                           for category, rules in self.rules.items()}
        self.fired_cache: dict[tuple[str, int], tuple[tuple[str, ...], float]] = {}
        self.boost_bits = {category: [(name, self.bits[name], value) for name, value in signals.items()]
                           for category, signals in self.boost.items()}
        self.negative_bits = {category: [(name, self.bits[name], value) for name, value in signals.items()]
                              for category, signals in self.negative.items()}
        # Per term, for score_plain: category, weight, which `requires` rule, requires, excludes, alone
        # share, and the masks of requires and excludes.
        self.spec = [(t.category, t.weight, (WITHIN if t.within else ANYWHERE if self.plain[tid] else SELF) if t.requires else 0,
                      tuple(t.requires), tuple(t.excludes), self.alone[tid], self.bits.mask(t.requires),
                      self.bits.mask(t.excludes)) for tid, t in enumerate(terms)]

    def scoring(self, hits: list[Hit]) -> bool:
        """Whether any hit is of a term that scores (not only context words or places)."""
        scores = self.scores
        return any(scores[tid] for tid, _, _ in hits)

    def signals(self, fields: list[FieldTags]) -> dict[str, list[tuple[str, int, int]]]:
        """Every signal present, with where: term tags, lexicon names, categories, places, indicator types."""
        found: dict[str, list[tuple[str, int, int]]] = {}
        gives, scores, owns = self.gives, self.scores, self.owns_context
        for tags in fields:
            name = tags.field
            inside = _Spans([(start, end) for tid, start, end in tags.hits if owns[tid]])
            for tid, start, end in tags.hits:
                if inside.spans and not scores[tid] and inside.holds(start, end):
                    # A context word inside a threat or a demand is the threat's own word, not
                    # context: "policía" in "no llames a la policía" is no sign of a news report.
                    continue
                where = (name, start, end)
                for signal in gives[tid]:
                    found.setdefault(signal, []).append(where)
            for ind in tags.indicators:
                where = (name, ind.start, ind.end)
                found.setdefault(ind.type, []).append(where)
                if ind.type in CONTACT_TYPES:
                    found.setdefault("contact", []).append(where)
        return found

    def score(self, fields: list[FieldTags]) -> Score:
        """The score and category of one capture from its fields' hits and indicators.

        A score depends on the scoring terms that matched (per field, with repeats) and on which
        signals are present; on positions only through `within` and overlapping terms. Captures
        alike in all that get the same score, so it is memoised.
        """
        signals = self.signals(fields)
        key = self._key(fields, signals)
        if key is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        result = self._score(fields, signals)
        if key is not None:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = result
        return result

    def _key(self, fields: list[FieldTags], signals: dict) -> tuple | None:
        parts = []
        positional, scores = self.positional, self.scores
        for tags in fields:
            last_end = other_end = -1
            for tid, start, end in tags.hits:
                if not scores[tid]:
                    if start < last_end:  # a place or context word within a term: positions decide
                        return None
                    other_end = max(other_end, end)
                    continue
                if positional[tid] or start < last_end or start < other_end:
                    return None
                last_end = end
                parts.append((tags.field, tid))
        parts.sort()
        return tuple(parts), frozenset(signals)

    def _score(self, fields: list[FieldTags], signals: dict) -> Score:
        texts = None
        totals: dict[str, float] = {}
        counted_terms = []
        seen: set[int] = set()
        terms, scores = self.terms, self.scores
        for tags in fields:
            scoring = [h for h in tags.hits if scores[h[0]]]
            covered = _covered(scoring) if len(scoring) > 1 else None
            for row, (tid, start, end) in enumerate(scoring):
                if tid in seen or (covered is not None and covered[row]):
                    continue
                seen.add(tid)
                term = terms[tid]
                counted, alone, excluded = term.weight, False, ()
                if term.requires and self.plain[tid]:
                    # A signal inside the term's own words is the term's, not a co-signal: the
                    # place "frontera" in "brincar la frontera" does not make the phrase an offer.
                    where = (tags.field, start, end)
                    if not any(_outside(signals.get(name, ()), where) for name in term.requires):
                        counted *= self.alone[tid]
                        alone = True
                elif term.requires:
                    if texts is None:
                        texts = {f.field: f.text for f in fields}
                    where = (tags.field, start, end)
                    if not any(_near(signals.get(name, ()), where, term.within, texts) for name in term.requires):
                        counted *= self.alone[tid]
                        alone = True
                if term.excludes and not signals.keys().isdisjoint(term.excludes):
                    excluded = [name for name in term.excludes if name in signals]
                    if excluded:
                        counted = 0.0
                totals[term.category] = totals.get(term.category, 0.0) + counted
                counted_terms.append((tid, tags.field, counted, alone, excluded))
        return self._result(totals, counted_terms, self.bits.mask(signals))

    def near(self, fields: list[FieldTags]) -> tuple[bool, ...]:
        """For each `within` term that scores, at its first hit (fields in order, hits in order):
        whether a signal it requires is within reach, as `score` decides it. For hits that do not
        overlap."""
        out = []
        seen: set[int] = set()
        positional, scores = self.positional, self.scores
        for tags in fields:
            for tid, start, end in tags.hits:
                if not positional[tid] or tid in seen or not scores[tid]:
                    continue
                seen.add(tid)
                out.append(self.signal_near(tid, start, end, tags.hits, tags.indicators, tags.text))
        return tuple(out)

    def signal_near(self, tid: int, start: int, end: int, hits: list[Hit], indicators: list[Indicator],
                    text: str) -> bool:
        """Whether a signal the `within` term `tid` (its hit at start-end) requires is within reach
        in its field: another hit there that gives it, or an indicator of that type. `within`
        looks in the term's own field only: the other fields' signals do not count."""
        term, gives = self.terms[tid], self.gives
        where, texts = ("", start, end), {"": text}
        for name in term.requires:
            places = [("", s, e) for t, s, e in hits if name in gives[t]]
            places += [("", ind.start, ind.end) for ind in indicators
                       if ind.type == name or (name == "contact" and ind.type in CONTACT_TYPES)]
            if _near(places, where, term.within, texts):
                return True
        return False

    def score_plain(self, parts: tuple[tuple[str, tuple[int, ...], tuple[str, ...]], ...],
                    near: tuple[bool, ...] = ()) -> Score:
        """`score` from each field's name, term ids (in hit order) and indicator types alone.

        Only for fields whose hits do not overlap one another and share no span with an indicator
        (the caller checks); `near` is what `near` says of the `within` terms. Then positions
        matter only through "another place than the term's own": a `requires` signal the term
        gives itself counts when some other hit or an indicator gives it too, which counting
        tells. The result is the one `score` gives, without building the signals' positions: the
        common shape of a batch is scored with a few set operations.
        """
        gives, scores, spec, bits = self.gives, self.scores, self.spec, self.bits
        every = [tid for _, tids, _ in parts for tid in tids] if len(parts) > 1 else parts[0][1]
        mask = 0
        for tid in every:
            mask |= self.give_mask[tid]
        kinds: set[str] = {kind for _, _, types in parts for kind in types}
        if kinds:
            if not CONTACT_TYPES.isdisjoint(kinds):
                kinds.add("contact")
            mask |= bits.mask(kinds)
        totals: dict[str, float] = {}
        counted_terms = []
        seen: set[int] = set()
        within = 0  # the next `within` term's place in `near`
        for field_name, tids, _ in parts:
            for tid in tids:
                if tid in seen or not scores[tid]:
                    continue
                seen.add(tid)
                category, weight, rule, requires, excludes, share, required, excluding = spec[tid]
                counted, alone, excluded = weight, False, ()
                if rule:
                    if rule == ANYWHERE:
                        missing = not mask & required
                    elif rule == WITHIN:
                        missing = not near[within]
                        within += 1
                    else:  # SELF: another hit than this one, or an indicator, gives the signal
                        own = gives[tid]
                        missing = not any(name in kinds or sum(name in gives[t] for t in every) > (name in own)
                                          for name in requires)
                    if missing:
                        counted = weight * share
                        alone = True
                if mask & excluding:
                    excluded = [name for name in excludes if mask & bits[name]]
                    counted = 0.0
                totals[category] = totals.get(category, 0.0) + counted
                counted_terms.append((tid, field_name, counted, alone, excluded))
        return self._result(totals, counted_terms, mask)

    def _result(self, totals: dict[str, float], counted_terms: list, mask: int) -> Score:
        """The score from the terms' totals per category and the signals present (a mask of `bits`;
        see `_numbers`)."""
        key = (tuple(totals.items()), mask)
        numbers = self.numbers.get(key)
        if numbers is None:
            if len(self.numbers) >= CACHE_LIMIT:
                self.numbers.clear()
            numbers = self.numbers[key] = self._numbers(totals, mask)
        score, raw, category, by_category, boosts, negatives, fired = numbers
        # A tuple of tuples of plain values: the collector stops tracking them after one look, while
        # memoised scores live on (a list would be walked at every collection).
        return Score(score, raw, category, (self, tuple(counted_terms), mask, by_category, boosts, negatives, fired))

    def _numbers(self, totals: dict[str, float], mask: int) -> tuple:
        """Category values, boosts and negatives from the terms' totals and the signals present
        (`mask`, of `bits`).

        A function of the totals (in order) and the signals alone: memoised by `_result`, for far
        fewer distinct totals than distinct sets of terms turn up.
        """
        by_category: dict[str, float] = {}
        boosts: dict[str, dict[str, float]] = {}
        negatives: dict[str, dict[str, float]] = {}
        fired: dict[str, tuple[str, ...]] = {}
        if self.rule_masks:
            totals = dict(totals)
            cache = self.fired_cache
            for category, rules in self.rule_masks.items():
                relevant = mask & self.rule_union[category]
                found = cache.get((category, relevant))
                if found is None:
                    held = [(name, weight) for name, needed, weight in rules if relevant & needed == needed]
                    if len(cache) >= CACHE_LIMIT:
                        cache.clear()
                    found = cache[category, relevant] = (tuple(name for name, _ in held), sum(weight for _, weight in held))
                if found[0]:
                    fired[category] = found[0]
                    totals[category] = max(totals.get(category, 0.0), 0.0) + found[1]
        for category, total in totals.items():
            if total <= 0:
                by_category[category] = 0.0
                continue
            # Co-signals amplify the terms' evidence; they cannot carry one weak term on their own.
            share = min(1.0, total / BOOST_FULL)
            added = {s: round(b * share, 3) for s, bit, b in self.boost_bits.get(category, ()) if mask & bit}
            factors = {s: f for s, bit, f in self.negative_bits.get(category, ()) if mask & bit}
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
        return (round(100 * (1 - math.exp(-raw / SCALE)), 1), round(raw, 3), category, by_category, boosts, negatives,
                fired)


def _explain(score: Score, scorer=None, counted_terms=(), mask=0, by_category=None, boosts=None,
             negatives=None, fired=None) -> dict:
    explained = []
    for tid, field_name, counted, alone, excluded in counted_terms:
        term = scorer.terms[tid]
        notes = []
        if alone:
            notes.append("alone: no " + "/".join(term.requires) + (f" within {term.within} words" if term.within else ""))
        if excluded:
            notes.append("excluded by " + ", ".join(excluded))
        explained.append({"term": term.term, "lexicon": term.lexicon, "category": term.category, "field": field_name,
                          "weight": term.weight, "counted": round(counted, 3), "notes": notes})
    explained.sort(key=lambda e: (-e["counted"], e["term"]))
    signals = scorer.bits.names_of(mask) if scorer is not None else set()
    negatives = negatives or {}
    top = [e["term"] for e in explained if e["counted"] > 0][:5]
    present = sorted(s for s in signals if s in {"contact", "phone", "whatsapp", "telegram", "email", "price", "place"})
    contexts = sorted(negatives.get(score.category, {})) if score.category else []
    rules = [{"rule": name, "category": category, "weight": weight, "signals": sorted(needed)}
             for category, names in sorted((fired or {}).items())
             for name, needed, weight in scorer.rules[category] if name in names]
    summary = ", ".join(top)
    if rules:
        summary += (" " if summary else "") + " ".join("=" + rule["rule"] for rule in rules)
    if present:
        summary += (" " if summary else "") + " ".join("+" + s for s in present)
    if contexts:
        summary += (" " if summary else "") + " ".join("-" + s for s in contexts)
    return {
        "raw": score.raw,
        "by_category": dict(sorted((by_category or {}).items())),
        "terms": explained,
        "signals": sorted(signals),
        # By category name, however the categories came in (a record's terms, or a batch's columns).
        "boosts": dict(sorted((boosts or {}).items())),
        "negatives": dict(sorted(negatives.items())),
        "rules": rules,
        "summary": summary,
    }


def _covered(hits: list[Hit]) -> list[bool]:
    """Per hit: whether a longer hit of another term contains it ("cruce" inside "cruce seguro").

    One sort and one sweep, so that a text repeating a phrase a million times costs no more than
    reading it (a test against each other hit would cost the square of the hits). Hits are taken in
    order of start, longer first; a hit is contained in a longer one of another term exactly when,
    among the hits taken before it (those starting earlier, or at its start and ending later), one
    of another term ends at or after its end. Hits with the same span are looked up before any of
    them is taken: none of them is longer than the others.
    """
    order = sorted(range(len(hits)), key=lambda row: (hits[row][1], -hits[row][2]))
    out = [False] * len(hits)
    # Of the hits taken so far: the latest end and its term, and the latest end of any other term.
    top_end, top_tid, other_end = -1, None, -1
    first = 0
    while first < len(order):
        span = hits[order[first]][1:]
        last = first + 1
        while last < len(order) and hits[order[last]][1:] == span:
            last += 1
        group = order[first:last]
        for row in group:
            out[row] = (top_end if hits[row][0] != top_tid else other_end) >= span[1]
        for row in group:
            tid, _, end = hits[row]
            if tid == top_tid:
                top_end = max(top_end, end)
            elif end > top_end:
                top_end, top_tid, other_end = end, tid, top_end
            else:
                other_end = max(other_end, end)
        first = last
    return out


def _inside(place: tuple[str, int, int], where: tuple[str, int, int]) -> bool:
    """Whether the span `place` lies within the span `where` (the same span included)."""
    return place[0] == where[0] and where[1] <= place[1] and place[2] <= where[2]


def _outside(places, where: tuple[str, int, int]) -> bool:
    """Whether any of `places` lies elsewhere than inside the span `where`."""
    return any(not _inside(place, where) for place in places)


def _near(places, where: tuple[str, int, int], within: int | None, texts: dict[str, str]) -> bool:
    """Whether any of `places` not inside `where` itself is in the item, or within `within` words of it.

    The words between two spans only grow with the distance, so only the nearest place after
    `where` and the nearest before it in its field are counted (counting the gap to every place
    would read the text once per place: a text of a million places would never end).
    """
    places = [p for p in places if not _inside(p, where)]
    if not places:
        return False
    if within is None:
        return True
    field_name, start, end = where
    after, before = None, None  # the nearest place starting at or after `end`, ending at or before `start`
    for other_field, other_start, other_end in places:
        if other_field != field_name:
            continue
        if other_start >= end:
            if after is None or other_start < after:
                after = other_start
        elif other_end <= start:
            if before is None or other_end > before:
                before = other_end
        else:
            return True  # overlapping spans
    text = texts[field_name]
    return ((after is not None and _words(text, end, after) <= within)
            or (before is not None and _words(text, before, start) <= within))


def _words(text: str, start: int, end: int) -> int:
    """How many words text[start:end] holds (as `WORD.findall` counts them on the slice)."""
    return len(WORD.findall(text, start, end))


class _Spans:
    """The spans of a field's threat and demand terms, for `holds`: whether a hit lies inside one."""

    __slots__ = ("reach", "spans", "starts")

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = sorted(spans)
        self.starts = [start for start, _ in self.spans]
        self.reach = list(accumulate((end for _, end in self.spans), max))  # the latest end up to each span

    def holds(self, start: int, end: int) -> bool:
        """Whether start-end lies within one of the spans and is shorter than it (one bisection per
        hit: a text of a million threats is read once, not once per threat)."""
        before = bisect_left(self.starts, start)  # the spans starting before `start`
        if before and self.reach[before - 1] >= end:
            return True
        same = bisect_right(self.starts, start)  # and those starting at `start`, the last ending latest
        return same > before and self.spans[same - 1][1] > end
