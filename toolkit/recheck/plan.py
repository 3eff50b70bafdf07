"""What one `toolkit recheck` run will do, decided before anything is written.

`RecheckPlan.from_flags` turns the command line into one coherent run (UsageError otherwise):
the method (live, browser, from exports, manual or Wayback), the wave's name, which items, the
fetch flags and what each method needs. `RecheckPlan.start` opens the wave in a case and says
which items are still to check; the fetch options are case.toml's `[recheck]` merged with the
flags (`FetchOptions.for_case`). The command (toolkit.cli.cmd_recheck) only parses options, builds
the plan, shows progress and prints the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.case import Case
from toolkit.dates import given_time, in_the_future, parse_when, utcnow
from toolkit.errors import ToolkitError, UsageError
from toolkit.models import Method
from toolkit.recheck.canary import new_run
from toolkit.recheck.fetch import FetchFlags, FetchOptions
from toolkit.recheck.waves import default_wave_name, summary
from toolkit.store.checks import TrackedItem, begin_run, checked_items, open_wave, tracked_items, wave_check_count


@dataclass(frozen=True)
class Selection:
    """Which tracked items: the confirmed cohort (verdict violating) unless `everything`; items
    named by id are rechecked whatever their verdict (the researcher asked for them)."""

    everything: bool = False
    kind: str | None = None
    ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class WaybackFlags:
    api: str = "https://archive.org"  # the availability API
    web: str = "https://web.archive.org"  # the CDX API and the snapshots
    before: str | None = None  # latest capture up to this date (--before, as given: see wayback_stamp)
    save: bool = False  # ask Save Page Now to archive the items live in this wave


@dataclass(frozen=True)
class RecheckPlan:
    method: Method
    wave: str
    selection: Selection = field(default_factory=Selection)
    fetch: FetchFlags = field(default_factory=FetchFlags)
    retry_errors: bool = False  # fetch again items whose check in this wave is error or rate_limited
    paths: tuple[str, ...] = ()  # Method.EXPORT: the later exports
    collected_at: str | None = None  # Method.EXPORT: when the exports were saved, for files that do not say
    import_format: str | None = None  # Method.EXPORT: a forced importer
    manual_at: str | None = None  # Method.MANUAL: when the researcher looked (default: as they answer)
    logged_out: bool = False  # Method.BROWSER: a fresh, empty profile
    wayback: WaybackFlags = field(default_factory=WaybackFlags)

    @classmethod
    def from_flags(cls, *, paths: list[str] | None = None, method: str | None = None, live: bool = False,
                   manual: bool = False, wayback: bool = False, save: bool = False, logged_out: bool = False,
                   at: str | None = None, observed_at: str | None = None, collected_at: str | None = None,
                   before: str | None = None, wave: str | None = None, selection: Selection = Selection(),
                   fetch: FetchFlags = FetchFlags(), retry_errors: bool = False, import_format: str | None = None,
                   wayback_api: str = WaybackFlags.api, wayback_web: str = WaybackFlags.web) -> RecheckPlan:
        """The run the flags ask for. One mode per run: PATHs (exports), --live, --manual,
        --wayback or --method browser; flags that belong to another mode are refused, and so is a
        look dated (--at, --observed-at) more than a day in the future."""
        named = method_option(method)
        live, manual, wayback = live or named == Method.LIVE, manual or named == Method.MANUAL, wayback or named == Method.WAYBACK
        modes = [name for name, on in (("PATH", bool(paths)), ("--live", live), ("--manual", manual),
                                       ("--wayback", wayback), ("--method browser", named == Method.BROWSER)) if on]
        if len(set(modes)) > 1:
            raise UsageError(f"{' and '.join(modes)} are separate ways to recheck",
                             "Run them one after the other with the same --wave name")
        if save and not wayback:
            raise UsageError("--save works with --wayback only", "Add --wayback, or leave out --save")
        if logged_out and named != Method.BROWSER:
            raise UsageError("--logged-out works with --method browser only", "Add --method browser, or leave it out")
        if at and not manual:
            raise UsageError("--at works with --manual only", "Add --manual, or leave out --at")
        if (observed_at or collected_at) and not paths:
            raise UsageError("--observed-at works with exports (PATH...) only",
                             "Give the exports to recheck from, or leave out --observed-at")
        when = given_time(observed_at, collected_at)
        manual_at = parse_when(at, "--at") if at else None
        # A look cannot have been made in the future: such a date is a typo (2031 for 2021), and a
        # check dated then would date the wave and the report's default as-of years ahead.
        now = utcnow()
        for option, given in (("--at", manual_at), ("--observed-at" if observed_at else "--collected-at", when)):
            if given and in_the_future(given, now):
                raise UsageError(f"{option}: {given} is in the future (now: {now})",
                                 "Give the date and time of the look (ISO, e.g. 2021-05-17T10:00-05:00)")
        chosen = (Method.EXPORT if paths else Method.MANUAL if manual else Method.WAYBACK if wayback
                  else Method.BROWSER if named == Method.BROWSER else Method.LIVE)
        name = (wave or default_wave_name()).strip()
        if not name:
            raise UsageError("--wave must not be empty", "Give a wave name such as 2021-05-17")
        return cls(method=chosen, wave=name, selection=selection, fetch=fetch, retry_errors=retry_errors,
                   paths=tuple(paths or ()), collected_at=when, import_format=import_format, manual_at=manual_at,
                   logged_out=logged_out,
                   wayback=WaybackFlags(api=wayback_api, web=wayback_web, before=before, save=save))

    def start(self, case: Case, *, platform: str | None = None) -> RecheckRun:
        """Open the wave in `case` (created when new) for the selected items of `platform`.

        ToolkitError when no item is selected: nothing is written then."""
        sel = self.selection
        items = tracked_items(case.db, everything=sel.everything or bool(sel.ids), platform=platform,
                              kind=sel.kind, ids=list(sel.ids) if sel.ids is not None else None)
        if not items:
            raise ToolkitError(
                "no items to recheck" + ("" if sel.everything else ": no item has the verdict violating"),
                "Review items first (toolkit review CASE), pass --all to recheck every tracked item, or loosen the filters",
            )
        wave_id = open_wave(case.db, self.wave, utcnow(), str(self.method))
        todo = items
        if self.method != Method.EXPORT:
            done = checked_items(case.db, wave_id, str(self.method), retry_unknown=self.retry_errors)
            todo = [i for i in items if i.id not in done]
        # Every check this command records carries its run (a runner with canaries begins its own).
        begin_run(case.db, new_run())
        return RecheckRun(self, case, wave_id, items, todo, FetchOptions.for_case(case, self.fetch))


@dataclass
class RecheckRun:
    """A plan started in a case: its wave, the items selected, those still to check in this run
    (for exports: every item, matched against what the exports hold) and the fetch options."""

    plan: RecheckPlan
    case: Case
    wave_id: int
    items: list[TrackedItem]
    todo: list[TrackedItem]
    options: FetchOptions

    @property
    def already_checked(self) -> int:
        return len(self.items) - len(self.todo)

    def saved_checks(self) -> int:
        """How many checks of this run's method the wave holds (what an interrupted run kept)."""
        return wave_check_count(self.case.db, self.wave_id, str(self.plan.method))

    def summary(self) -> list[dict[str, Any]]:
        """The wave's status counts by platform and kind (toolkit.recheck.waves.summary); for a
        Wayback run, the Wayback lookups' statuses."""
        return summary(self.case, self.wave_id, {"wayback"} if self.plan.method == Method.WAYBACK else None)


def method_option(value: str | None) -> Method | None:
    """--method as a Method; `export` is given by naming PATHs, not by name."""
    if value is None:
        return None
    try:
        method = Method(value.strip().lower())
    except ValueError:
        method = None
    if method is None or method == Method.EXPORT:
        raise UsageError(f"--method: unknown method {value!r}",
                         "Use live, browser, manual or wayback (to recheck from exports, give their PATHs)")
    return method


def wayback_stamp(before: str | None) -> str | None:
    """--before as a Wayback timestamp (YYYYMMDDhhmmss), or None."""
    if not before:
        return None
    return parse_when(before, "--before").replace("-", "").replace(":", "").replace("T", "").rstrip("Z")[:14]
