#!/usr/bin/env bash
# The store's crash test at benchmark scale: 100 SIGKILLs at random moments
# under continuous ingest through the default pipeline (memory_limiter,
# batch, polytrace_store), then every acknowledged span checked present
# exactly once and `polytrace store check` clean. POLYTRACE_CRASH_SEED fixes
# the kill moments; the seed used is printed by pytest on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release polytrace
scripts/install-test-deps.sh
POLYTRACE_CRASH_KILLS="${POLYTRACE_CRASH_KILLS:-100}" .venv/bin/python -m pytest -q -s \
  tests/interop/test_store_crash.py
