#!/usr/bin/env bash
# The main job on the bundled example case: scan its exports, show what was found, write the report.
# Safe to run again: files already imported are skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
case=cases/example
set -x
toolkit scan "$case" "$case/exports"
toolkit items "$case"
toolkit report "$case" --as-of 2021-05-31
