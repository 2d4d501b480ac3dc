#!/usr/bin/env bash
# Starts the demo as plain processes on 127.0.0.1: PostgreSQL, Kafka (KRaft), the payment-provider
# stub and the five services. Each pid goes to $DEMO_RUN_DIR/pids/<name>.pid, each log to
# $DEMO_RUN_DIR/logs/<name>.log. Returns once everything answers (and the Kafka consumer has
# joined its group), or fails with the tail of the log that explains why.
#
# Does not start polytrace: the services export OTLP/HTTP to $OTEL_EXPORTER_OTLP_ENDPOINT
# (default http://127.0.0.1:4318). Run install.sh first. Fault switches: DEMO_FAULT, see README.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

T_ALL="$(now)"
RUN="$DEMO_RUN_DIR"
mkdir -p "$RUN/pids" "$RUN/logs"
RUN="$(cd "$RUN" && pwd)" # absolute: it goes into configs and env
DEMO_RUN_DIR="$RUN"

DEMO_FAULT="${DEMO_FAULT:-}"
case "$DEMO_FAULT" in
  "" | propagation-off | no-injection | no-service-name | clock-skew | sdk-mix | b3-propagation) ;;
  *) die "unknown DEMO_FAULT='$DEMO_FAULT' (propagation-off, no-injection, no-service-name, clock-skew, sdk-mix, b3-propagation)" ;;
esac
# A running demo keeps the fault it was started with: switching needs a stop first (stop.sh
# removes this file).
if [ -f "$RUN/fault" ] && [ "$(cat "$RUN/fault")" != "$DEMO_FAULT" ]; then
  die "the demo in $RUN runs with DEMO_FAULT='$(cat "$RUN/fault")'; run scripts/stop.sh first"
fi
if ! { [ -x "$DEMO_DIR/api-gateway/api-gateway" ] && [ -x "$DEMO_DIR/inventory-service/inventory-service" ] && [ -f "$JAVAAGENT_JAR" ] && [ -d "$KAFKA_LIBS" ] && [ -x "$VENV/bin/python" ]; }; then
  die "not installed: run demo/scripts/install.sh first"
fi
echo "$DEMO_FAULT" >"$RUN/fault"

# What every service shares. OTEL_SERVICE_NAME, OTEL_PROPAGATORS and OTEL_RESOURCE_ATTRIBUTES
# are cleared so a value inherited from the caller's shell cannot give all five services one
# name or change how they propagate; each service names itself.
unset OTEL_SERVICE_NAME OTEL_PROPAGATORS OTEL_RESOURCE_ATTRIBUTES
export OTEL_EXPORTER_OTLP_ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:4318}"
export OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf"
export OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-500}" # export every 0.5 s, not 5 s
export OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none      # the demo is about traces
# One generation of semantic conventions everywhere: Node's and Python's instrumentations still
# write the old HTTP and database keys (http.method, db.statement) unless asked for the stable
# ones that Go's otelhttp and the Java agent write (DEMO_FAULT=sdk-mix leaves one service out).
export OTEL_SEMCONV_STABILITY_OPT_IN="http,database"
# The propagation headers each server received, recorded on its span (http.request.header.*), so
# that a broken hop's report can say which formats each side used (DEMO_FAULT=b3-propagation).
PROPAGATION_HEADERS="traceparent,tracestate,b3,x-b3-traceid"
export PROPAGATION_HEADERS
export OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST="$PROPAGATION_HEADERS" # Python
export KAFKA_BROKERS="127.0.0.1:$PORT_KAFKA"
export DEMO_FAULT
log "fault: ${DEMO_FAULT:-none}; OTLP endpoint: $OTEL_EXPORTER_OTLP_ENDPOINT; run dir: $RUN"

running() { alive "$(pid_of "$1")"; }

# launch NAME PORT CMD...: runs CMD in the background in a session of its own (so stop.sh can
# signal the process and any children as one group) with its output in logs/NAME.log.
launch() {
  local name="$1" port="$2"
  shift 2
  if running "$name"; then
    log "   $name already running (pid $(pid_of "$name"))"
    return
  fi
  if port_open "$port"; then
    die "port $port (for $name) is taken by another process: free it (stop.sh for an older run?)"
  fi
  echo "=== $(date -Is) start (DEMO_FAULT=${DEMO_FAULT:-none}): $*" >>"$RUN/logs/$name.log"
  setsid "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name.pid"
  log "   $name started (pid $!, port $port)"
}

