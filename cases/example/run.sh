#!/usr/bin/env bash
# The main job on the bundled example case: scan its exports, then show what was found.
# Safe to run again: files already imported are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
case=cases/example
set -x
toolkit scan "$case" "$case/exports"
toolkit items "$case"
# What the platform detectors see in saved pages: a page, its later "no disponible" copy, a login wall.
toolkit detect "$case/pages"
