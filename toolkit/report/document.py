"""The findings part of the report (headline, waves, groups, time to removal, audience, networks)
as blocks; the methodology and the stamp come from methodology.py."""

from __future__ import annotations

from toolkit.dates import days_between
from toolkit.report import methodology
from toolkit.report.blocks import Block, Bullets, Chart, Heading, Image, Para, Table
from toolkit.report.build import Report
from toolkit.report.number_format import days, number, p_value, percent, share
from toolkit.report.stats import Counts

MAX_CLUSTERS = 20
MAX_CLUSTER_ITEMS = 25
DIMENSIONS = {"platform": "Platform", "kind": "Kind", "category": "Category", "language": "Language",
              "channel": "Reporting channel", "noticed": "Reported or not"}
ORIGIN_LABELS = {"first_capture": "first capture", "notice": "notice"}


def document(report: Report) -> list[Block]:
    """Every block of the report, in reading order."""
    blocks: list[Block] = [Heading(1, f"Removal report: {report.case_name}")]
    if report.description:
        blocks.append(Para(report.description))
    note = f"As of {report.as_of}. Cohort: {number(report.cohort)} items confirmed as violating."
    if report.redacted:
        note += " Phone numbers, WhatsApp and Telegram contacts, emails and personal profile names are masked."
    blocks += [Para(note), Heading(2, "Headline"), Bullets(report.headline)]
    blocks += _waves(report) + _groups(report) + _survival(report) + _audience(report) + _networks(report)
    blocks += _screenshots(report)
    blocks += methodology.blocks(report)
    return blocks


def _screenshots(report: Report) -> list[Block]:
    """The last screenshot of each cohort item, when the report was asked for them."""
    if report.screenshots is None:
        return []
    blocks: list[Block] = [Heading(2, "Screenshots of the last checks")]
    if not report.screenshots:
        return [*blocks, Para("No check of a cohort item kept a screenshot up to this date.")]
    blocks.append(Para(f"{number(len(report.screenshots))} of {number(report.cohort)} cohort items have a screenshot "
                       "from a browser check: the latest of each, as the page was seen, kept in the case's evidence "
                       "under its sha256."))
    blocks += [Image(s.caption, s.path, s.png, s.width, s.height, s.left_out) for s in report.screenshots]
    return blocks


def span_warnings(report: Report) -> list[str]:
    """One line per wave whose checks (Wayback apart) span more than [waves] max_span_days."""
    limit = report.provenance.get("max_span_days", 7)
    spans: dict[str, list[str]] = {}
    for w in report.provenance.get("wave_checks", []):
        if w["method"] != "wayback":
            span = spans.setdefault(w["name"], [w["first"], w["last"]])
            span[0], span[1] = min(span[0], w["first"]), max(span[1], w["last"])
    out = []
    for name, (first, last) in spans.items():
        days = days_between(first, last)
        if days > limit:
            out.append(f"Wave {name}: its checks span {days:.1f} days ({first} to {last}), more than the "
                       f"{limit:g} days of [waves] max_span_days: its rates mix what was seen days apart.")
    return out


def unknown_detail(c: Counts) -> str:
    """"login_required 2, error 1": the statuses of the items whose status is unknown."""
    return ", ".join(f"{s} {k}" for s, k in c.unknown_statuses.items())


def _count_cells(c: Counts) -> list[str]:
    return [number(c.items), number(c.live), number(c.gone), number(c.ended), number(c.unknown),
            number(c.not_checked), share(c.still_live), share(c.removed)]


COUNT_COLUMNS = ["items", "live", "gone", "ended", "unknown", "not checked", "still live (95% CI)", "gone (95% CI)"]


