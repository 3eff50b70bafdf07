"""The methodology section, written from the case's own data, and the reproducibility stamp."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from toolkit.models import STATUS_FAMILY
from toolkit.neutralise import neutral, one_line
from toolkit.report.blocks import Block, Bullets, Code, Heading, Para, Table
from toolkit.report.number_format import number
from toolkit.store.canaries import CANARY_RULE
from toolkit.store.status import DATE_RULE, STATUS_RULE

if TYPE_CHECKING:
    from toolkit.report.build import Report

MEANINGS = {
    "available": "the item is publicly visible (its id, title or content is on the page)",
    "unavailable": "the platform says the content is not available (removed, deleted by its owner or made private: "
                   "the platform does not say which)",
    "removed": "the platform says explicitly that it was taken down for a rule violation",
    "account_gone": "the page, profile or channel behind the item no longer exists",
    "sold": "a Marketplace listing marked sold (not a takedown)",
    "login_required": "a login wall; says nothing about the item",
    "restricted": "geo-block, age gate, checkpoint, private account",
    "rate_limited": "HTTP 429, \"you're temporarily blocked\"",
    "error": "network or parse failure, with a short code",
    "not_seen": "absent from a later export that did not target it directly",
    "not_checked": "the wave made no check of the item (report only)",
}

LIMITS = [
    "\"Unavailable\" does not say who removed an item: the platform, or its owner deleting it or making it "
    "private. Only \"removed\" wording is the platform's own statement of a takedown.",
    "\"Still live\" may hide other enforcement: reduced reach, warning labels, strikes against the account, "
    "or removal of some of its content.",
    "A check is a snapshot: the time of removal is only known to lie between two checks.",
    "The first capture is the canonical record of what an item showed: platforms overwrite or remove content.",
    "Checks made without logging in see less than a logged-in user; login walls and errors are unknowns, "
    "reported beside the rates and never counted as removals.",
    "The cohort is what the researchers found and confirmed, not a random sample: the rates describe these items, "
    "not the platform as a whole.",
]


def blocks(report: Report) -> list[Block]:
    """The methodology section and the reproducibility stamp."""
    p = report.provenance
    out: list[Block] = [Heading(2, "Methodology"), Heading(3, "How the items were found")]
    out += _sources(p)
    out += [Heading(3, "Review"), Para(_review(report, p["reviews"]))]
    out += [Heading(3, "Notices"), *_notices(p["notices"], report.as_of), *_voided(p.get("voided_notices", []))]
    out += [Heading(3, "Waves and methods"), *_waves(p)]
    out += [Heading(3, "Canaries"), *_canaries(p)]
    out += [Heading(3, "Dates"), *_dates(p)]
    out += [Heading(3, "Statuses"), Table(["status", "family", "meaning"],
                                          [[str(s), str(f), MEANINGS[str(s)]] for s, f in STATUS_FAMILY.items()]
                                          + [["not_checked", "not_checked", MEANINGS["not_checked"]]])]
    out += [Heading(3, "Statistics"), Bullets([
        "Removal rate = gone / (live + gone); ended (sold), unknown and unchecked items are printed beside it.",
        "95% intervals for shares: Wilson score intervals (scipy.stats.binomtest).",
        "Reported against never-reported items: Fisher's exact test, two-sided (scipy.stats.fisher_exact).",
        "Time to removal: Turnbull's nonparametric estimate for interval-censored data, from each item's first "
        "capture and from its first notice; an item seen live in a wave counts as live until the wave's last "
        "check, and a gone reading that a later look of the same wave overruled is no removal (the wave reads "
        "live); times rounded up to whole hours (whole days for large, spread-out cohorts, as noted); 95% "
        "percentile bootstrap intervals (200 replicates, fixed seed).",
        "Seller networks: connected components (networkx) of items and the phone numbers, WhatsApp contacts and "
        "Telegram handles extracted from them.",
    ])]
    out += [Heading(3, "Limits"), Bullets(LIMITS)]
    out += _data_quality(p.get("conflicts") or [])
    stamp = orjson.dumps(report.stamp, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    out += [Heading(2, "Reproducibility"),
            Para("This report was made from the case state and with the software below (stamp.json holds the same). "
                 "The same case and options give the same Markdown, CSV and JSON, byte for byte. The custody head "
                 "is the hash at the end of the case's custody log: `toolkit verify CASE` recomputes it from every "
                 "source, capture, verdict, notice and check, so anyone holding the case (or an evidence bundle) "
                 "can show that nothing was changed after this report was made."),
            Code(one_line_lines(stamp))]
    return out


def _data_quality(conflicts: list[dict]) -> list[Block]:
    """Identity conflicts, when the case has any: claims that two items are one which the case's own
    knowledge contradicts. They were kept apart, so no status of one counts for the other."""
    if not conflicts:
        return []
    rows = [[number(c["item_id"]), one_line(c["item_key"]), one_line(c["key"]), number(c["other_id"]),
             one_line(c["other_key"]), one_line(c["reason"]), one_line(c["source"] or "-")] for c in conflicts]
    return [Heading(3, "Data quality"),
            Para(f"{len(conflicts)} identity conflict{'s' if len(conflicts) != 1 else ''}: a source said an item is "
                 "known by a key (a numeric id, a vanity name) that the case already knows as another item whose "
                 "ids or names contradict it. The items were kept apart: captures and checks stay on their own "
                 "item, and no status seen on one counts for the other."),
            Table(["item", "key", "claims", "known as item", "its key", "why kept apart", "source"], rows,
                  numeric={0, 3})]


def one_line_lines(text: str) -> str:
    """Multi-line text with bidi and control characters made visible on every line."""
    return "\n".join(neutral(line) for line in text.splitlines())


def _sources(p: dict) -> list[Block]:
    sources = p["sources"]
    out: list[Block] = []
    if not sources:
        out.append(Para("No export has been imported into this case."))
    else:
        out.append(Para(f"{len(sources)} file{'s' if len(sources) != 1 else ''} imported (sha256 of each in the "
                        "stamp below):"))
        out.append(Table(["file", "format", "importer", "collected", "records read", "mapped", "failed"],
                         [[one_line(s["path"]), s["format"], s["importer"], (s["collected_at"] or "-")[:10],
                           number(s["records_read"]), number(s["records_mapped"]), number(s["records_failed"])]
                          for s in sources], numeric={4, 5, 6}))
    if p["found"]:
        out.append(Para("Items found, by platform and kind: " + ", ".join(
            f"{r['platform']} {r['kind']} {number(r['items'])}" for r in p["found"]) + "."))
    if p["lexicons"]:
        out.append(Para("Captures were tagged with the lexicons " + ", ".join(
            f"{one_line(r['lexicon'])} ({number(r['hits'])} hits)" for r in p["lexicons"]) + "."))
    else:
        out.append(Para("No lexicon hits are recorded in this case."))
    for row in p.get("models", []):
        out.append(Para(f"The offer model {one_line(row['model'])} brought {number(row['captures'])} "
                        f"capture{'s' if row['captures'] != 1 else ''} ({number(row['items'])} "
                        f"item{'s' if row['items'] != 1 else ''}) up to the review threshold that the lexicons "
                        "scored below it: their score is the model's points, and its explanation names the "
                        "character n-grams that weighed most."))
    return out


def _review(report: Report, reviews: dict) -> str:
    if not reviews["reviews"]:
        return "No item has been reviewed: there is no confirmed cohort."
    verdicts = ", ".join(f"{r['verdict']} {number(r['items'])}" for r in reviews["verdicts"])
    return (f"{number(reviews['reviews'])} verdicts by {reviews['reviewers']} reviewer"
            f"{'s' if reviews['reviewers'] != 1 else ''} between {reviews['first'][:10]} and {reviews['last'][:10]}. "
            f"Latest verdict per item: {verdicts}. Only items whose latest verdict is violating form the cohort "
            f"({number(report.cohort)} items).")


def _notices(notices: list[dict], as_of: str) -> list[Block]:
    if not notices:
        return [Para(f"No notice to a platform is recorded up to {as_of[:10]}.")]
    return [Para("Reports made to the platforms (all items, not only the cohort):"),
            Table(["channel", "items", "notices", "first", "last"],
                  [[n["channel"], number(n["items"]), number(n["notices"]), n["first"][:10], n["last"][:10]]
                   for n in notices], numeric={1, 2})]


def _voided(voided: list[dict], shown: int = 10) -> list[Block]:
    """The notices voided as recorded by mistake: said aloud, since they are left out of every count."""
    if not voided:
        return []
    listed = "; ".join(f"#{v['id']} (item {v['item_id']}, {v['noticed_at'][:10]}, {v['channel']}): {one_line(v['why'])}"
                       for v in voided[:shown])
    more = f"; and {number(len(voided) - shown)} more" if len(voided) > shown else ""
    return [Para(f"{number(len(voided))} notice{'s' if len(voided) != 1 else ''} recorded by mistake "
                 f"{'were' if len(voided) != 1 else 'was'} voided and {'are' if len(voided) != 1 else 'is'} "
                 f"not counted: {listed}{more}.")]


def _waves(p: dict) -> list[Block]:
    out: list[Block] = []
    if not p["wave_checks"]:
        out.append(Para("No recheck wave is recorded up to this date."))
    else:
        out.append(Table(["wave", "method", "checks", "first check", "last check"],
                         [[one_line(w["name"]), w["method"], number(w["checks"]), w["first"], w["last"]]
                          for w in p["wave_checks"]], numeric={2}))
    detectors = [d for d in p["detectors"] if d["origin"] == "check"]
    if detectors:
        out.append(Para("Statuses were read by: " + ", ".join(
            f"{one_line(d['detector']) or '(no detector recorded)'} ({d['method']}, {number(d['n'])} checks)"
            for d in detectors) + "."))
    out.append(Para(STATUS_RULE))
    out.append(Para("An item the wave did not check is not_checked. No confirmation rule is applied: one gone "
                    "reading makes an item gone in that wave, and the per-item appendix shows every wave so a "
                    "stricter rule can be applied by hand."))
    if p.get("missing_from_export"):
        out.append(Para("A Telegram message missing from a later export that holds its chat on both sides of it (the "
                        "export's first and last message ids bracket it) is unavailable, reason "
                        f"missing-from-full-export ({number(p['missing_from_export'])} in this case); a message absent "
                        "from an export that ends before it or starts after it is not_seen, never gone."))
    if p["unwaved_checks"]:
        out.append(Para(f"{number(p['unwaved_checks'])} checks belong to no wave: they count for time to removal "
                        "but not in the wave tables."))
    return out


def _canaries(p: dict) -> list[Block]:
    """The canary rule, and every canary with its readings per wave."""
    out: list[Block] = [Para(CANARY_RULE)]
    readings = p.get("canaries") or []
    if not readings:
        return [*out, Para("No canary was read in this case's waves.")]
    grouped: dict[tuple[str, str, str, str], list[dict]] = {}
    for r in readings:
        grouped.setdefault((r["wave"], r["method"], r["platform"], r["url"]), []).append(r)
    rows = []
    for (wave, method, platform, url), found in grouped.items():
        counts: dict[str, int] = {}
        for r in found:
            label = r["status"] + (f" ({r['reason']})" if r["reason"] else "")
            counts[label] = counts.get(label, 0) + 1
        rows.append([one_line(wave), method, platform, one_line(url), number(len(found)),
                     ", ".join(f"{label} x{n}" for label, n in counts.items()), found[0]["observed_at"],
                     found[-1]["observed_at"]])
    out.append(Table(["wave", "method", "platform", "canary", "readings", "read as", "first", "last"], rows,
                     numeric={4}))
    return out


def _dates(p: dict) -> list[Block]:
    """The date rule, and how many captures and checks took their date from each source."""
    out: list[Block] = [Para(DATE_RULE)]
    rows = [[r["origin"], r["source"], number(r["n"])] for r in p.get("date_sources") or []]
    if rows:
        out.append(Table(["row", "date from", "rows"], rows, numeric={2}))
    return out
