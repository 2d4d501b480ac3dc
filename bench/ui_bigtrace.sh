#!/usr/bin/env bash
# Big traces in the web UI: time to first paint and to interactive, and the
# browser's JS heap, for traces of 1k, 10k, 100k (and, with
# BIGTRACE_SIZES=...,1000000, 1M) spans, in Debian's Chromium against a
# polytrace started here on free ports. The figures come from
# ui/tests/bigtrace.mjs (one JSON line per size).
# usage: bench/ui_bigtrace.sh   (after scripts/build.sh release && scripts/build-ui.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(port) query=$(port) metrics=$(port)
cat >"$work/config.yaml" <<EOC
receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:$http"}}}}
processors: {batch: {}}
exporters: {polytrace_store: {directory: "$work/data"}}
extensions: {polytrace_query: {endpoint: "127.0.0.1:$query", ui_directory: "$root/ui/dist"}}
service:
  extensions: [polytrace_query]
  pipelines: {traces: {receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry: {metrics: {address: "127.0.0.1:$metrics"}}
EOC
build/release/src/polytrace --config "$work/config.yaml" >"$work/polytrace.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$metrics/readyz" >/dev/null && break; sleep 0.1; done
POLYTRACE_URL="http://127.0.0.1:$query" POLYTRACE_OTLP="http://127.0.0.1:$http" \
  node ui/tests/bigtrace.mjs
