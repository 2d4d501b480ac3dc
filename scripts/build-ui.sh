#!/usr/bin/env bash
# Builds the web UI (ui/ -> ui/dist) that polytrace serves on :16686.
# Idempotent: npm ci only when the lock file changed, the build only when a
# source is newer than the last build.
set -euo pipefail
cd "$(dirname "$0")/../ui"
start=$SECONDS
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
if [ ! -f dist/index.html ] ||
  [ -n "$(find src public index.html package.json vite.config.ts tsconfig.json -newer dist/index.html 2>/dev/null | head -1)" ]; then
  npm run --silent build
fi
echo "build-ui: ui/dist ready ($((SECONDS - start))s)"