start_postgres() {
  local bin data="$RUN/postgres/data" as=()
  bin="$(pg_bindir)"
  [ -n "$bin" ] || die "PostgreSQL not installed: run install.sh"
  # PostgreSQL refuses to run as root: use the postgres account Debian's package creates.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run the database as"
    as=(runuser -u postgres --)
    mkdir -p "$RUN/postgres"
    chown postgres: "$RUN/postgres"
    touch "$RUN/logs/postgres.log" && chown postgres: "$RUN/logs/postgres.log"
    "${as[@]}" test -w "$RUN/postgres" || die "user postgres cannot write $RUN/postgres (a parent dir is not world-searchable?): set DEMO_RUN_DIR elsewhere"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >>"$RUN/logs/postgres.log" 2>&1 ||
      fail_with_log postgres "initdb failed"
  fi
  if "${as[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "   postgres already running"
  else
    port_open "$PORT_PG" && die "port $PORT_PG (postgres) is taken by another process"
    # TCP on 127.0.0.1 only, no Unix socket (its path could exceed the 107-byte limit in a deep run dir).
    "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$RUN/logs/postgres.log" -w -t 30 \
      -o "-p $PORT_PG -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null ||
      fail_with_log postgres "pg_ctl start failed"
  fi
  head -1 "$data/postmaster.pid" >"$RUN/pids/postgres.pid"
  # Database "users" for auth-service (create once; the seed itself is idempotent).
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -h 127.0.0.1 -p "$PORT_PG" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'users'")" ]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE users"
  fi
  "${psql[@]}" -d users -f "$DEMO_DIR/auth-service/db/seed.sql" >/dev/null
  log "   postgres ready on :$PORT_PG ($("${psql[@]}" -d users -c 'SELECT count(*) FROM users') users)"
}

start_kafka() {
  local dir="$RUN/kafka"
  mkdir -p "$dir"
  # The static config plus this run's data dir and ports (later keys win).
  {
    cat "$DEMO_DIR/kafka/server.properties"
    echo "log.dirs=$dir/data"
    echo "controller.quorum.voters=1@127.0.0.1:$PORT_KAFKA_CONTROLLER"
    echo "listeners=PLAINTEXT://127.0.0.1:$PORT_KAFKA,CONTROLLER://127.0.0.1:$PORT_KAFKA_CONTROLLER"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$PORT_KAFKA"
  } >"$dir/server.properties"
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$DEMO_DIR/kafka/log4j2.properties" -cp "$KAFKA_LIBS/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    # KRaft storage must be formatted once with a cluster id (22 chars of URL-safe base64). One
    # in 64 such ids starts with '-', which the tool's argument parser takes for an option (as
    # Kafka's own Uuid.randomUuid does, draw again).
    local cluster_id
    cluster_id="$(python3 -c '
import base64, uuid
while True:
    cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not cid.startswith("-"):
        print(cid)
        break
')"
    "${java[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >>"$RUN/logs/kafka.log" 2>&1 ||
      fail_with_log kafka "formatting Kafka storage failed"
  fi
  if ! running kafka && port_open "$PORT_KAFKA_CONTROLLER"; then
    die "port $PORT_KAFKA_CONTROLLER (Kafka controller) is taken by another process"
  fi
  launch kafka "$PORT_KAFKA" "${java[@]}" kafka.Kafka "$dir/server.properties"
}

