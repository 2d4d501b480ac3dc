#!/usr/bin/env bash
# The one command: install the demo, build and start polytrace, start the six services, send a
# checkout and print its trace id once polytrace has the whole trace, then send ~1 checkout/s
# until Ctrl-C. On exit (Ctrl-C, TERM or an error) everything it started is stopped.
#
#   demo/run.sh                          # normal run
#   DEMO_FAULT=no-injection demo/run.sh  # with a fault switched on (see demo/README.md)
#   DEMO_SKIP_BUILD=1 demo/run.sh        # use the polytrace binary already built
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/scripts/lib.sh"

T_ALL="$(now)"
RUN="$DEMO_RUN_DIR"
mkdir -p "$RUN/logs" "$RUN/pids"
POLYTRACE="$REPO_DIR/build/release/src/polytrace"
API="http://127.0.0.1:16686"
PT_PID=""
TRAFFIC_PID=""
CLEANED=0

cleanup() {
  ((CLEANED)) && return
  CLEANED=1
  if alive "$TRAFFIC_PID"; then
    kill -TERM "$TRAFFIC_PID" 2>/dev/null || true # it prints its summary and exits
    wait "$TRAFFIC_PID" 2>/dev/null || true
  fi
  log "stopping the demo, then polytrace"
  # Services first: they flush their last spans into polytrace while it still runs.
  "$DEMO_DIR/scripts/stop.sh" || log "stop.sh failed (see above)"
  if alive "$PT_PID"; then
    kill -TERM "$PT_PID" 2>/dev/null || true # clean shutdown: polytrace seals its store
    local deadline=$((SECONDS + 30))
    while alive "$PT_PID" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$PT_PID"; then
      log "polytrace still running after 30s: SIGKILL"
      kill -KILL "$PT_PID" 2>/dev/null || true
    fi
    log "   stopped polytrace (pid $PT_PID)"
  fi
  rm -f "$RUN/pids/polytrace.pid"
}
trap cleanup EXIT
trap 'exit 130' INT # the EXIT trap does the cleaning
trap 'exit 143' TERM

step "install" "$DEMO_DIR/scripts/install.sh"

build_polytrace() {
  if [ "${DEMO_SKIP_BUILD:-}" = 1 ]; then
    log "   DEMO_SKIP_BUILD=1: using $POLYTRACE as built"
  else
    "$REPO_DIR/scripts/install-deps.sh"
    "$REPO_DIR/scripts/build.sh" release polytrace
    "$REPO_DIR/scripts/build-ui.sh"
  fi
  [ -x "$POLYTRACE" ] || die "no polytrace binary at $POLYTRACE"
}
step "build polytrace and its web UI" build_polytrace

start_polytrace() {
  local p
  for p in 4317 4318 8888 16686; do
    port_open "$p" && die "port $p is taken: is another polytrace (or collector) running? Stop it, or use scripts/start.sh on its own"
  done
  # Default config (OTLP in on :4317/:4318, store in ./data, query API on :16686), run from the
  # repository root. In a session of its own, so Ctrl-C reaches it only through cleanup().
  (cd "$REPO_DIR" && exec setsid "$POLYTRACE") >>"$RUN/logs/polytrace.log" 2>&1 </dev/null &
  PT_PID=$!
  echo "$PT_PID" >"$RUN/pids/polytrace.pid"
  wait_until polytrace 60 http_ok "http://127.0.0.1:8888/readyz"
}
step "polytrace" start_polytrace

step "demo services" "$DEMO_DIR/scripts/start.sh"

# The services one checkout's trace must show; a fault switch removes or renames one on purpose.
expected_services() {
  case "${DEMO_FAULT:-}" in
    propagation-off) echo "api-gateway auth-service inventory-service notification-service payment-service" ;; # recommendation-service: a trace of its own
    no-injection) echo "api-gateway auth-service inventory-service payment-service recommendation-service" ;;   # notification-service: a trace of its own
    no-service-name) echo "api-gateway inventory-service notification-service payment-service recommendation-service unknown_service:node" ;;
    b3-propagation) echo "api-gateway" ;; # every callee starts a trace of its own
    *) echo "api-gateway auth-service inventory-service notification-service payment-service recommendation-service" ;;
  esac
}
trace_services() { # the sorted service names in trace $1, empty while polytrace has none of it
  curl -sf --max-time 2 "$API/api/traces/$1" 2>/dev/null | python3 -c '
import json, sys
trace = json.load(sys.stdin)["data"][0]
print(" ".join(sorted({p["serviceName"] for p in trace["processes"].values()})), len(trace["spans"]))' 2>/dev/null || true
}

first_checkout() {
  local body want got deadline
  body="$(curl -s --max-time 20 "http://127.0.0.1:$PORT_GATEWAY/checkout?user=alice&amount=42")"
  TRACE_ID="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["trace_id"])' "$body" 2>/dev/null)" ||
    die "first checkout failed: $body"
  want="$(expected_services)"
  deadline=$((SECONDS + 60))
  # SDKs export in batches (every 0.5 s here), one service's spans possibly in several: poll
  # until every expected service is in and the span count has held still for a second.
  local last="" stable_since=0
  while :; do
    got="$(trace_services "$TRACE_ID")"
    if [ "${got% *}" = "$want" ]; then
      [ "$got" != "$last" ] && stable_since="$(now)"
      awk -v a="$stable_since" -v b="$(now)" 'BEGIN { exit !(b - a >= 1) }' && break
    fi
    last="$got"
    ((SECONDS < deadline)) || die "trace $TRACE_ID still incomplete after 60s: has [${got% *}], want [$want]"
    sleep 0.25
  done
  SPANS="${got##* }"
}
step "first checkout" first_checkout
# What a CI pipeline would assert: `polytrace verify` over that trace (with a fault switch on, it
# fails and names the fault).
log "polytrace verify --trace $TRACE_ID --expect demo/verify/checkout.yaml"
"$POLYTRACE" verify --trace "$TRACE_ID" --expect "$DEMO_DIR/verify/checkout.yaml" --wait 10s || true

cat <<EOF

  polytrace UI:      http://localhost:16686/trace/$TRACE_ID   (and the Jaeger/Tempo APIs for Grafana on the same port)
  first checkout:    trace $TRACE_ID  ($SPANS spans from: $(expected_services))
                     curl -s http://localhost:16686/api/traces/$TRACE_ID
                     $POLYTRACE traces get $TRACE_ID
  fault switch:      ${DEMO_FAULT:-none}
  logs:              $RUN/logs/
  ready in $(elapsed "$T_ALL"); now ~1 checkout/s. Ctrl-C stops everything.

EOF
# In the background + wait: a trapped INT/TERM interrupts `wait` at once, whereas bash would hold
# a trap until a foreground child exits. cleanup() then ends traffic.py with SIGTERM.
python3 "$DEMO_DIR/scripts/traffic.py" --rate "${DEMO_RATE:-1}" &
TRAFFIC_PID=$!
wait "$TRAFFIC_PID" || true
