# shellcheck shell=bash disable=SC2034  # (the variables are used by the scripts that source this)
# Helpers sourced by install.sh, start.sh, stop.sh and run.sh (bash only, not run on its own).

DEMO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$DEMO_DIR/.." && pwd)"
DEMO_CACHE="${DEMO_CACHE_DIR:-$DEMO_DIR/.cache}"
DEMO_RUN_DIR="${DEMO_RUN_DIR:-$DEMO_DIR/.run}"

# Pinned here (the other pins live in each service's manifest: go.mod, package.json,
# requirements.txt, pom.xml; Kafka's in demo/kafka/pom.xml).
JAVAAGENT_VERSION="2.31.0"
JAVAAGENT_JAR="$DEMO_CACHE/otel/opentelemetry-javaagent-$JAVAAGENT_VERSION.jar"
KAFKA_LIBS="$DEMO_CACHE/kafka/libs"
VENV="$DEMO_DIR/.venv"

# Ports (all on 127.0.0.1). DEMO_PORT_OFFSET shifts every one of them, so a second demo (a UI
# developer's, say) can run beside the first. All below Linux's ephemeral range (32768-60999):
# PostgreSQL was on 55432 and once could not bind it because a client socket had drawn it.
OFF="${DEMO_PORT_OFFSET:-0}"
PORT_GATEWAY=$((8080 + OFF)) PORT_AUTH=$((8081 + OFF)) PORT_RECO=$((8082 + OFF))
PORT_PAYMENT=$((8083 + OFF)) PORT_NOTIFY=$((8084 + OFF)) PORT_PROVIDER=$((8085 + OFF))
PORT_INVENTORY=$((8086 + OFF))
PORT_PG=$((15432 + OFF)) PORT_KAFKA=$((9092 + OFF)) PORT_KAFKA_CONTROLLER=$((9093 + OFF))

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# step NAME CMD...: runs one step and says how long it took.
step() {
  local name="$1" t0
  shift
  t0="$(now)"
  log "-> $name"
  "$@"
  log "   $name: done in $(elapsed "$t0")"
}

# The directory holding initdb/pg_ctl/postgres: Debian keeps them off PATH, in
# /usr/lib/postgresql/<major>/bin. Empty when PostgreSQL is not installed.
pg_bindir() {
  local p
  if p="$(command -v initdb 2>/dev/null)"; then
    dirname "$(readlink -f "$p")"
    return
  fi
  for p in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [ -x "$p/initdb" ] && { echo "$p"; return; }
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_ok() { curl -sf -o /dev/null --max-time 2 "$1"; }
# A process that exists and is not a zombie (an exited child whose parent has not reaped it yet:
# pid 1 of some containers reaps late, and a zombie holds no port, file or lock).
alive() {
  local st
  [ -n "${1:-}" ] && st="$(ps -o stat= -p "$1" 2>/dev/null)" && [ -n "$st" ] && [ "${st:0:1}" != Z ]
}
# Some live (non-zombie) process in process group $1: a service plus any children it spawned.
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }
pid_of() { cat "$DEMO_RUN_DIR/pids/$1.pid" 2>/dev/null || true; }

# fail_with_log NAME MESSAGE: the error plus the end of that component's log.
fail_with_log() {
  local logf="$DEMO_RUN_DIR/logs/$1.log"
  log "ERROR: $2" >&2
  if [ -f "$logf" ]; then
    echo "----- last 30 lines of $logf -----" >&2
    tail -n 30 "$logf" >&2
    echo "-----" >&2
  fi
  log "(whatever did start is still running: scripts/stop.sh stops it)" >&2
  exit 1
}

# wait_until NAME SECONDS CHECK...: polls CHECK every 0.2 s until it succeeds. Fails at the
# deadline, or at once if the component's recorded process has died.
wait_until() {
  local name="$1" secs="$2" t0 deadline pid
  shift 2
  t0="$(now)"
  deadline=$((SECONDS + secs))
  until "$@"; do
    pid="$(pid_of "$name")"
    if [ -n "$pid" ] && ! alive "$pid"; then
      fail_with_log "$name" "$name exited while starting"
    fi
    if ((SECONDS >= deadline)); then
      fail_with_log "$name" "$name not ready after ${secs}s (check: $*)"
    fi
    sleep 0.2
  done
  log "   $name ready ($(elapsed "$t0"))"
}
