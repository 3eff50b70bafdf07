"""Lexicon files: loading TOML, validating every field, and resolving the names a case asks for.

A lexicon is one TOML file (format documented in docs/lexicons.md, "The lexicon file format"). Every problem is
reported as a `LexiconError` naming the file, the term and what is wrong, with a hint on the fix.
"""

from __future__ import annotations

import functools
import hashlib
import re
import re._constants as sre_constants  # the regex parser's tree, to find nested repeats
import re._parser as sre_parse
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import LexiconError
from toolkit.lexicon.normalise import fold_str
from toolkit.models import Category

DATA_DIR = Path(__file__).resolve().parent / "data"

ROLES = ("terms", "context", "places")
INFLECT = ("all", "plural", "none")
# Signals every lexicon may require without declaring them: the indicator types and "contact".
INDICATOR_SIGNALS = frozenset({"phone", "whatsapp", "telegram", "email", "price", "handle", "place", "contact",
                               "quote", "news_link"})
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LEXICON_KEYS = {"name", "version", "languages", "category", "role", "description", "alone", "disable", "inflect"}
RULE_KEYS = {"rule", "all", "weight", "category", "meaning", "ambiguity"}
TERM_KEYS = {"term", "variants", "regex", "weight", "lang", "inflect", "tags", "requires", "within",
             "excludes", "category", "meaning", "ambiguity", "value"}


@dataclass
class Term:
    """One lexicon entry: a word, phrase, emoji or regex with its weight and rules."""

    term: str
    lexicon: str
    category: str | None
    lang: str | None
    weight: float = 1.0
    variants: list[str] = field(default_factory=list)
    regex: str | None = None
    inflect: str = "all"
    tags: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    within: int | None = None
    excludes: list[str] = field(default_factory=list)
    meaning: str = ""
    ambiguity: str = ""
    value: str | None = None  # canonical place name (places lexicons)


@dataclass
class Rule:
    """A compositional rule: when every signal in `all` is present in an item, `weight` is added to
    `category` as term evidence (a price and a travel verb together; a route and a promise)."""

    rule: str
    lexicon: str
    category: str
    all: list[str]
    weight: float
    meaning: str = ""
    ambiguity: str = ""


@dataclass
class Lexicon:
    """A loaded, validated lexicon."""

    name: str
    version: str
    languages: list[str]
    category: str | None
    role: str
    description: str
    alone: float
    terms: list[Term]
    boost: dict[str, float]
    negative: dict[str, float]
    disable: list[str]
    path: Path
    digest: str  # sha256 of the file bytes, first 8 hex digits
    rules: list[Rule] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return f"{self.name}@{self.version}"


def _fail(path: Path, problem: str, hint: str, term: str | None = None) -> LexiconError:
    where = f"{path}: term {term!r}: " if term is not None else f"{path}: "
    return LexiconError(where + problem, hint)


def _str_list(value: object, path: Path, what: str, term: str | None) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"{what} must be a list of non-empty strings", f'Write e.g. {what} = ["a", "b"]', term)
    return list(value)


