#!/usr/bin/env bash
# The main job on the bundled example case: scan its exports, then show what was found.
# Safe to run again: files already imported are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
case=cases/example
set -x
toolkit scan "$case" "$case/exports"
toolkit items "$case"
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
