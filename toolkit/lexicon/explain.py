"""A score's stored explanation as one line a researcher can check by hand.

    cruce (smuggling_offer, 3.0) + pago al llegar (3.0) + contact +2.5 + price +2.0 = 11.0

The line adds up like the scorer does (see toolkit.lexicon.scoring): the terms counted for the
score's category, the weights of its compositional rules, its boosts, then its negative factors,
equal to the raw value the 0-100 score is made from. A term that counted less than its weight says
why (alone, excluded). It reads the explanation JSON as stored, whatever version wrote it: entries
of a kind it does not know are named with their number when they have one and never dumped raw;
older, simpler explanations (a list of terms) read as far as they go.

A capture written to flood the tagger stores only the first hits of a term (and of an indicator
value): its explanation's "capped" entries say what was found and what stored, and the line ends
with them ("stored in part: term coyote in text: 857,142 found, first 50 stored").
"""

from __future__ import annotations

from typing import Any

# Explanation keys read here; any other key holding entries for the category is shown generically.
KNOWN = {"raw", "by_category", "terms", "signals", "boosts", "negatives", "rules", "summary", "model", "capped"}


def explain_line(explanation: Any, category: str | None = None, score: float | None = None) -> str:
    """The explanation as `term (category, w) + term (w) + signal +b ... × f context = raw`.

    `category` is the score's category (the explanation's strongest one when not given); with
    `score`, the 0-100 score the raw value maps to is added at the end.
    """
    if explanation is None:
        return ""
    if isinstance(explanation, str):
        return " ".join(explanation.split())
    if isinstance(explanation, list):
        return " + ".join(_name(entry) for entry in explanation)
    if not isinstance(explanation, dict):
        return str(explanation)
    category = category or _strongest(explanation)
    parts = _terms(explanation.get("terms"), category)
    parts += [f"rule {rule.get('rule', '?')} +{_num(rule.get('weight'))}" for rule in _entries(explanation.get("rules"))
              if _for(rule, category)]
    boosts = explanation.get("boosts")
    if isinstance(boosts, dict) and isinstance(boosts.get(category), dict):
        parts += [f"{signal} +{_num(value)}" for signal, value in sorted(boosts[category].items())]
    parts += _others(explanation, category)
    line = " + ".join(parts) if parts else "no term counted"
    negatives = explanation.get("negatives")
    if isinstance(negatives, dict) and isinstance(negatives.get(category), dict) and negatives[category]:
        factors = " ".join(f"× {_num(value)} {context}" for context, value in sorted(negatives[category].items()))
        line = f"({line}) {factors}"
    raw = _value(explanation, category)
    if raw is not None:
        line += f" = {_num(raw)}"
    if score is not None:
        line += f" (score {score:.1f})"
    rest = _other_categories(explanation, category)
    line += f"; also {rest}" if rest else ""
    model = explanation.get("model")
    if isinstance(model, dict) and _is_number(model.get("points")):
        # The offer model's points made the score (toolkit.lexicon.model.ModelScore): say so first.
        grams = [f"'{gram[0]}' {'+' if gram[1] >= 0 else ''}{_num(gram[1])}" for gram in model.get("ngrams", [])
                 if isinstance(gram, list) and len(gram) == 2 and isinstance(gram[0], str) and _is_number(gram[1])]
        said = f"model {model.get('model', '?')}: {_num(model['points'])} points" + (f" ({', '.join(grams[:5])})" if grams else "")
        line = f"{said}; lexicons: {line}"
    capped = _capped(explanation.get("capped"))
    return f"{line}; stored in part: {capped}" if capped else line


