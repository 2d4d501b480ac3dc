#!/usr/bin/env bash
# Builds the peer for store benchmarks: Jaeger v2 (cmd/jaeger of the Go
# module github.com/jaegertracing/jaeger, pinned in bench/jaeger/go.mod and
# go.sum) and prints its path. Cached by the hash of go.sum.
set -euo pipefail
cd "$(dirname "$0")/../bench/jaeger"
cache="${POLYTRACE_CACHE:-$HOME/.cache/polytrace}/jaeger"
if [ ! -f go.sum ]; then
  go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0 >&2
fi
hash=$(sha256sum go.sum | cut -c1-16)
binary="$cache/$hash/jaeger"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
start=$SECONDS
mkdir -p "$cache/$hash"
go build -o "$binary" github.com/jaegertracing/jaeger/cmd/jaeger >&2
echo "build-jaeger: built in $((SECONDS - start))s" >&2
echo "$binary"
