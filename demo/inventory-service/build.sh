#!/usr/bin/env bash
# Builds inventory-service (cargo build --release --locked) into the target
# dir shared with tests/interop/sdk/rust ($HOME/.cache/polytrace/cargo-target)
# and copies the binary next to this script (gitignored). Skips the build when
# the binary is newer than Cargo.toml, Cargo.lock and src/. Extra arguments go
# to cargo (e.g. ./build.sh -j1).
set -euo pipefail
cd "$(dirname "$0")"
target=$HOME/.cache/polytrace/cargo-target
if [ -x inventory-service ] && [ inventory-service -nt Cargo.lock ] && [ inventory-service -nt Cargo.toml ] &&
   [ -z "$(find src -newer inventory-service)" ]; then
  echo "inventory-service: up to date"
  exit 0
fi
start=$SECONDS
CARGO_TARGET_DIR=$target cargo build --release --locked --quiet "$@"
cp "$target/release/inventory-service" inventory-service
echo "inventory-service: built in $((SECONDS - start))s"
