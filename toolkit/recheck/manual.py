"""Manual rechecks: the researcher looks at each item (in their own browser, logged in or not) and
says what they see; each answer is a `manual` check, committed at once.

The session is driven by a key stream (`KeyReader`) and draws through a `show` callback, so the
CLI plugs in the terminal and tests feed keys. Items already answered in the wave are skipped, so
quitting and running the same command again carries on where it stopped.

Keys: l live · u unavailable · w login wall · o other (then r removed, a account gone, s sold,
x restricted, e cannot tell) · b open in browser · n note · k skip · q quit
"""

from __future__ import annotations

import webbrowser
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from toolkit.case import Case
from toolkit.dates import utcnow
from toolkit.models import DateSource, Method, Status
from toolkit.store.checks import CheckRecord, TrackedItem, insert_check, recent_checks

ANSWERS = {"l": Status.AVAILABLE, "u": Status.UNAVAILABLE, "w": Status.LOGIN_REQUIRED}
OTHER = {"r": Status.REMOVED, "a": Status.ACCOUNT_GONE, "s": Status.SOLD, "x": Status.RESTRICTED, "e": Status.ERROR}
HELP = ("l live · u unavailable · w login wall · o other · b open in browser · n note · k skip · q quit")
OTHER_HELP = "r removed (rule violation) · a account gone · s sold · x restricted · e cannot tell · any other key: back"


class KeyReader(Protocol):
    """Where the session reads the researcher's keys and notes from."""

    def key(self) -> str:
        """One key press (a single character; '' at end of input)."""
        ...

    def line(self, prompt: str) -> str:
        """One line of text (a note)."""
        ...


@dataclass
class ManualView:
    """What the screen shows: the item, where we are, and the last message."""

    item: TrackedItem
    position: int
    total: int
    note: str | None
    message: str | None
    help: str
    previous: list[str] = field(default_factory=list)  # earlier checks of the item, "wave: status"


@dataclass
class ManualStats:
    counts: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    skipped: int = 0
    quit: bool = False


class ManualSession:
    """Ask about each item in turn; record answers as manual checks in `wave_id`."""

    def __init__(self, case: Case, wave_id: int, items: list[TrackedItem], reader: KeyReader,
                 show: Callable[[ManualView], None], *, open_url: Callable[[str], object] = webbrowser.open,
                 clock: Callable[[], str] = utcnow, at: str | None = None):
        """`at`: when the researcher looked (`recheck --manual --at`), for a look made earlier and
        recorded now; without it each answer is dated by the clock when it is given."""
        self.case, self.wave_id, self.items = case, wave_id, items
        self.reader, self.show, self.open_url, self.clock = reader, show, open_url, clock
        self.at = at

    def _previous(self, item_id: int) -> list[str]:
        return [f"{r['wave']}: {r['status']} ({r['method']})" for r in recent_checks(self.case.db, item_id)]

    def run(self) -> ManualStats:
        stats = ManualStats()
        for position, item in enumerate(self.items, start=1):
            status, note = self._ask(item, position)
            if status is None and note == "quit":
                stats.quit = True
                break
            if status is None:
                stats.skipped += 1
                continue
            record = CheckRecord(item_id=item.id, wave_id=self.wave_id, observed_at=self.at or self.clock(),
                                 method=str(Method.MANUAL), status=str(status),
                                 reason="manual-unclear" if status == Status.ERROR else None,
                                 final_url=None, note=note or None,
                                 date_source=str(DateSource.GIVEN if self.at else DateSource.CLOCK))
            insert_check(self.case.db, record)
            stats.answered += 1
            stats.counts[str(status)] += 1
        return stats

    def _ask(self, item: TrackedItem, position: int) -> tuple[Status | None, str | None]:
        """Loop on keys until an answer (status, note), a skip (None, None) or quit (None, "quit")."""
        note: str | None = None
        message: str | None = None
        previous = self._previous(item.id)
        other = False
        while True:
            self.show(ManualView(item, position, len(self.items), note, message, OTHER_HELP if other else HELP,
                                 previous))
            key = (self.reader.key() or "q").lower()
            message = None
            if other:
                other = False
                if key in OTHER:
                    if not note:
                        note = self.reader.line("note (what you saw): ").strip() or None
                    return OTHER[key], note
                message = "back to the main keys"
                continue
            if key in ANSWERS:
                return ANSWERS[key], note
            if key == "o":
                other = True
            elif key == "b":
                if item.url:
                    self.open_url(item.url)
                    message = "opened in your browser"
                else:
                    message = "this item has no URL to open"
            elif key == "n":
                note = self.reader.line("note: ").strip() or None
            elif key == "k":
                return None, None
            elif key == "q":
                return None, "quit"
            else:
                message = f"unknown key {key!r}"