def _waves(report: Report) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Removal by wave")]
    if not report.waves:
        return [*blocks, Para("No recheck wave up to this date.")]
    blocks.append(Para("Shares are of the items whose status could be determined (live + gone); ended (sold), "
                       "unknown and unchecked items are counted beside them, never in the denominator. "
                       "Intervals are Wilson 95% intervals."))
    rows = [[w.name, w.started_at[:10], ", ".join(w.methods), *_count_cells(w.counts)] for w in report.waves]
    blocks.append(Table(["wave", "date", "methods", *COUNT_COLUMNS], rows, numeric=set(range(3, 11))))
    notes = [f"{w.name}: {unknown_detail(w.counts)}" for w in report.waves if w.counts.unknown]
    if notes:
        blocks += [Para("Unknown statuses:"), Bullets(notes)]
    warnings = [f"Wave {row['wave']}: {number(row['checks'])} check{'s' if row['checks'] != 1 else ''} blind, counted "
                f"as unknown ({row['blind']})." for row in report.provenance.get("blind", [])]
    warnings += span_warnings(report)
    if warnings:
        blocks.append(Bullets(warnings))
    blocks.append(Chart("waves", "Status of the cohort at each wave",
                        [(w.name, w.counts.live, w.counts.gone, w.counts.ended, w.counts.unknown + w.counts.not_checked)
                         for w in report.waves]))
    return blocks


def _latest_wave(report: Report):
    checked = [w for w in report.waves if w.counts.items > w.counts.not_checked]
    return checked[-1] if checked else None


def _groups(report: Report) -> list[Block]:
    wave = _latest_wave(report)
    if wave is None:
        return []
    blocks: list[Block] = [Heading(2, f"By group, wave {wave.name} ({wave.started_at[:10]})"),
                           Para("Every wave's split is in splits.csv.")]
    chart = []
    for dimension, title in DIMENSIONS.items():
        groups = [g for g in report.groups if g.wave == wave.name and g.dimension == dimension]
        if not groups:
            continue
        blocks.append(Heading(3, title))
        blocks.append(Table([dimension, *COUNT_COLUMNS], [[g.group, *_count_cells(g.counts)] for g in groups],
                            numeric=set(range(1, 9))))
        chart += [(f"{dimension}: {g.group}", g.counts.removed) for g in groups if g.counts.known]
        if dimension == "noticed":
            blocks += _fisher(report, wave.name)
    blocks.append(Chart("groups", f"Share gone by group, wave {wave.name} (95% CI)", chart))
    return blocks


def _fisher(report: Report, wave: str) -> list[Block]:
    test = next((t for t in report.fisher if t.wave == wave), None)
    if test is None or test.p_value is None:
        return [Para("No test of reported against unreported items: one of the two groups has no item with a "
                     "known status.")]
    odds = "undefined" if test.odds_ratio is None else f"{test.odds_ratio:.2f}"
    return [Para(f"Reported items: {test.noticed.gone} of {test.noticed.known} gone "
                 f"({percent(test.noticed.removed.p)}); never reported: {test.not_noticed.gone} of "
                 f"{test.not_noticed.known} ({percent(test.not_noticed.removed.p)}). Fisher's exact test "
                 f"(two-sided): p = {p_value(test.p_value)}, odds ratio {odds}.")]


def _survival(report: Report) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Time to removal"),
                           Para("An item is only known to have gone between the last check that saw it live and "
                                "the first that saw it gone (interval-censored); items live at their last check "
                                "are right-censored. Turnbull estimate; a removal is counted at the check that "
                                "first saw it gone, so the shares below are never earlier than the evidence; "
                                "\"up to\" is the most the checks allow. Bootstrap 95% intervals.")]
    rows = []
    for origin, result in report.survival.items():
        cells = [f"from {ORIGIN_LABELS[origin]}", number(result.items), number(result.removals),
                 number(result.censored)]
        if result.median is None:
            cells += ["-"] * 4
        else:
            m = result.median
            cells.append(f"{days(m.value)} ({days(m.low)} to {days(m.high)})")
            for horizon in sorted(result.within):
                w = result.within[horizon]
                cells.append(f"{percent(w.value)} ({percent(w.low)}-{percent(w.high)}), up to {percent(w.possible)}")
        rows.append(cells)
    horizons = sorted(next(iter(report.survival.values())).within) or [1, 7, 30]
    blocks.append(Table(["origin", "items", "seen gone", "censored", "median days (95% CI)",
                         *[f"gone within {h} day{'s' if h != 1 else ''}" for h in horizons]], rows,
                        numeric={1, 2, 3}))
    notes = []
    for origin, result in report.survival.items():
        for cause, n in sorted(result.excluded.items()):
            notes.append(f"From {ORIGIN_LABELS[origin]}: {n} left out ({cause}).")
        if result.resolution_hours != 1:
            notes.append(f"From {ORIGIN_LABELS[origin]}: times rounded up to whole days (too many distinct "
                         "check intervals at hour resolution).")
        if result.reappeared:
            notes.append(f"From {ORIGIN_LABELS[origin]}: {result.reappeared} seen live again in a later wave "
                         "after a gone check (counted as gone at the first gone check).")
    if notes:
        blocks.append(Bullets(notes))
    curves = {ORIGIN_LABELS[o]: r.curve for o, r in report.survival.items() if r.curve}
    if curves:
        blocks.append(Chart("survival", "Share of the cohort still live, by days since origin", curves))
    return blocks


