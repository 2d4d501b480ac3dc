#!/usr/bin/env bash
# Builds Jaeger UI's static files (index.html + static/) from a jaeger-ui checkout, for
# bench/ui_bigtrace.sh to serve from a polytrace (JAEGER_UI_DIST) and measure beside our UI.
# It needs the jaeger-ui source, which CI does not have: this is a manual bench.
#
# usage: JAEGER_UI_SRC=/path/to/jaeger-ui bench/jaeger_ui_build.sh OUT_DIR
#   JAEGER_UI_SRC   a jaeger-ui git repository (work tree or bare), left untouched
#   JAEGER_UI_REF   the commit to build (default HEAD); printed with the result
#
# Tested with jaeger-ui c321fb32bbca0bdce9e8c2d40afb35abbf54c12b (2.20.0) on Node 20.20 and
# pnpm 10.34. jaeger-ui asks for Node >= 24 and pnpm 11 (which needs Node >= 22.13), but its
# build runs on Node 20.19+ (Vite 8's floor) with pnpm 10 once the engine check and pnpm's
# switch to the packageManager version are off. If the registry lacks the locked version of
# @assistant-ui/react-ag-ui (0.0.35 is gone from registry.npmjs.org), a stub replaces it: it
# only backs the AI assistant panel, which is off unless the backend advertises it.
set -euo pipefail
out=$(realpath -m "${1:?usage: JAEGER_UI_SRC=/path/to/jaeger-ui bench/jaeger_ui_build.sh OUT_DIR}")
src=${JAEGER_UI_SRC:?set JAEGER_UI_SRC to a jaeger-ui git repository}
ref=${JAEGER_UI_REF:-HEAD}
commit=$(git -C "$src" rev-parse "$ref^{commit}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git -C "$src" archive "$commit" | tar -x -C "$work"
cd "$work"
pnpm=(npx --yes pnpm@10.34.9 --config.engine-strict=false --config.manage-package-manager-versions=false)

install=(--frozen-lockfile)
ag_ui=$(node -p 'require("./packages/jaeger-ui/package.json").dependencies["@assistant-ui/react-ag-ui"] ?? ""')
if [[ -n $ag_ui ]] && ! npm view "@assistant-ui/react-ag-ui@$ag_ui" version 2>/dev/null | grep -q .; then
  echo "jaeger_ui_build: @assistant-ui/react-ag-ui@$ag_ui is not in the registry, stubbing it" >&2
  mkdir -p "$work/stub-react-ag-ui"
  echo '{"name": "@assistant-ui/react-ag-ui", "version": "0.0.0-stub", "type": "module", "main": "index.js"}' \
    >"$work/stub-react-ag-ui/package.json"
  echo 'export function useAgUiRuntime() { throw new Error("the AI assistant is not in this build"); }' \
    >"$work/stub-react-ag-ui/index.js"
  node -e '
    const fs = require("fs");
    const file = "packages/jaeger-ui/package.json";
    const pkg = JSON.parse(fs.readFileSync(file));
    pkg.dependencies["@assistant-ui/react-ag-ui"] = "file:" + process.argv[1];
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$work/stub-react-ag-ui"
  install=(--no-frozen-lockfile)
fi
"${pnpm[@]}" install "${install[@]}" --store-dir "$work/.pnpm-store"

cd packages/jaeger-ui
NODE_ENV=production REACT_APP_VSN_STATE="$(../../scripts/get-build-info.js)" ./node_modules/.bin/vite build
mkdir -p "$out"
cp -r build/. "$out"
echo "jaeger_ui_build: Jaeger UI $(node -p 'require("./package.json").version') at $commit in $out"
