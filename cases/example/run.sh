#!/usr/bin/env bash
# The main job on the bundled example case: scan its exports, show what was found, write the report.
# Safe to run again: files already imported are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
case=cases/example
set -x
toolkit scan "$case" "$case/exports"
toolkit items "$case"
# Review: verdicts given in a spreadsheet (keyed by URL), imported as one reviewer. Safe to re-run:
# rows already applied are skipped. (`toolkit review "$case"` is the keyboard screen.)
toolkit review "$case" --import "$case/reviews.csv" --reviewer example-reviewer
# Flag: the confirmed pages were handed to the platform at its request on 2021-04-16.
toolkit flag "$case" --from "$case/notices.csv" --by example-reviewer
# The confirmed cohort, with the date and channel of its notice.
toolkit items "$case" --verdict violating

# Tagged by the shipped lexicons as they were scanned: the likely violations first.
toolkit items "$case" --min-score 20
# What the platform detectors see in saved pages: a page, its later "no disponible" copy, a login wall.
toolkit detect "$case/pages"

# Second wave, a month later: pages saved again on 2021-05-17 are matched to the tracked items
# (a saved page gives its detector's status; --all because this example has no reviews yet).
toolkit recheck "$case" --wave 2021-05-17 --all "$case/exports-wave2"
# Third wave: pages still unavailable are now confirmed gone (two waves in a row, [confirm] in
# case.toml); a group walled last time is visible again; the Marketplace listing is marked sold.
toolkit recheck "$case" --wave 2021-06-16 --all "$case/exports-wave3"
toolkit waves "$case"

toolkit report "$case" --as-of 2021-05-31
