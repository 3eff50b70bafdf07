"""Assembling a report: every number computed once, here, then handed to the renderers.

Platform values (names, URLs, contact points) are made safe once: redacted when asked, with bidi
overrides and control characters neutralised. Each renderer then escapes for its own format.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

import numpy as np

from toolkit.collector import return_freed_memory
from toolkit.dates import utcnow
from toolkit.errors import UsageError
from toolkit.neutralise import neutral, one_line
from toolkit.report import headline, networks, stats, survival
from toolkit.report.audience import Audience, audience
from toolkit.report.frame import CaseFrame, build_frame
from toolkit.report.redact import Redactor, case_salt
from toolkit.report.screenshots import Shot, cohort_screenshots
from toolkit.report.stamp import make_stamp
from toolkit.store import canaries as canary_rows
from toolkit.store import events
from toolkit.store import report_queries as q
from toolkit.store.aliases import conflicts_of
from toolkit.store.checks import reason_count
from toolkit.store.db import Connection, read_beside, read_snapshot

ORIGINS = ("first_capture", "notice")
CONTACT_TYPES = ("phone", "whatsapp", "telegram", "email")  # the appendix's contact columns, in order


class Evidence(Protocol):
    """Where the report reads evidence files: checked content, and a path to name each by."""

    def read(self, sha256: str) -> bytes: ...

    def path(self, sha256: str) -> str: ...


@dataclass
class Report:
    """A computed report: what every output format shows."""

    case_name: str
    description: str
    as_of: str
    redacted: bool
    cohort: int
    waves: list[stats.WaveStats]
    groups: list[stats.GroupStats]
    fisher: list[stats.FisherTest]
    survival: dict[str, survival.Survival]
    audience: Audience
    clusters: list[networks.Cluster]
    items: Appendix  # the appendix: one row per cohort item, safe values
    names: dict[int, str]  # item id -> safe display name
    contacts: dict[tuple[str, str], str]  # contact node -> safe display value
    headline: list[str]
    provenance: dict[str, Any] = field(default_factory=dict)
    stamp: dict[str, Any] = field(default_factory=dict)
    screenshots: list[Shot] | None = None  # with --screenshots: the last screenshot of each cohort item

    @property
    def wave_names(self) -> list[str]:
        return [w.name for w in self.waves]


def build_report(conn: Connection, config: dict[str, dict[str, Any]], as_of: str, *,
                 redact: bool = False, case_name: str = "", progress: Callable[[str], None] | None = None,
                 screenshots: Evidence | None = None) -> Report:
    """Compute the whole report for the case behind `conn`, as of `as_of` (ISO UTC).

    `progress`, when given, is called with the name of each stage as it starts. `screenshots`, when
    given, reads evidence files: the report then shows the last screenshot of each cohort item
    (never with `redact`: screenshots cannot be masked). Every number comes from one picture of
    the case (`store.db.read_snapshot`), whatever another process writes while the report reads.
    """
    if screenshots is not None and redact:
        raise UsageError("screenshots show pages as they were seen, names and contact numbers included: "
                         "they cannot go into a redacted report", "Leave out --screenshots or --redact")
    prefetch_imports()

    def step(stage: str) -> None:
        # What the last stage freed goes back to the system before the next one allocates (glibc
        # keeps freed blocks of a large case's frames otherwise, and the next stage's peak would
        # stand on them: about 20 MB at 100,000 items).
        return_freed_memory()
        if progress is not None:
            progress(stage)

    step("reading the case")
    salt = case_salt(conn) if redact else None  # made and stored on first use: before the reads
    if events.unsealed(conn):
        events.seal(conn, utcnow())  # the stamp names a head that covers every row it reports
    # Every number from one picture of the case, though a recheck may be writing meanwhile.
    with read_snapshot(conn, twin=True) as twin:
        return _build(conn, config, as_of, redact=redact, salt=salt, case_name=case_name, step=step,
                      screenshots=screenshots, twin=twin)


# The libraries the statistics import when first used (seconds of start-up: scipy.stats alone
# ~0.9 s): imported by a thread while SQLite reads the case.
PREFETCHED = ("scipy.stats", "networkx")


def prefetch_imports() -> None:
    """Start importing `PREFETCHED` in a thread. SQLite reads the case outside Python's
    interpreter lock, so on a second core the imports cost no wall time; the statistics' own
    imports then find the modules loaded (or wait for them: Python's import lock). A library that
    fails to import here fails again, with its error, where it is used."""
    missing = [name for name in PREFETCHED if name not in sys.modules]
    if missing:
        threading.Thread(target=_import_quietly, args=(missing,), name="report-imports", daemon=True).start()


def _import_quietly(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the statistics import it again and report the error
            return


def _build(conn: Connection, config: dict[str, dict[str, Any]], as_of: str, *, redact: bool, salt: str | None,
           case_name: str, step: Callable[[str], None], screenshots: Evidence | None,
           twin: Connection | None = None) -> Report:
    cf = build_frame(conn, as_of, twin)
    # The methodology's counts are SQLite's work: with a twin, a thread reads them while the
    # statistics are computed here.
    with read_beside(conn, twin, _provenance, as_of, cf) as provenance_read:
        report, redactor = _statistics(conn, config, as_of, cf, redact=redact, salt=salt, case_name=case_name,
                                       step=step)
        report.provenance = provenance_read()
    report.provenance["reviews"] = q.review_summary(conn)  # from the cohort's tables, on this connection
    report.provenance["max_span_days"] = config.get("waves", {}).get("max_span_days", 7)
    # Identity conflicts name the keys of both items: masked like the items' own keys.
    report.provenance["conflicts"] = [
        {**c, **{field: redactor.url(c["kind"], c[field]) for field in ("key", "item_key", "other_key")}}
        for c in report.provenance["conflicts"]]
    report.headline = headline.sentences(cf, report.waves, report.as_of,
                                         sum(row["items"] for row in report.provenance["found"]))
    report.stamp = make_stamp(conn, config, as_of, redact, report.provenance)
    if screenshots is not None:
        step("screenshots")
        report.screenshots = cohort_screenshots(conn, report.items, as_of, screenshots.read, screenshots.path)
    return report


def _statistics(conn: Connection, config: dict[str, dict[str, Any]], as_of: str, cf: CaseFrame, *, redact: bool,
                salt: str | None, case_name: str, step: Callable[[str], None]) -> tuple[Report, Redactor]:
    """The report's numbers from the case frame: removal rates, seller networks, the item appendix,
    audience and time to removal (no methodology, headline or stamp yet); and the redactor that
    masked them."""
    redactor = Redactor(salt, q.cohort_matched(conn) if redact else None)
    indicators = q.cohort_indicators(conn)
    step("removal rates")
    waves = stats.by_wave(cf)
    groups, fisher = stats.by_group(cf), stats.noticed_test(cf)
    step("seller networks")
    found = networks.clusters(cf, indicators)
    shares = audience(cf)
    survivals = {}
    for origin in ORIGINS:
        step(f"time to removal from {origin.replace('_', ' ')}")
        survivals[origin] = survival.estimate(cf, origin)
    # The appendix after time to removal: its columns (~30 MB at 100,000 items) are held from here
    # to the end, and time to removal's arrays then do not stand on them. Time to removal is the
    # last reader of the checks frame (500,000 checks, ~30 MB): it goes first, with what the
    # estimates freed (back to the system, as between stages).
    cf.checks = cf.checks.iloc[:0].copy()  # a copy: the empty slice would keep the columns
    return_freed_memory()
    items = _appendix(cf, indicators, redactor)
    names = {item_id: name or url or key for item_id, name, url, key in
             zip(*(items.columns[field] for field in ("id", "name", "url", "key")), strict=True)}
    contacts = {node: one_line(redactor.contact(*node)) for c in found for node in c.contacts}
    report = Report(
        case_name=one_line(case_name or config["case"]["name"]),
        description=one_line(config["case"]["description"]),
        as_of=as_of, redacted=redact, cohort=cf.cohort_size, waves=waves,
        groups=groups, fisher=fisher, survival=survivals, audience=shares, clusters=found, items=items,
        names=names, contacts=contacts, headline=[],
    )
    return report, redactor


class Appendix(Sequence[dict[str, Any]]):
    """The item appendix: one row per cohort item (a dict: identity, verdict category, notice,
    status and reason per wave, contacts), kept column by column and made into a dict only when a
    row is asked for: 100,000 rows held as dicts, each with its dicts of statuses, reasons and
    contacts, take about 150 MB. `columns` also gives the CSV's columns as they are."""

    def __init__(self, columns: dict[str, list[Any]], waves: list[str], contacts: dict[int, dict[str, list[str]]]):
        self.columns = columns  # ITEM_FIELDS, "status:WAVE" and "reason:WAVE" per wave, CONTACT_TYPES (joined by ";")
        self.waves = waves
        self._contacts = contacts  # by row, for the rows with any

    def __len__(self) -> int:
        return len(self.columns["id"])

    @overload
    def __getitem__(self, at: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, at: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, at: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(at, slice):
            return self._rows(*at.indices(len(self)))
        n = at + len(self) if at < 0 else at
        if not 0 <= n < len(self):
            raise IndexError(at)
        return self._rows(n, n + 1, 1)[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for start in range(0, len(self), 1000):
            yield from self._rows(start, min(start + 1000, len(self)), 1)

    def _rows(self, start: int, stop: int, step: int) -> list[dict[str, Any]]:
        """The rows start, start + step, ... before stop, made column by column: each row's
        statuses, reasons and contacts first, then the row as one dict of its fields (a dict
        merged from smaller ones per row took twice the time over 100,000 rows)."""
        columns, cut, waves = self.columns, slice(start, stop, step), self.waves
        numbers = range(start, stop, step)
        if waves:
            statuses = [dict(zip(waves, labels, strict=True)) for labels in
                        zip(*(columns[f"status:{wave}"][cut] for wave in waves), strict=True)]
            # Most items have no reason in any wave: their reasons are an empty dict.
            reasons = [{wave: code for wave, code in zip(waves, codes, strict=True) if code} if any(codes) else {}
                       for codes in zip(*(columns[f"reason:{wave}"][cut] for wave in waves), strict=True)]
        else:  # no wave: an empty status and reason per row
            statuses, reasons = [{} for _ in numbers], [{} for _ in numbers]
        found = self._contacts
        contacts = [{kind: list(values) for kind, values in found[n].items()} if n in found else {} for n in numbers]
        return [dict(zip(_ROW_KEYS, values, strict=True)) for values in
                zip(*(columns[name][cut] for name in ROW_FIELDS), statuses, reasons, contacts, strict=True)]


# An appendix row's fields before its status, reason and contacts (the CSV's first columns).
ROW_FIELDS = ("id", "platform", "kind", "key", "url", "name", "parent_name", "text", "first_seen", "category",
              "language", "verdict", "reviewed_at", "noticed_at", "channel", "reference")
_ROW_KEYS = (*ROW_FIELDS, "status", "reason", "contacts")  # an appendix row's keys, in order


def _appendix(cf: CaseFrame, indicators: list[dict], redactor: Redactor) -> Appendix:
    """One row per cohort item: identity, verdict category, notice, status per wave, contacts."""
    items = cf.items
    ids = items["item_id"].tolist()
    waves, per_wave = _wave_readings(cf)
    contacts = networks.item_contacts(indicators)
    # Column by column (100,000 items make a row-by-row loop over a frame slow).
    kinds = [str(kind) for kind in items["kind"].tolist()]
    parent_kinds = items["parent_kind"].tolist()
    # A post or video on a personal profile is named after a person: mask it like the profile.
    personal = [kind if parent_kind != "profile" else "profile" for kind, parent_kind in zip(kinds, parent_kinds, strict=True)]
    urls = [url or _message_url(platform, kind, key, parent_url) for url, platform, kind, key, parent_url in
            zip(items["url"].tolist(), items["platform"].tolist(), kinds, items["key"].tolist(),
                items["parent_url"].tolist(), strict=True)]
    columns = {
        "id": ids, "platform": items["platform"].tolist(), "kind": kinds,
        "key": [_one_line(redactor.url(p, key) or "") for p, key in zip(personal, items["key"].tolist(), strict=True)],
        "url": [_one_line(redactor.url(p, url) or "") for p, url in zip(personal, urls, strict=True)],
        "name": [_one_line(redactor.name(p, name) or "") for p, name in zip(personal, items["name"].tolist(), strict=True)],
        "parent_name": [_one_line(redactor.name(str(parent_kind), name) or "") if parent_kind is not None else ""
                        for parent_kind, name in zip(parent_kinds, items["parent_name"].tolist(), strict=True)],
        "text": [neutral(redactor.text(text) or "") if isinstance(text, str) else "" for text in items["text"].tolist()],
        "first_seen": items["first_seen"].tolist(),
        "category": [neutral(category) for category in items["category"].tolist()],
        "language": [neutral(language) for language in items["language"].tolist()],
        "verdict": ["violating"] * len(ids), "reviewed_at": items["reviewed_at"].tolist(),
        "noticed_at": items["noticed_at"].tolist(),
        "channel": [channel if noticed else None for channel, noticed in
                    zip(items["channel"].tolist(), items["noticed"].tolist(), strict=True)],
        "reference": [neutral(ref) if isinstance(ref, str) else None for ref in items["reference"].tolist()],
        **per_wave,
    }
    shown = {n: {kind: [one_line(redactor.contact(kind, v)) for v in found]
                 for kind, found in sorted(contacts[item_id].items())}
             for n, item_id in enumerate(ids) if item_id in contacts}
    for kind in CONTACT_TYPES:
        column = columns[kind] = [""] * len(ids)
        for n, found in shown.items():
            column[n] = ";".join(found.get(kind, ()))
    return Appendix(columns, waves, shown)


def _texts(column: Any) -> list[str]:
    """`column.astype(str).tolist()` for a categorical column, each category's text shared by its
    cells (not one new string per cell: half a million of them in a tidy frame)."""
    texts = np.array([*column.cat.categories.astype(str).tolist(), "nan"], dtype=object)  # code -1: missing
    return texts[column.cat.codes.to_numpy()].tolist()


def _one_line(text: str) -> str:
    """`one_line(text)`, the same string when it is one line already (most names, keys and URLs:
    no new copy of 100,000 of them)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # printable: no control or bidi character, and no whitespace but single spaces
    return one_line(text)


def _wave_readings(cf: CaseFrame) -> tuple[list[str], dict[str, list[str]]]:
    """The waves, and per cohort item (in the items' order) its status label in each wave and the
    reason code beside it where there is one, as columns "status:WAVE" and "reason:WAVE" (an empty
    reason where there is none): a wave's labels are its block of the tidy frame (`wave_blocks`)."""
    blocks = cf.wave_blocks()
    if not blocks:
        return [], {}
    waves = cf.frame["wave"].iloc[::len(cf.items)].astype(str).tolist()
    labels = _texts(cf.frame["label"])
    codes = cf.frame["reason"].tolist()
    columns: dict[str, list[str]] = {}
    for block, wave in zip(blocks, waves, strict=True):
        columns[f"status:{wave}"] = labels[block]
        columns[f"reason:{wave}"] = [neutral(code) if isinstance(code, str) and code else "" for code in codes[block]]
    return waves, columns


def _message_url(platform: str, kind: str, key: str, parent_url: Any) -> str | None:
    """A Telegram message's t.me link, from its channel's public link and its message number.

    Telegram Desktop exports name a channel but not its @username, so a message gets a link only
    when the channel's t.me address is known (from a URL list or a link the case holds); nothing
    is guessed."""
    if platform != "telegram" or kind != "message" or not isinstance(parent_url, str):
        return None
    channel = parent_url.rstrip("/")
    number = str(key).rsplit("/", 1)[-1]
    if not channel.startswith(("https://t.me/", "http://t.me/")) or not number.isdigit():
        return None
    return f"{channel}/{number}"


def _provenance(conn: Connection, as_of: str, cf: CaseFrame) -> dict[str, Any]:
    """What the methodology section states, read from the case itself (all but the review summary,
    which reads the cohort's temporary tables: none of this needs them, so a twin connection can
    read it). Identity conflicts come with their keys as stored."""
    tally = cf.tally if cf.tally is not None else q.check_tally(conn, as_of)
    return {
        "canaries": canary_rows.readings(conn, as_of),
        "blind": canary_rows.blind_checks(conn, as_of, cf.items["item_id"].tolist(), judged=cf.judged_blind),
        "date_sources": q.date_sources(conn, as_of, tally),
        "sources": q.sources(conn),
        "found": q.items_by_platform_kind(conn),
        "lexicons": q.lexicons(conn),
        "models": q.model_raised(conn),
        "detectors": q.detectors(conn, as_of, tally),
        "notices": q.notice_summary(conn, as_of),
        "voided_notices": q.voided_notices(conn, as_of),
        "wave_checks": q.wave_checks(conn, as_of, tally),
        "unwaved_checks": q.unwaved_checks(conn, as_of, tally),
        "missing_from_export": reason_count(conn, "missing-from-full-export", as_of),
        "conflicts": conflicts_of(conn),
    }