start_services() {
  local py="$VENV/bin/python" reco_env=() pay_env=()
  # DEMO_FAULT=no-service-name needs nothing here: auth-service's tracing.js reads DEMO_FAULT
  # and leaves service.name out (OTEL_SERVICE_NAME is already unset above); nor does
  # b3-propagation, which the api-gateway reads.
  case "$DEMO_FAULT" in
    propagation-off) reco_env=(OTEL_PROPAGATORS=none) ;;
    sdk-mix) reco_env=(OTEL_SEMCONV_STABILITY_OPT_IN=) ;; # Python's default: the old HTTP keys
    clock-skew) reco_env=(DEMO_CLOCK_OFFSET_MS="${DEMO_CLOCK_OFFSET_MS:-1500}") ;;
    no-injection) pay_env=(DEMO_SKIP_INJECTION=1) ;;
  esac

  launch payment-provider "$PORT_PROVIDER" env PORT="$PORT_PROVIDER" "$py" "$DEMO_DIR/payment-provider/provider.py"

  launch auth-service "$PORT_AUTH" env -C "$DEMO_DIR/auth-service" PORT="$PORT_AUTH" \
    PGHOST=127.0.0.1 PGPORT="$PORT_PG" PGUSER=postgres PGDATABASE=users \
    node --require ./tracing.js app.js

  launch recommendation-service "$PORT_RECO" env -C "$DEMO_DIR/recommendation-service" PORT="$PORT_RECO" "${reco_env[@]}" \
    "$py" app.py

  # Java agent settings as -D flags, as the seed article shows; the agent's Kafka instrumentation
  # is off so the trace crosses Kafka only through the service's own inject() call.
  launch payment-service "$PORT_PAYMENT" env -C "$DEMO_DIR/payment-service" PORT="$PORT_PAYMENT" \
    PAYMENT_PROVIDER_URL="http://127.0.0.1:$PORT_PROVIDER" "${pay_env[@]}" \
    java -Xms64m -Xmx256m -javaagent:"$JAVAAGENT_JAR" \
    -Dotel.service.name=payment-service \
    -Dotel.resource.attributes=service.version=1.0.0,deployment.environment=demo \
    -Dotel.exporter.otlp.endpoint="$OTEL_EXPORTER_OTLP_ENDPOINT" \
    -Dotel.exporter.otlp.protocol=http/protobuf \
    -Dotel.traces.exporter=otlp -Dotel.metrics.exporter=none -Dotel.logs.exporter=none \
    -Dotel.bsp.schedule.delay="$OTEL_BSP_SCHEDULE_DELAY" \
    -Dotel.instrumentation.kafka.enabled=false \
    -Dotel.instrumentation.http.server.capture-request-headers="$PROPAGATION_HEADERS" \
    -jar target/payment-service.jar

  launch inventory-service "$PORT_INVENTORY" env PORT="$PORT_INVENTORY" \
    "$DEMO_DIR/inventory-service/inventory-service"

  launch api-gateway "$PORT_GATEWAY" env PORT="$PORT_GATEWAY" AUTH_URL="http://127.0.0.1:$PORT_AUTH" \
    RECOMMENDATION_URL="http://127.0.0.1:$PORT_RECO" PAYMENT_URL="http://127.0.0.1:$PORT_PAYMENT" \
    INVENTORY_URL="http://127.0.0.1:$PORT_INVENTORY" \
    "$DEMO_DIR/api-gateway/api-gateway"
}

start_notification() {
  launch notification-service "$PORT_NOTIFY" env -C "$DEMO_DIR/notification-service" PORT="$PORT_NOTIFY" \
    NOTIFICATION_OUTBOX="$RUN/outbox.log" node --require ./tracing.js app.js
}

wait_services() {
  wait_until payment-provider 20 http_ok "http://127.0.0.1:$PORT_PROVIDER/healthz"
  wait_until auth-service 30 http_ok "http://127.0.0.1:$PORT_AUTH/healthz" # answers once the DB does
  wait_until recommendation-service 30 http_ok "http://127.0.0.1:$PORT_RECO/healthz"
  wait_until inventory-service 20 http_ok "http://127.0.0.1:$PORT_INVENTORY/healthz"
  # Port only: the agent would trace every /healthz probe of the JDK server.
  wait_until payment-service 60 port_open "$PORT_PAYMENT"
  wait_until api-gateway 20 http_ok "http://127.0.0.1:$PORT_GATEWAY/healthz"
  # 200 only after the consumer joined its group: the first checkout's event will be consumed.
  wait_until notification-service 60 http_ok "http://127.0.0.1:$PORT_NOTIFY/healthz"
}

# Kafka's JVM is the slowest to come up: launch it first, set up PostgreSQL meanwhile.
step "kafka (launch)" start_kafka
step "postgres" start_postgres
step "services (launch)" start_services
step "wait: kafka" wait_until kafka 60 port_open "$PORT_KAFKA"
step "notification-service (launch)" start_notification
step "wait: services" wait_services
log "demo up in $(elapsed "$T_ALL"): curl 'http://127.0.0.1:$PORT_GATEWAY/checkout?user=alice&amount=42'"
