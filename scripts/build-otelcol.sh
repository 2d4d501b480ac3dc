#!/usr/bin/env bash
# Builds the reference otelcol (the OpenTelemetry Collector's builder, pinned
# version, from the Go module proxy) and prints its path. Cached by the hash
# of the manifest: a second run only prints the path.
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=tests/interop/otelcol/builder-config.yaml
cache="${POLYTRACE_CACHE:-$HOME/.cache/polytrace}/otelcol"
hash=$(sha256sum "$manifest" | cut -c1-16)
binary="$cache/$hash/otelcol-polytrace-ref"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
start=$SECONDS
mkdir -p "$cache/$hash" "$cache/bin"
GOBIN="$cache/bin" go install go.opentelemetry.io/collector/cmd/builder@v0.161.0 >&2
work=$(mktemp -d)
cp "$manifest" "$work/builder-config.yaml"
(cd "$work" && "$cache/bin/builder" --config builder-config.yaml >&2)
cp "$work/otelcol-build/otelcol-polytrace-ref" "$binary"
rm -rf "$work"
echo "build-otelcol: built in $((SECONDS - start))s" >&2
echo "$binary"
