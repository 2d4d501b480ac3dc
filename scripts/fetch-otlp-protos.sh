#!/usr/bin/env bash
# Unpacks the OTLP .proto files (Maven artifact io.opentelemetry.proto:
# opentelemetry-proto, pinned) into DEST, for the libprotobuf oracle and the
# codec benchmark only: polytrace itself does not need them.
set -euo pipefail
dest="${1:?usage: fetch-otlp-protos.sh DEST}"
version=1.11.0-alpha
if [ -f "$dest/opentelemetry/proto/trace/v1/trace.proto" ]; then exit 0; fi
jar="$HOME/.m2/repository/io/opentelemetry/proto/opentelemetry-proto/$version/opentelemetry-proto-$version.jar"
if [ ! -f "$jar" ]; then
  mvn -q -B dependency:get -Dartifact="io.opentelemetry.proto:opentelemetry-proto:$version" >&2
fi
mkdir -p "$dest"
unzip -q -o "$jar" 'opentelemetry/proto/common/*' 'opentelemetry/proto/resource/*' \
  'opentelemetry/proto/trace/*' 'opentelemetry/proto/collector/trace/*' -d "$dest"
