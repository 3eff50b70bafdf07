#!/usr/bin/env bash
# The main job on the bundled example case (synthetic, fictional data), end to end:
# scan the exports, list the likely violations, confirm the cohort, record the notice to the
# platform, re-check it in two later waves from saved pages, and report the removal rate.
# Safe to run again: files and rows already recorded are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
case=cases/example
set -x

# 1. Scan: CrowdTangle, Zeeschuimer, URL lists and saved pages, tagged by the shipped lexicons.
toolkit scan "$case" "$case/exports"
# The likely violations first: score, category and the terms that scored them.
toolkit items "$case" --min-score 20

# 2. Review: verdicts given in a spreadsheet (keyed by URL), imported as one reviewer.
#    (`toolkit review "$case"` is the keyboard screen.)
toolkit review "$case" --import "$case/reviews.csv" --reviewer example-reviewer
# 3. Flag: the confirmed pages were handed to the platform at its request on 2021-04-16.
toolkit flag "$case" --from "$case/notices.csv" --by example-reviewer
# The confirmed cohort, with the date and channel of its notice.
toolkit items "$case" --verdict violating

# What the detectors see in saved pages: a page, its later "no disponible" copy, a login wall.
toolkit detect "$case/pages"

# 4. Recheck the cohort in waves, from pages saved again a month and two months later. Each wave's
#    pages include a canary (case.toml [canary]: a public page known to stay up): it reads live, so
#    the checker could see Facebook that day; had it read a login wall, the wave's Facebook checks
#    would be blind and counted as unknown.
toolkit recheck "$case" --wave 2021-05-17 "$case/exports-wave2"
toolkit recheck "$case" --wave 2021-06-16 "$case/exports-wave3"
# Per wave: confirmed gone = gone in two consecutive waves ([confirm] in case.toml).
toolkit waves "$case"
# The canary's reading in each wave.
toolkit canary list "$case"

# 5. Report: removal rates with 95% intervals, time to removal, audience, seller networks.
toolkit report "$case" --as-of 2021-06-30
