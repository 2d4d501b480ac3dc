#!/usr/bin/env bash
# Installs what the demo's services need (Debian 12; go, node+npm, Java 17 + Maven, python3
# expected on the machine). Idempotent: each step is skipped when its inputs have not changed,
# so a second run takes seconds. Non-interactive (fine with CI=true).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

T_ALL="$(now)"

need_tools() {
  local missing=()
  for t in go node npm java mvn python3 curl; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (the demo needs go, node+npm, Java 17 + Maven, python3, curl)"
}

# Fingerprint of some files, to know whether a step must run again.
fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# Maven 3.8 prints ANSI resets even in batch mode (-B -q): strip them from the script's output.
mvnq() { mvn -q -B "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_postgres() {
  if [ -n "$(pg_bindir)" ]; then
    log "   PostgreSQL present ($(pg_bindir))"
    return
  fi
  # Debian's server package; start.sh runs a private cluster, not the one the package creates.
  apt_install postgresql
  [ -n "$(pg_bindir)" ] || die "postgresql installed but initdb not found"
}

install_python() {
  local req="$DEMO_DIR/recommendation-service/requirements.txt" fp
  fp="$(fingerprint "$req")"
  if stamp_ok "$VENV/.requirements.sha256" "$fp"; then
    log "   venv up to date ($VENV)"
    return
  fi
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt_install python3-venv # Debian splits venv/ensurepip out of python3
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req"
  echo "$fp" >"$VENV/.requirements.sha256"
}

install_node() {
  local svc dir fp
  for svc in auth-service notification-service; do
    dir="$DEMO_DIR/$svc"
    fp="$(fingerprint "$dir/package-lock.json")"
    if stamp_ok "$dir/node_modules/.demo-lock.sha256" "$fp"; then
      log "   $svc: node_modules up to date"
      continue
    fi
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$fp" >"$dir/node_modules/.demo-lock.sha256"
  done
}

install_go() {
  local dir="$DEMO_DIR/api-gateway"
  # go build is incremental anyway; skipping it entirely keeps the second run instant.
  if [ -x "$dir/api-gateway" ] && [ -z "$(find "$dir" -maxdepth 1 \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -newer "$dir/api-gateway")" ]; then
    log "   api-gateway binary up to date"
    return
  fi
  (cd "$dir" && go build -o api-gateway .)
}

install_java() {
  local dir="$DEMO_DIR/payment-service"
  if [ -f "$dir/target/payment-service.jar" ] && [ -z "$(find "$dir/pom.xml" "$dir/src" -newer "$dir/target/payment-service.jar" | head -1)" ]; then
    log "   payment-service.jar up to date"
  else
    (cd "$dir" && mvnq package)
  fi

  # The OpenTelemetry Java agent, from Maven Central, into the cache.
  if [ -f "$JAVAAGENT_JAR" ]; then
    log "   Java agent $JAVAAGENT_VERSION cached"
  else
    mkdir -p "$(dirname "$JAVAAGENT_JAR")"
    mvnq org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="io.opentelemetry.javaagent:opentelemetry-javaagent:$JAVAAGENT_VERSION" \
      -DoutputDirectory="$(dirname "$JAVAAGENT_JAR")"
    [ -f "$JAVAAGENT_JAR" ] || die "Java agent not fetched to $JAVAAGENT_JAR"
  fi
}

install_kafka() {
  local pom="$DEMO_DIR/kafka/pom.xml" fp
  fp="$(fingerprint "$pom")"
  if stamp_ok "$KAFKA_LIBS/.pom.sha256" "$fp"; then
    local jars=("$KAFKA_LIBS"/*.jar)
    log "   Kafka jars cached (${#jars[@]} jars)"
    return
  fi
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  mvnq -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  echo "$fp" >"$KAFKA_LIBS/.pom.sha256"
}

install_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup or Debian's cargo)"
  # Dependencies are shared with tests/interop/sdk/rust in ~/.cache/polytrace/cargo-target.
  "$DEMO_DIR/inventory-service/build.sh"
}

step "tools" need_tools
step "postgresql" install_postgres
step "python (recommendation-service)" install_python
step "node (auth-service, notification-service)" install_node
step "go (api-gateway)" install_go
step "rust (inventory-service)" install_rust
step "java (payment-service + OpenTelemetry Java agent)" install_java
step "kafka (broker jars)" install_kafka
log "install: everything in place in $(elapsed "$T_ALL")"
