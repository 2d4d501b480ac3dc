#!/usr/bin/env bash
# Installs what the interoperability tests need (idempotent, prints timings):
# a Python venv with the pinned SDK, the Node.js SDK (npm ci), the Go SDK
# program, the Java SDK program (Maven), the Rust SDK program (cargo), Jaeger
# v2 for the Jaeger parity test, and Debian's Chromium for the UI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
sdk=tests/interop/sdk

step() {
  local name="$1"
  shift
  local start=$SECONDS
  "$@"
  printf 'install-test-deps: %-28s %4ds\n' "$name" $((SECONDS - start))
}

python_deps() {
  [ -x .venv/bin/python ] || python3 -m venv .venv
  if ! cmp -s tests/requirements.txt .venv/.requirements.installed 2>/dev/null; then
    .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
    cp tests/requirements.txt .venv/.requirements.installed
  fi
}

node_deps() {
  # node-pre019: the JS SDK of 2021 (OTLP before 0.19), for the old-protocol test.
  for dir in $sdk/node $sdk/node-pre019; do
    if [ ! -d $dir/node_modules ] || [ $dir/package-lock.json -nt $dir/node_modules ]; then
      (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
      touch $dir/node_modules
    fi
  done
}

go_program() {
  (cd $sdk/go && go build -o send-spans .)
}

java_program() {
  if [ ! -d $sdk/java/target/classpath ] || [ $sdk/java/pom.xml -nt $sdk/java/target/classpath ] ||
     [ $sdk/java/src/main/java/SendSpans.java -nt $sdk/java/target/classes/SendSpans.class ]; then
    (cd $sdk/java && mvn -q -B package)
  fi
}

# Cargo builds into a target dir shared with demo/inventory-service (same
# crates, same features), so a warm machine compiles nothing.
rust_program() {
  local dir=$sdk/rust target=$HOME/.cache/polytrace/cargo-target
  if [ -x $dir/send-spans ] && [ $dir/send-spans -nt $dir/Cargo.lock ] && [ $dir/send-spans -nt $dir/Cargo.toml ] &&
     [ -z "$(find $dir/src -newer $dir/send-spans)" ]; then
    return
  fi
  (cd $dir && CARGO_TARGET_DIR=$target cargo build --release --locked --quiet)
  cp $target/release/send-spans $dir/send-spans
}

# Jaeger v2 (pinned in bench/jaeger/go.mod, built from the Go module proxy,
# cached by its go.sum): test_jaeger_parity.py asks it and polytrace the same
# questions.
jaeger_binary() {
  scripts/build-jaeger.sh >/dev/null
}

# The UI tests drive Debian's Chromium (playwright-core, no browser download).
chromium_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium ||
      { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium; }
  fi
}

step "python venv + SDK" python_deps
step "node SDK (npm ci)" node_deps
step "go SDK program" go_program
step "java SDK program (maven)" java_program
step "rust SDK program (cargo)" rust_program
step "jaeger v2 (go build)" jaeger_binary
step "chromium (apt)" chromium_browser
