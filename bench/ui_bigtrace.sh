#!/usr/bin/env bash
# Big traces in the web UI: time to first paint and to interactive, and the
# browser's JS heap, for traces of 1k, 10k, 100k (and, with
# BIGTRACE_SIZES=...,1000000, 1M) spans, in Debian's Chromium against a
# polytrace started here on free ports. The figures come from
# ui/tests/bigtrace.mjs (one JSON line per size).
#
# With JAEGER_UI_DIST=/path/to/dist (a Jaeger UI build: bench/jaeger_ui_build.sh),
# a second polytrace, started once the first has stopped, serves that build as
# its UI; ui/tests/bigtrace_jaeger.mjs measures Jaeger UI opening traces of the
# same sizes through polytrace's Jaeger API, and a table sets the two side by side.
# usage: bench/ui_bigtrace.sh   (after scripts/build.sh release && scripts/build-ui.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
pid=
trap 'stop_polytrace; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_polytrace NAME UI_DIRECTORY: a polytrace on free ports keeping its data
# in $work/NAME; sets pid, otlp_url and query_url once it is ready.
start_polytrace() {
  local dir=$work/$1 ui=$2 http query metrics
  http=$(port) query=$(port) metrics=$(port)
  mkdir -p "$dir"
  cat >"$dir/config.yaml" <<EOC
receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:$http"}}}}
processors: {batch: {}}
exporters: {polytrace_store: {directory: "$dir/data"}}
extensions: {polytrace_query: {endpoint: "127.0.0.1:$query", ui_directory: "$ui"}}
service:
  extensions: [polytrace_query]
  pipelines: {traces: {receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry: {metrics: {address: "127.0.0.1:$metrics"}}
EOC
  build/release/src/polytrace --config "$dir/config.yaml" >"$dir/polytrace.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$metrics/readyz" >/dev/null && break; sleep 0.1; done
  otlp_url="http://127.0.0.1:$http" query_url="http://127.0.0.1:$query"
}

stop_polytrace() {
  [[ -z $pid ]] && return
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

if [[ -n ${JAEGER_UI_DIST:-} && ! -f ${JAEGER_UI_DIST}/index.html ]]; then
  echo "ui_bigtrace: no index.html in JAEGER_UI_DIST=$JAEGER_UI_DIST (see bench/jaeger_ui_build.sh)" >&2
  exit 2
fi
start_polytrace ours "$root/ui/dist"
if [[ -z ${JAEGER_UI_DIST:-} ]]; then
  POLYTRACE_URL=$query_url POLYTRACE_OTLP=$otlp_url node ui/tests/bigtrace.mjs
  exit
fi

ours_status=0 jaeger_status=0
POLYTRACE_URL=$query_url POLYTRACE_OTLP=$otlp_url node ui/tests/bigtrace.mjs |
  tee "$work/ours.jsonl" || ours_status=$?
stop_polytrace
start_polytrace jaeger "$root/ui/dist"
# Jaeger UI is served as Jaeger serves it (its files, /api/* passed to this polytrace): under
# polytrace's Content-Security-Policy its page cannot set the <base> it needs.
jaeger_port=$(port)
JAEGER_UI_DIST=$(realpath "$JAEGER_UI_DIST") POLYTRACE_URL=$query_url \
  node ui/tests/lib/jaeger_ui_server.mjs "$jaeger_port" >"$work/jaeger-ui-server.log" 2>&1 &
jaeger_ui_pid=$!
for _ in $(seq 100); do grep -q listening "$work/jaeger-ui-server.log" && break; sleep 0.1; done
JAEGER_UI_URL=http://127.0.0.1:$jaeger_port POLYTRACE_OTLP=$otlp_url node ui/tests/bigtrace_jaeger.mjs |
  tee "$work/jaeger.jsonl" || jaeger_status=$?
kill "$jaeger_ui_pid" 2>/dev/null || true
stop_polytrace

# Ours beside Jaeger UI's, per size; ratio = ours / Jaeger UI's (below 1: ours is less).
python3 - "$work/ours.jsonl" "$work/jaeger.jsonl" <<'EOPY'
import json, sys

def load(path):
    with open(path) as f:
        return {r["spans"]: r for r in map(json.loads, filter(str.strip, f))}

ours, jaeger = load(sys.argv[1]), load(sys.argv[2])
metrics = [("first paint ms", "firstPaintMs"), ("interactive ms", "interactiveMs"), ("heap MB", "heapMB")]
print()
print("| spans | " + " | ".join(f"{name}, ours / Jaeger UI | ratio" for name, _ in metrics) + " |")
print("|---:|" + "---:|---:|" * len(metrics))
for n in sorted(ours.keys() | jaeger.keys()):
    cells = [f"{n:,}"]
    for _, key in metrics:
        a, b = (side.get(n, {}).get(key) for side in (ours, jaeger))
        cells.append(" / ".join("failed" if v is None else f"{v:,}" for v in (a, b)))
        cells.append(f"{a / b:.2f}" if a is not None and b else "")
    print("| " + " | ".join(cells) + " |")
for name, side in (("polytrace UI", ours), ("Jaeger UI", jaeger)):
    for n, r in sorted(side.items()):
        if "error" in r:
            print(f"{name}, {n:,} spans: {r['error']}")
EOPY
exit $((ours_status || jaeger_status))
