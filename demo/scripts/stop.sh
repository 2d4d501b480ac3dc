#!/usr/bin/env bash
# Stops everything start.sh started in $DEMO_RUN_DIR: the services first (so the Kafka consumer
# leaves its group and every SDK flushes its spans), then Kafka, then PostgreSQL (pg_ctl).
# SIGTERM to each process group, a deadline, then SIGKILL: nothing is left behind.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

T_ALL="$(now)"
RUN="$DEMO_RUN_DIR"
[ -d "$RUN/pids" ] || { log "nothing to stop in $RUN"; exit 0; }

# stop_group SECONDS NAME...: SIGTERM to each named component's process group, wait for all,
# SIGKILL what is still there at the deadline.
stop_group() {
  local secs="$1" name pid deadline left
  shift
  local pids=()
  for name in "$@"; do
    pid="$(pid_of "$name")"
    if [ -n "$pid" ] && { group_alive "$pid" || alive "$pid"; }; then
      # start.sh ran each one with setsid: its pid is also its process group id.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid:$name")
    fi
    rm -f "$RUN/pids/$name.pid"
  done
  ((${#pids[@]})) || return 0
  deadline=$((SECONDS + secs))
  while :; do
    left=()
    for entry in "${pids[@]}"; do
      { group_alive "${entry%%:*}" || alive "${entry%%:*}"; } && left+=("$entry")
    done
    ((${#left[@]})) || break
    if ((SECONDS >= deadline)); then
      for entry in "${left[@]}"; do
        log "   ${entry#*:} still running after ${secs}s: SIGKILL"
        kill -KILL -- "-${entry%%:*}" 2>/dev/null || kill -KILL "${entry%%:*}" 2>/dev/null || true
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  for entry in "${pids[@]}"; do log "   stopped ${entry#*:} (pid ${entry%%:*})"; done
}

stop_postgres() {
  local bin data="$RUN/postgres/data" as=() pid
  bin="$(pg_bindir)"
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
    # Fast shutdown: rolls back open transactions, then a clean checkpoint.
    "${as[@]}" "$bin/pg_ctl" -D "$data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
  fi
  pid="$(pid_of postgres)"
  if alive "$pid"; then # pg_ctl could not stop it: same escalation as the others
    stop_group 10 postgres
  else
    rm -f "$RUN/pids/postgres.pid"
    [ -n "$pid" ] && log "   stopped postgres (pid $pid)"
  fi
  return 0
}

step "services" stop_group 15 api-gateway notification-service payment-service recommendation-service auth-service inventory-service payment-provider
step "kafka" stop_group 30 kafka
step "postgres" stop_postgres
rm -f "$RUN/fault"
log "demo stopped in $(elapsed "$T_ALL")"
