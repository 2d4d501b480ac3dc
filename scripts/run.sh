#!/usr/bin/env bash
# One command: install what is missing, build (polytrace and its web UI), and run polytrace.
# Extra arguments go to polytrace (e.g. --config my.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release polytrace
scripts/build-ui.sh
exec build/release/src/polytrace "$@"
