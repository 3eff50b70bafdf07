"""The review screen's walk over candidates: where it stands, and one committed verdict per answer.

The session is the model behind `toolkit review CASE`: the screen shows `detail()` of the current
candidate and turns keys into calls here. Every verdict is written and committed the moment it is
given, so a crash or a quit loses nothing already answered; the next session over unreviewed
candidates starts at the first one this reviewer has not answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from toolkit.models import Category, Verdict
from toolkit.store import transaction
from toolkit.store.db import Connection
from toolkit.store.reviews import add_review, candidate_detail

CACHE = 64  # details kept for going back and forth without re-querying


class ReviewSession:
    """Candidates in order, a cursor, the pending category/note for the current one, and tallies."""

    def __init__(self, conn: Connection, ids: list[int], reviewer: str, clock: Callable[[], str],
                 rest: Callable[[], list[int]] | None = None):
        """`ids` are the candidates in order; with `rest`, only their head, and `rest()` gives the
        whole list (read once, when `load_rest` is called or the head runs out)."""
        self.conn = conn
        self.ids = ids
        self._rest = rest
        self.reviewer = reviewer
        self.clock = clock
        self.position = 0
        self.category: Category | None = None  # chosen explicitly for the current candidate
        self.note: str | None = None
        self.given: Counter[str] = Counter()
        self.last: tuple[int, str, str | None] | None = None  # (item, verdict, category) just given
        self._details: dict[int, dict[str, Any]] = {}

    @property
    def total(self) -> int | None:
        """How many candidates there are; None while only the head of the list is known."""
        return None if self._rest is not None else len(self.ids)

    def load_rest(self) -> None:
        """Read the whole candidate list (once), keeping the candidates already walked in place."""
        if self._rest is None:
            return
        full, self._rest = self._rest(), None
        known = set(self.ids)
        self.ids = self.ids + [item_id for item_id in full if item_id not in known]

    @property
    def done(self) -> bool:
        if self.position >= len(self.ids):
            self.load_rest()
        return self.position >= len(self.ids)

    @property
    def current(self) -> int | None:
        return None if self.done else self.ids[self.position]

    def detail(self) -> dict[str, Any]:
        """Everything known about the current candidate (cached for back and forth)."""
        item_id = self.current
        assert item_id is not None
        if item_id not in self._details:
            if len(self._details) >= CACHE:
                self._details.pop(next(iter(self._details)))
            self._details[item_id] = candidate_detail(self.conn, item_id)
        return self._details[item_id]

    def effective_category(self, verdict: str) -> str | None:
        """The category a verdict is stored with: the one chosen, else the score's suggestion.

        A `not_violating` verdict keeps a category only when one was chosen explicitly: a
        suggestion of "smuggling_offer" says nothing about a page judged harmless.
        """
        if self.category is not None:
            return self.category.value
        if verdict == Verdict.NOT_VIOLATING:
            return None
        return self.detail().get("suggested_category")

    def give(self, verdict: Verdict) -> int:
        """Record a verdict on the current candidate (committed now) and move to the next one."""
        item_id = self.current
        assert item_id is not None
        category = self.effective_category(verdict)
        with transaction(self.conn):
            review_id = add_review(self.conn, item_id, verdict.value, category, self.reviewer, self.clock(),
                                   self.note, "screen")
        self._details.pop(item_id, None)  # its earlier verdicts changed
        self.given[verdict.value] += 1
        self.last = (item_id, verdict.value, category)
        self._move(1)
        return review_id

    def skip(self) -> None:
        """Leave the current candidate unanswered and go to the next."""
        self.last = None
        self._move(1)

    def back(self) -> bool:
        """Go to the previous candidate (to change an answer); False at the first."""
        if self.position == 0:
            return False
        self.last = None
        self._move(-1)
        return True

    def choose(self, category: Category) -> None:
        self.category = category

    def annotate(self, note: str) -> None:
        self.note = note.strip() or None

    def _move(self, step: int) -> None:
        self.position = max(0, min(len(self.ids), self.position + step))
        self.category = None
        self.note = None
