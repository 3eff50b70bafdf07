"""Confirmation: from each item's status per wave, whether its removal is confirmed.

The raw checks stay as they are; this is a reading of them. An item's status in a wave is the one
status rule (`toolkit.store.status`): the latest check with a known family decides, walls and
errors never override it, Wayback never stands for a wave, blind checks count as unknown.

Rules (`[confirm]` in case.toml):

- `consecutive` (default, `waves = 2`): gone is confirmed when the item reads gone in `waves`
  waves in a row. Waves where the item's state is unknown (login wall, error, not seen) neither
  count nor break the run; a live reading resets it. A wave whose gone reading is the same look
  as the previous wave's (observed at the same moment: one saved file given to both waves) does
  not count again.
- `days` (`days = N`): gone is confirmed when the gone readings since the item was last seen live
  span at least N days (first gone observation to this wave's).

States per item per wave:

| state | meaning |
|---|---|
| `gone` | confirmed gone under the rule (stays so until a later wave reads it live) |
| `pending` | gone in this wave, rule not yet met |
| `live` | live in this wave |
| `ended` | ended (a sold listing) in this wave |
| `unknown` | checked, but nothing known (login wall, rate limit, error, not seen) |
| `unchecked` | no check of the item in this wave |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.dates import days_between
from toolkit.errors import CaseError
from toolkit.models import Family
from toolkit.store.checks import waves
from toolkit.store.db import Connection
from toolkit.store.status import last_seen_live, wave_statuses

STATES = ("gone", "pending", "live", "ended", "unknown", "unchecked")
__all__ = ["STATES", "ConfirmedState", "Rule", "confirmed_states", "last_seen_live"]


@dataclass(frozen=True)
class Rule:
    """When a removal counts as confirmed."""

    rule: str = "consecutive"
    waves: int = 2
    days: int = 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Rule:
        section = config.get("confirm", {})
        rule = cls(section.get("rule", "consecutive"), int(section.get("waves", 2)), int(section.get("days", 0)))
        rule.validate()
        return rule

    def validate(self) -> None:
        if self.rule not in {"consecutive", "days"}:
            raise CaseError(f"case.toml: confirm.rule must be \"consecutive\" or \"days\", not {self.rule!r}",
                            "Fix [confirm] rule in case.toml")
        if self.rule == "consecutive" and self.waves < 1:
            raise CaseError("case.toml: confirm.waves must be 1 or more", "Fix [confirm] waves in case.toml")
        if self.rule == "days" and self.days < 0:
            raise CaseError("case.toml: confirm.days must be 0 or more", "Fix [confirm] days in case.toml")

    def describe(self) -> str:
        if self.rule == "consecutive":
            return f"gone in {self.waves} consecutive wave(s) with a known state"
        return f"gone for at least {self.days} day(s) since last seen live"


@dataclass(frozen=True)
class ConfirmedState:
    """One item in one wave: the wave's reading of it and its confirmed state."""

    item_id: int
    wave_id: int
    wave: str
    status: str | None  # the wave's status for the item; None when unchecked
    observed_at: str | None
    state: str
    reason: str | None = None  # the reason code of the check that stands for the wave
    blind: str | None = None  # why the deciding check is blind (it then counts as unknown)


def confirmed_states(conn: Connection, rule: Rule | None = None) -> list[ConfirmedState]:
    """Every checked item's state in every wave, ordered by item then wave (waves in time order).

    Items never checked in any wave are left out; within the span of waves an item missing from
    a wave is `unchecked` there."""
    rule = rule or Rule()
    rule.validate()
    wave_rows = waves(conn)
    by_item: dict[int, dict[int, Any]] = {}
    for reading in wave_statuses(conn):
        by_item.setdefault(reading.item_id, {})[reading.wave_id] = reading
    out: list[ConfirmedState] = []
    for item_id in sorted(by_item):
        per_wave = by_item[item_id]
        run = 0  # gone waves in the current run
        run_start: str | None = None  # first gone observation since last seen live
        counted: str | None = None  # when the last gone reading counted in the run was observed
        confirmed = False
        for wave in wave_rows:
            chosen = per_wave.get(wave["id"])
            if chosen is None:
                out.append(ConfirmedState(item_id, wave["id"], wave["name"], None, None,
                                          "gone" if confirmed else "unchecked"))
                continue
            fam = Family(chosen.family)
            if fam == Family.GONE:
                # Two waves standing on the same look (one saved file given to both, one --at typed
                # twice) are one observation, not two: it does not extend the run.
                if chosen.observed_at != counted:
                    run += 1
                    counted = chosen.observed_at
                run_start = run_start or chosen.observed_at
                if rule.rule == "consecutive":
                    confirmed = confirmed or run >= rule.waves
                else:
                    confirmed = confirmed or days_between(run_start, chosen.observed_at) >= rule.days
                state = "gone" if confirmed else "pending"
            elif fam == Family.LIVE:
                run, run_start, counted, confirmed = 0, None, None, False
                state = "live"
            elif fam == Family.ENDED:
                run, run_start, counted, confirmed = 0, None, None, False
                state = "ended"
            else:
                state = "gone" if confirmed else "unknown"
            out.append(ConfirmedState(item_id, wave["id"], wave["name"], chosen.status, chosen.observed_at, state,
                                      chosen.reason, chosen.blind))
    return out