def _number(value: object, path: Path, what: str, term: str | None, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _fail(path, f"{what} must be a number from {low:g} to {high:g} (got {value!r})",
                    f"Set {what} to a number between {low:g} and {high:g}", term)
    return float(value)


def load_lexicon(path: str | Path) -> Lexicon:
    """Read and validate one lexicon file; raise LexiconError naming the file, term and problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read lexicon ({exc.strerror or exc})",
                           "Check the path in case.toml [scan] lexicons (paths are relative to the case)") from exc
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LexiconError(f"{path}: not UTF-8 text", "Save the lexicon as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML ({exc})", "Fix the TOML syntax at the line given") from exc
    head = doc.get("lexicon")
    if not isinstance(head, dict):
        raise _fail(path, "no [lexicon] table", 'Start the file with [lexicon] name = "...", version = "..."')
    unknown = sorted(set(head) - LEXICON_KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) in [lexicon]: {', '.join(unknown)}", f"Known keys: {', '.join(sorted(LEXICON_KEYS))}")
    unknown = sorted(set(doc) - {"lexicon", "terms", "boost", "negative", "rules"})
    if unknown:
        raise _fail(path, f"unknown table(s): {', '.join(unknown)}",
                    "Known tables: [lexicon], [boost], [negative], [[terms]], [[rules]]")
    name = head.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _fail(path, f"[lexicon] name must be lower-case letters, digits and _ (got {name!r})", 'e.g. name = "my_offers"')
    version = head.get("version")
    if not isinstance(version, str) or not version.strip() or any(c in version for c in "@# "):
        raise _fail(path, f"[lexicon] version must be a non-empty string without @, # or spaces (got {version!r})",
                    'e.g. version = "1.0"; bump it whenever you change the terms')
    role = head.get("role", "terms")
    if role not in ROLES:
        raise _fail(path, f"[lexicon] role must be one of {', '.join(ROLES)} (got {role!r})", "Leave it out for ordinary terms")
    category = head.get("category")
    if role == "terms":
        _check_category(category, path, None)
    elif category is not None:
        raise _fail(path, f"a {role} lexicon has no category", "Remove category from [lexicon]")
    languages = _str_list(head.get("languages", []), path, "languages", None)
    alone = _number(head.get("alone", 0.3), path, "alone", None, 0, 1)
    boost = _signal_table(doc.get("boost", {}), path, "boost", 0, 100)
    negative = _signal_table(doc.get("negative", {}), path, "negative", 0, 1)
    disable = _str_list(head.get("disable", []), path, "disable", None)
    raw_terms = doc.get("terms", [])
    if not isinstance(raw_terms, list) or not raw_terms:
        raise _fail(path, "no [[terms]]", 'Add at least one [[terms]] entry with term = "..."')
    inflect = head.get("inflect", "all")
    if inflect not in INFLECT:
        raise _fail(path, f"[lexicon] inflect must be one of {', '.join(INFLECT)} (got {inflect!r})", 'e.g. inflect = "none"')
    defaults = {"inflect": inflect, "lang": languages[0] if languages else None}
    terms = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_terms, 1):
        term = _term(raw, number, path, name, category, role, defaults)
        key = (fold_str(term.term) or term.term) if term.regex is None else term.regex
        if key in seen:
            raise _fail(path, f"duplicate of term #{seen[key]} (same text after folding)",
                        "Merge the two entries (put spellings in variants)", term.term)
        seen[key] = number
        terms.append(term)
    rules = _rules(doc.get("rules", []), path, name, category, role)
    return Lexicon(name=name, version=version, languages=languages, category=category, role=role,
                   description=str(head.get("description", "")), alone=alone, terms=terms, boost=boost,
                   negative=negative, disable=disable, path=path, digest=hashlib.sha256(data).hexdigest()[:8],
                   rules=rules)


def _rules(raw_rules: object, path: Path, lexicon: str, category: str | None, role: str) -> list[Rule]:
    """Validate the [[rules]] of a lexicon: a name, two or more signals, a weight, a category."""
    if raw_rules and role != "terms":
        raise _fail(path, f"a {role} lexicon has no [[rules]]", "Put rules in a lexicon with a category")
    if not isinstance(raw_rules, list):
        raise _fail(path, "[[rules]] must be a list of tables", 'Write [[rules]] then rule = "name", all = [...]')
    rules: list[Rule] = []
    for number, raw in enumerate(raw_rules, 1):
        if not isinstance(raw, dict):
            raise _fail(path, f"[[rules]] entry #{number} is not a table", 'Write [[rules]] then rule = "name"')
        name = raw.get("rule")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise _fail(path, f"[[rules]] entry #{number}: rule must be a name of lower-case letters, digits and _ "
                              f"(got {name!r})", 'e.g. rule = "price_and_travel"')
        unknown = sorted(set(raw) - RULE_KEYS)
        if unknown:
            raise _fail(path, f"rule {name!r}: unknown key(s): {', '.join(unknown)}", f"Known keys: {', '.join(sorted(RULE_KEYS))}")
        if any(rule.rule == name for rule in rules):
            raise _fail(path, f"rule {name!r} is defined twice", "Give each rule its own name")
        signals = _str_list(raw.get("all", []), path, "all", None)
        if len(set(signals)) < 2:
            raise _fail(path, f"rule {name!r}: all needs at least two different signals",
                        "A single signal is a term's job: give it as a [[terms]] entry")
        rule_category = raw.get("category", category)
        _check_category(rule_category, path, None)
        rules.append(Rule(rule=name, lexicon=lexicon, category=rule_category, all=list(dict.fromkeys(signals)),
                          weight=_number(raw.get("weight", 1.0), path, f"rule {name!r} weight", None, 0, 100),
                          meaning=str(raw.get("meaning", "")), ambiguity=str(raw.get("ambiguity", ""))))
    return rules


def _check_category(category: object, path: Path, term: str | None) -> None:
    valid = [c.value for c in Category]
    if category not in valid:
        raise _fail(path, f"category must be one of {', '.join(valid)} (got {category!r})",
                    "Use one of the category tokens listed in the README's Vocabularies", term)


def _signal_table(table: object, path: Path, what: str, low: float, high: float) -> dict[str, float]:
    if not isinstance(table, dict):
        raise _fail(path, f"[{what}] must be a table of signal = number", f"e.g. [{what}] contact = 2.0")
    return {str(k): _number(v, path, f"[{what}] {k}", None, low, high) for k, v in table.items()}


def _term(raw: object, number: int, path: Path, lexicon: str, category: str | None, role: str,
          defaults: dict[str, str | None]) -> Term:
    if not isinstance(raw, dict):
        raise _fail(path, f"[[terms]] entry #{number} is not a table", 'Write [[terms]] then term = "..." on the next line')
    text = raw.get("term")
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, f"[[terms]] entry #{number} has no term", 'Add term = "..." (the word, phrase or emoji)')
    unknown = sorted(set(raw) - TERM_KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s): {', '.join(unknown)}", f"Known keys: {', '.join(sorted(TERM_KEYS))}", text)
    regex = raw.get("regex")
    if regex is not None:
        if not isinstance(regex, str) or not regex:
            raise _fail(path, "regex must be a non-empty string", "Remove regex or give a pattern", text)
        try:
            compiled = re.compile(regex.encode("ascii"))
        except (re.error, UnicodeEncodeError) as exc:
            raise _fail(path, f"regex does not compile ({exc})",
                        "Regexes run on folded text: ASCII only, lower case, no accents", text) from exc
        if compiled.match(b""):
            raise _fail(path, "regex matches the empty string", "Make the pattern require at least one character", text)
        if _nested_repeat(sre_parse.parse(regex.encode("ascii"))):
            raise _fail(path, "regex repeats a group that holds a repeat (like (a+)+): on a text that almost matches, "
                              "matching can take exponential time (hours for a few dozen letters)",
                        "Repeat the inner part once ((a+)+ is a+), or make it possessive or atomic (a++, (?>a+)+)", text)
    elif not fold_str(text) and not _has_emoji(text):
        raise _fail(path, "term has no letters, digits or emoji to match", "Give a word, phrase or emoji", text)
    for spelling in [text, *(raw.get("variants") or [])] if regex is None else []:
        if isinstance(spelling, str) and _has_emoji(spelling) and fold_str(spelling):
            raise _fail(path, f"{spelling!r} mixes emoji and letters", "Give the emoji and the words as separate terms", text)
    variants = _str_list(raw.get("variants", []), path, "variants", text)
    for variant in variants:
        if not fold_str(variant) and not _has_emoji(variant):
            raise _fail(path, f"variant {variant!r} has nothing to match", "Remove the empty variant", text)
    inflect = raw.get("inflect", defaults["inflect"])
    if inflect not in INFLECT:
        raise _fail(path, f"inflect must be one of {', '.join(INFLECT)} (got {inflect!r})", 'e.g. inflect = "plural"', text)
    within = raw.get("within")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 1):
        raise _fail(path, f"within must be a whole number of tokens >= 1 (got {within!r})",
                    "Leave within out to mean anywhere in the same item", text)
    term_category = raw.get("category", category)
    if role == "terms":
        _check_category(term_category, path, text)
    elif "category" in raw:
        raise _fail(path, f"terms of a {role} lexicon have no category", "Remove category", text)
    requires = _str_list(raw.get("requires", []), path, "requires", text)
    if within is not None and not requires:
        raise _fail(path, "within is set but requires is empty", "Add requires = [...] or remove within", text)
    tags = _str_list(raw.get("tags", []), path, "tags", text)
    if role == "context" and not tags:
        raise _fail(path, "a context term needs tags (which context it marks, e.g. news)", 'Add tags = ["news"]', text)
    value = raw.get("value")
    if value is not None and not isinstance(value, str):
        raise _fail(path, "value must be a string (the canonical place name)", 'e.g. value = "Reynosa, MX"', text)
    lang = raw.get("lang", defaults["lang"])
    if lang is not None and not isinstance(lang, str):
        raise _fail(path, "lang must be a language code string", 'e.g. lang = "es"', text)
    return Term(
        term=text, lexicon=lexicon, category=term_category if role == "terms" else None, lang=lang,
        weight=_number(raw.get("weight", 1.0), path, "weight", text, 0, 100), variants=variants, regex=regex,
        inflect=inflect, tags=tags, requires=requires, within=within,
        excludes=_str_list(raw.get("excludes", []), path, "excludes", text),
        meaning=str(raw.get("meaning", "")), ambiguity=str(raw.get("ambiguity", "")), value=value,
    )


def _nested_repeat(parsed: sre_parse.SubPattern, outer: tuple[int, int] | None = None) -> bool:
    """Whether a parsed regex repeats something that itself repeats a varying number of times, with
    one of the two unbounded ((a+)+, (a*b?)*, (a{1,3})+): the nested quantifiers with which Python's
    backtracking matcher takes exponential time on a run of text that almost matches. Terms' regexes
    run on every text scanned, written by the people investigated. Possessive repeats and atomic
    groups do not backtrack and are not looked into."""
    for op, av in parsed:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, body = av
            if outer is not None and low != high and sre_constants.MAXREPEAT in (high, outer[1]):
                return True
            if _nested_repeat(body, (low, high) if high > 1 else outer):
                return True
            continue
        if any(_nested_repeat(part, outer) for part in _inner(op, av)):
            return True
    return False


def _inner(op: object, av: object) -> list:
    """The sub-patterns of a parsed regex node that `_nested_repeat` looks into (groups, branches,
    lookarounds, conditionals)."""
    if op is sre_constants.SUBPATTERN:
        return [av[3]]  # type: ignore[index]
    if op is sre_constants.BRANCH:
        return list(av[1])  # type: ignore[index]
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]  # type: ignore[index]
    if op is sre_constants.GROUPREF_EXISTS:
        return [part for part in av[1:] if part is not None]  # type: ignore[index]
    return []


def _has_emoji(text: str) -> bool:
    return any(ord(c) > 0xFF and not c.isalnum() for c in text)


def _declared(lex: Lexicon) -> set[str]:
    return {lex.name} | {tag for term in lex.terms for tag in term.tags}


@functools.cache
def shipped_signals() -> frozenset[str]:
    """Signal names the shipped lexicons declare: always valid references, even when not loaded."""
    return frozenset(name for path in shipped_paths() for name in _declared(load_lexicon(path)))


def shipped_paths() -> list[Path]:
    """The lexicon files that ship with toolkit, sorted by name."""
    return sorted(DATA_DIR.glob("*.toml"))


def shipped_names() -> list[str]:
    return [p.stem for p in shipped_paths()]


def resolve(specs: list[str], base: Path | None = None) -> list[Lexicon]:
    """Load the lexicons named by `specs`: shipped names, "default" (all shipped) or paths.

    Paths are relative to `base` (the case folder). Then every lexicon's `requires`, `excludes`
    and `disable` references are checked against the whole set.
    """
    paths: list[Path] = []
    for spec in specs:
        if spec == "default":
            paths.extend(shipped_paths())
        elif NAME_RE.match(spec) and (DATA_DIR / f"{spec}.toml").is_file():
            paths.append(DATA_DIR / f"{spec}.toml")
        elif spec.endswith(".toml") or "/" in spec or "\\" in spec:
            path = Path(spec)
            paths.append(path if path.is_absolute() or base is None else base / path)
        else:
            raise LexiconError(f"unknown lexicon {spec!r}",
                               f"Use a shipped name ({', '.join(shipped_names())}), \"default\", or a path to a .toml file")
    unique = list(dict.fromkeys(p.resolve() for p in paths))
    lexicons = [load_lexicon(p) for p in unique]
    return check_set(lexicons)


def check_set(lexicons: list[Lexicon]) -> list[Lexicon]:
    """Check names are unique and cross-references resolve; apply `disable`; return the set."""
    by_name: dict[str, Lexicon] = {}
    for lex in lexicons:
        if lex.name in by_name:
            raise LexiconError(f"{lex.path}: lexicon name {lex.name!r} is also used by {by_name[lex.name].path}",
                               "Give your lexicon its own name (it adds to a category; it need not replace)")
        by_name[lex.name] = lex
    signals = set(INDICATOR_SIGNALS) | {c.value for c in Category} | shipped_signals()
    for lex in lexicons:
        signals.update(_declared(lex))
    for lex in lexicons:
        for term in lex.terms:
            for ref in term.requires + term.excludes:
                if ref not in signals:
                    raise _fail(lex.path, f"refers to unknown signal {ref!r}",
                                "Use an indicator (phone, whatsapp, telegram, email, price, place, contact), a category, "
                                "or a tag some term in the loaded lexicons carries", term.term)
        for ref in list(lex.boost) + list(lex.negative):
            if ref not in signals:
                raise _fail(lex.path, f"[boost]/[negative] refers to unknown signal {ref!r}",
                            "Use an indicator type, a category or a tag from the loaded lexicons")
        for rule in lex.rules:
            for ref in rule.all:
                if ref not in signals:
                    raise _fail(lex.path, f"rule {rule.rule!r} refers to unknown signal {ref!r}",
                                "Use an indicator type, a category or a tag some term in the loaded lexicons carries")
    for lex in lexicons:
        for ref in lex.disable:
            owner, _, text = ref.partition(":")
            target = by_name.get(owner)
            if target is None or not text:
                raise _fail(lex.path, f"disable entry {ref!r} does not name a loaded lexicon",
                            'Write disable = ["lexicon_name:term"]')
            key = fold_str(text)
            kept = [t for t in target.terms if fold_str(t.term) != key]
            if len(kept) == len(target.terms):
                raise _fail(lex.path, f"disable entry {ref!r}: no such term in {owner}", f"See: toolkit lexicon show {owner}")
            target.terms = kept
    return lexicons
