// The Jaeger query service's JSON model (what /api/traces returns), written
// from assembled OTLP traces the way Jaeger translates OTLP: span kind and
// status as tags (`span.kind`, `otel.status_code`, `error`), scope as
// `otel.scope.name`/`otel.scope.version`, trace_state as `w3c.tracestate`,
// events as logs (an `event` field first), the parent as a CHILD_OF
// reference and links as FOLLOWS_FROM, resource attributes as process tags.
// Times are microseconds. Orphans and duplicate span IDs become warnings.
#pragma once

#include <string>
#include <vector>

#include "analysis/trace_assembly.h"
#include "otlp/json_writer.h"

namespace polytrace::query {

using analysis::AssembledSpan;
using analysis::AssembledTrace;
using analysis::AssembleTrace;

// Jaeger-style trace IDs: 16 hex digits when the high half is zero.
std::string JaegerTraceIdHex(const TraceId& id);

void WriteJaegerTrace(const AssembledTrace& trace, JsonWriter& out);

// {"data": <data>, "total": N, "limit": 0, "offset": 0, "errors": null}:
// Jaeger's envelope around every response.
std::string JaegerEnvelope(std::string_view data_json, size_t total);
// The envelope of an error: data null, errors [{code, msg}].
std::string JaegerError(int code, std::string_view message);

}  // namespace polytrace::query
