#!/usr/bin/env bash
# Builds polytrace. Usage: scripts/build.sh [release|asan|tsan|fuzz|bench] [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build "build/$preset" -- "$@"
