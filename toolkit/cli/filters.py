"""The filter options commands share (--platform, --kind, --category, --verdict, --channel, ...):
one validator for all of them.

A value is matched against its closed vocabulary case-insensitively, with spaces and hyphens read
as underscores ("Not violating" is `not_violating`), plural kinds read as their kind ("pages" is
`page`) and common short names read as their platform ("fb" is `facebook`). An unknown value is a
usage error naming the valid choices and, when one is close, the likely one ("did you mean
facebook?"): a typo must never read as "nothing found". Platforms are the registered ones plus
any the case holds (a plugin's platform the case was scanned with).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from toolkit.errors import UsageError
from toolkit.models import Category, Channel, Kind, Method, Status, Verdict
from toolkit.store.db import Connection
from toolkit.store.item_lookup import platform_counts

# Short names people type for platforms.
PLATFORM_ALIASES = {"fb": "facebook", "meta": "facebook", "ig": "instagram", "insta": "instagram",
                    "tg": "telegram", "tt": "tiktok", "wa": "whatsapp", "web": "generic"}


def normal(value: str) -> str:
    """A typed word as a vocabulary token: lower case, spaces and hyphens as underscores."""
    return "_".join(value.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of tokens, the aliases read as them, and the word used in messages."""

    noun: str
    tokens: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def parse(self, value: str | None, option: str) -> str | None:
        """The token `value` names (None stays None); UsageError with the choices otherwise."""
        if value is None:
            return None
        word = normal(value)
        if word in self.tokens:
            return word
        if word in self.aliases:
            return self.aliases[word]
        raise UsageError(f"{option}: unknown {self.noun} {value!r}" + self._guess(word),
                         f"Use one of: {self.listing()}")

    def listing(self) -> str:
        """The tokens, then the aliases that are not plain plurals, for a message or --help."""
        shown = [a for a, t in self.aliases.items() if a != t + "s"]
        return ", ".join(self.tokens) + (f" (or {', '.join(sorted(shown))})" if shown else "")

    def _guess(self, word: str) -> str:
        close = difflib.get_close_matches(word, [*self.tokens, *self.aliases], n=1, cutoff=0.6)
        if not close:
            return ""
        return f"; did you mean {self.aliases.get(close[0], close[0])}?"


def _plurals(tokens: Iterable[str]) -> dict[str, str]:
    return {token + "s": token for token in tokens}


KINDS = Vocabulary("kind", tuple(k.value for k in Kind), _plurals(k.value for k in Kind))
CATEGORIES = Vocabulary("category", tuple(c.value for c in Category))
VERDICTS = Vocabulary("verdict", tuple(v.value for v in Verdict))
CHANNELS = Vocabulary("channel", tuple(c.value for c in Channel), {"inapp": "in_app", "dsa": "dsa_notice"})
STATUSES = Vocabulary("status", tuple(s.value for s in Status))
METHODS = Vocabulary("method", tuple(m.value for m in Method))


def platforms(present: Iterable[str] = ()) -> Vocabulary:
    """The platform vocabulary: every registered platform, and the platforms in `present`."""
    from toolkit.platforms.registry import platforms as registered

    tokens = tuple(sorted({*registered(), *present}))
    return Vocabulary("platform", tokens, {a: t for a, t in PLATFORM_ALIASES.items() if t in tokens})


def case_platforms(conn: Connection) -> dict[str, int]:
    """Platform -> how many items the case holds of it (merged items count once)."""
    return platform_counts(conn)


def platform(value: str | None, option: str = "--platform", conn: Connection | None = None) -> str | None:
    """The platform `value` names, checked against the registry and the case's own platforms."""
    if value is None:
        return None
    present = case_platforms(conn) if conn is not None else {}
    return platforms(present).parse(value, option)


def absent_note(chosen: str, present: Mapping[str, int], noun: str = "platform") -> str | None:
    """When `chosen` is a valid value the case holds none of: a line saying what it does hold."""
    if chosen in present:
        return None
    held = ", ".join(f"{name} ({count:,})" for name, count in sorted(present.items())) or "nothing yet"
    return f"This case has no {chosen} items; its {noun}s: {held}"


# The help text of each filter option, listing its choices (kept here so every command says the same).
PLATFORM_HELP = "Only this platform: facebook, instagram, tiktok, telegram, whatsapp, generic (or fb, ig, tg, tt, wa); any case."
KIND_HELP = "Only this kind: " + ", ".join(KINDS.tokens) + " (plurals too); any case."
CATEGORY_HELP = "Only this category: " + ", ".join(CATEGORIES.tokens) + "; any case."
VERDICT_HELP = "Only items whose latest verdict is this: " + ", ".join(VERDICTS.tokens) + "; any case."
CHANNEL_HELP = "Only items reported through this channel: " + ", ".join(CHANNELS.tokens) + "; any case."