def _capped(capped: Any) -> str:
    """The "capped" entries (toolkit.lexicon.tagger.Tagger.capped_entries) as
    `term coyote in text: 857,142 found, first 50 stored; whatsapp +525512345678 in text: ...`."""
    notes = []
    for entry in _entries(capped):
        length, tagged = entry.get("length"), entry.get("tagged")
        if isinstance(entry.get("text"), str) and _is_number(length) and _is_number(tagged):
            notes.append(f"{entry['text']} tagged as its first {tagged:,} of {length:,} characters")
            continue
        found, stored = entry.get("found"), entry.get("stored")
        if not (isinstance(found, int) and isinstance(stored, int)) or isinstance(found, bool):
            continue
        if isinstance(entry.get("more"), int):
            notes.append(f"and {entry['more']:,} more: {found:,} found, {stored:,} stored")
            continue
        if isinstance(entry.get("hit"), str):
            what = f"term {entry['hit']}"
        elif isinstance(entry.get("indicator"), str):
            value = entry.get("value")
            what = f"{entry['indicator']} {value}" if isinstance(value, str) else f"{entry['indicator']} (more values)"
        else:
            continue
        if isinstance(entry.get("field"), str):
            what += f" in {entry['field']}"
        notes.append(f"{what}: {found:,} found, " + (f"first {stored:,} stored" if stored else "none stored"))
    return "; ".join(notes)


def _terms(terms: Any, category: str | None) -> list[str]:
    out: list[str] = []
    named = False  # the first term of the category names it
    for entry in terms if isinstance(terms, list) else []:
        if not isinstance(entry, dict):
            out.append(_name(entry))
            continue
        if not _for(entry, category):
            continue
        counted, weight = entry.get("counted"), entry.get("weight")
        figure = _num(counted if counted is not None else weight)
        if counted is not None and weight is not None and counted != weight:
            figure += f" of {_num(weight)}"
        notes = entry.get("notes")
        if isinstance(notes, list) and notes:
            figure += ": " + "; ".join(str(n) for n in notes)
        label = f"{entry.get('category')}, {figure}" if not named and entry.get("category") else figure
        named = named or bool(entry.get("category"))
        out.append(f"{entry.get('term', '?')} ({label})")
    return out


def _others(explanation: dict, category: str | None) -> list[str]:
    """Entries of kinds this reader does not know, for the category: their name and number."""
    out = []
    for key, value in explanation.items():
        if key in KNOWN:
            continue
        for entry in _entries(value):
            if not _for(entry, category):
                continue
            number = next((entry[k] for k in ("weight", "counted", "added", "value") if _is_number(entry.get(k))), None)
            if number is not None:
                out.append(f"{key}:{_name(entry)} {'+' if number >= 0 else ''}{_num(number)}")
    return out


def _other_categories(explanation: dict, category: str | None) -> str:
    by_category = explanation.get("by_category")
    if not isinstance(by_category, dict):
        return ""
    return ", ".join(f"{name} {_num(value)}" for name, value in sorted(by_category.items())
                     if name != category and _is_number(value) and value > 0)


def _strongest(explanation: dict) -> str | None:
    by_category = explanation.get("by_category")
    if isinstance(by_category, dict):
        numbers = {k: v for k, v in by_category.items() if _is_number(v)}
        if numbers:
            return max(sorted(numbers), key=lambda k: numbers[k])
    return None


def _value(explanation: dict, category: str | None) -> float | None:
    by_category = explanation.get("by_category")
    if isinstance(by_category, dict) and _is_number(by_category.get(category)):
        return by_category[category]
    raw = explanation.get("raw")
    return raw if _is_number(raw) else None


def _for(entry: dict, category: str | None) -> bool:
    """Whether an entry counts for the category (entries naming no category always do)."""
    return entry.get("category") in (None, category) or category is None


def _entries(value: Any) -> list[dict]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _name(entry: Any) -> str:
    if isinstance(entry, dict):
        for key in ("term", "rule", "name", "signal", "context"):
            if isinstance(entry.get(key), str):
                return entry[key]
        return next((v for v in entry.values() if isinstance(v, str)), "?")
    return str(entry)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _num(value: Any) -> str:
    """3 -> 3.0, 2.5 -> 2.5, 0.125 -> 0.125: as many decimals as the stored value has (up to 3)."""
    if not _is_number(value):
        return "?"
    text = f"{float(value):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