def _audience(report: Report) -> list[Block]:
    a = report.audience
    blocks: list[Block] = [Heading(2, "Audience")]
    if not a.items_with_figure:
        return [*blocks, Para("No follower or member counts were captured for the cohort.")]
    blocks.append(Para(f"{number(a.items_with_figure)} cohort items have a follower or member count. Together "
                       f"they reached {number(a.reached)} followers or members (largest figure captured per item; "
                       f"{number(a.first_total)} at first capture). Accounts overlap, so this is an upper bound on "
                       "the people reached."))
    if a.waves:
        rows = [[w.wave, w.started_at[:10], number(w.with_figure), number(w.total), number(w.live_with_figure),
                 number(w.live_total), number(w.grown), number(w.growth),
                 "-" if w.median_growth_pct is None else f"{w.median_growth_pct:.1f}%"] for w in a.waves]
        blocks.append(Table(["wave", "date", "items with a count", "audience", "live items with a count",
                             "audience of live items", "live items that grew", "growth since first capture",
                             "median growth"], rows, numeric=set(range(2, 9))))
        blocks.append(Chart("audience", "Audience of the cohort and of the items still live",
                            [(w.wave, w.total, w.live_total) for w in a.waves]))
    return blocks


def _networks(report: Report) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Seller networks")]
    clusters = report.clusters
    if not clusters:
        return [*blocks, Para("No two cohort items share a phone number, WhatsApp contact or Telegram handle.")]
    partial = sum(c.partial for c in clusters)
    blocks.append(Para(f"{len(clusters)} clusters of cohort items share a phone number, WhatsApp contact or "
                       f"Telegram handle ({sum(len(c.items) for c in clusters)} items). {partial} "
                       f"{'is a partial takedown' if partial == 1 else 'are partial takedowns'}: some items gone, "
                       "others with the same contact still live in the latest wave."))
    rows = [[f"C{c.number}", number(len(c.items)), number(c.live), number(c.gone), number(c.other),
             "yes" if c.partial else "no", "; ".join(report.contacts[n] for n in c.contacts)]
            for c in clusters[:MAX_CLUSTERS]]
    blocks.append(Table(["cluster", "items", "live", "gone", "other", "partial takedown", "shared contacts"], rows,
                        numeric={1, 2, 3, 4}))
    for c in clusters[:MAX_CLUSTERS]:
        blocks.append(Heading(3, f"Cluster C{c.number}"))
        blocks.append(Table(["item", "name", "status"], [[str(m.item_id), report.names.get(m.item_id, ""), m.status]
                                                        for m in c.items[:MAX_CLUSTER_ITEMS]], numeric={0}))
        if len(c.items) > MAX_CLUSTER_ITEMS:
            blocks.append(Para(f"... and {len(c.items) - MAX_CLUSTER_ITEMS} more (clusters.csv lists all)."))
    if len(clusters) > MAX_CLUSTERS:
        blocks.append(Para(f"{len(clusters) - MAX_CLUSTERS} smaller clusters are listed in clusters.csv."))
    return blocks
