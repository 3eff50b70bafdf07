"""Headline sentences in the style of TTP's spot checks, each with its denominator and interval.

"Of the 50 pages handed to Facebook on 2021-04-16, 19 (38%, 95% CI 26-52%) were still live on
2021-05-17." Items are grouped into the batches they were reported in (platform, channel, date);
unknowns and unchecked items are stated beside the rate, never folded into it.
"""

from __future__ import annotations

import pandas as pd

from toolkit.report.frame import NOT_NOTICED, CaseFrame
from toolkit.report.number_format import ci, number, percent
from toolkit.report.stats import Counts, WaveStats, count

MAX_BATCHES = 3
PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "tiktok": "TikTok", "telegram": "Telegram",
                  "whatsapp": "WhatsApp", "web": "the web"}
PLURALS = {"page": "pages", "group": "groups", "profile": "profiles", "post": "posts", "listing": "listings",
           "video": "videos", "channel": "channels", "message": "messages", "ad": "ads"}
VERBS = {"platform_request": "handed to", "in_app": "reported in-app to", "dsa_notice": "notified under the DSA to",
         "trusted_flagger": "flagged as a trusted flagger to", "press": "raised in a press enquiry to",
         "law_enforcement": "referred by law enforcement to", "other": "reported to"}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def things(kinds: pd.Series, n: int) -> str:
    """"pages" when every item is a page, else "items"; singular for one."""
    values = set(kinds.astype(str))
    word = PLURALS[next(iter(values))] if len(values) == 1 and next(iter(values)) in PLURALS else "items"
    return word[:-1] if n == 1 else word


def day(iso: str) -> str:
    return str(iso)[:10]


def sentences(cf: CaseFrame, waves: list[WaveStats], as_of: str, found: int) -> list[str]:
    """The headline: one sentence per notice batch (or for the whole cohort), from the latest wave
    checked by `as_of`; `found` is how many items the case holds (named when there is no cohort)."""
    if cf.cohort_size == 0:
        return [f"No item in this case is confirmed as violating yet ({number(found)} items found), so there is no cohort "
                "whose removal can be measured. Confirm items with `toolkit review` and record notices with "
                "`toolkit flag`."]
    checked = [w for w in waves if w.counts.items > w.counts.not_checked]
    if not checked:
        return [f"{number(cf.cohort_size)} {things(cf.items['kind'], cf.cohort_size)} are confirmed as violating; none has "
                f"been rechecked up to {day(as_of)}, so no removal rate can be given yet. Recheck them with "
                "`toolkit recheck`."]
    wave = checked[-1]
    # Only the columns the sentences read: the wave's rows of the whole frame were a copy of its
    # 21 columns (~35 MB at 100,000 items).
    rows = cf.frame.loc[cf.frame["wave_order"] == wave.order, ["platform", "kind", "channel", "noticed_at", "family",
                                                               "label"]]
    when = day(wave.started_at)
    # Compared as categories: the channels as text were a string per row (~10 MB at 100,000 items).
    # A missing channel (NaN) is not NOT_NOTICED, as its text "nan" was not.
    reported = (rows["channel"] != NOT_NOTICED).to_numpy()
    noticed = rows[reported]
    out = []
    if len(noticed):
        batches = noticed.assign(date=noticed["noticed_at"].str[:10]).groupby(
            ["platform", "channel", "date"], observed=True, sort=True)
        keys = sorted(batches.groups, key=lambda k: (-len(batches.groups[k]), k[2], k[0], k[1]))
        if len(keys) <= MAX_BATCHES:
            for platform, channel, date in sorted(keys, key=lambda k: (k[2], k[0], k[1])):
                part = batches.get_group((platform, channel, date))
                out.append(_sentence(f"{things(part['kind'], len(part))} {VERBS.get(channel, 'reported to')} "
                                     f"{platform_name(platform)} on {date}", part,
                                     when if when >= date else f"{when}, before they were reported"))
        else:
            first, last = day(noticed["noticed_at"].min()), day(noticed["noticed_at"].max())
            dates = f"on {first}" if first == last else f"between {first} and {last}"
            platforms = sorted(set(noticed["platform"].astype(str)))
            where = platform_name(platforms[0]) if len(platforms) == 1 else "the platforms"
            out.append(_sentence(f"{things(noticed['kind'], len(noticed))} reported to {where} {dates}",
                                 noticed, when))
    quiet = rows[~reported]
    if len(quiet):
        label = "confirmed as violating" if not len(noticed) else "confirmed as violating but never reported"
        out.append(_sentence(f"{things(quiet['kind'], len(quiet))} {label}", quiet, when))
    return out


def _sentence(subject: str, rows: pd.DataFrame, when: str) -> str:
    c = count(rows)
    n = len(rows)
    words = [f"Of the {number(n)} {subject},"]
    if c.known == 0:
        return f"{words[0]} none had a status that could be determined on {when}{_beside(c)}."
    if c.known == n:
        words.append(f"{number(c.live)} ({percent(c.still_live.p)}, 95% CI {ci(c.still_live)}) "
                     f"{'was' if c.live == 1 else 'were'} still live on {when};")
    else:
        words.append(f"{number(c.live)} of the {number(c.known)} whose status could be determined ({percent(c.still_live.p)}, "
                     f"95% CI {ci(c.still_live)}) {'was' if c.live == 1 else 'were'} still live on {when};")
    words.append(f"{number(c.gone)} of {number(c.known)} ({percent(c.removed.p)}, 95% CI {ci(c.removed)}) "
                 f"{'was' if c.gone == 1 else 'were'} no longer available{_beside(c)}.")
    return " ".join(words)


def _beside(c: Counts) -> str:
    """What is left out of the denominator, in words."""
    parts = []
    if c.ended:
        parts.append(f"{number(c.ended)} ended (sold)")
    if c.unknown:
        detail = ", ".join(f"{s} {k}" for s, k in c.unknown_statuses.items())
        parts.append(f"{number(c.unknown)} could not be determined ({detail})")
    if c.not_checked:
        parts.append(f"{number(c.not_checked)} {'was' if c.not_checked == 1 else 'were'} not checked in that wave")
    return ("; " + "; ".join(parts)) if parts else ""
