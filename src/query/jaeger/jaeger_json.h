// The Jaeger query service's JSON model (what /api/traces returns), written
// from assembled OTLP traces the way Jaeger translates OTLP: span kind and
// status as tags (`span.kind`, `otel.status_code`, `error`), scope as
// `otel.scope.name`/`otel.scope.version`, trace_state as `w3c.tracestate`,
// events as logs (an `event` field first), the parent as a CHILD_OF
// reference and links as FOLLOWS_FROM, resource attributes as process tags.
// Times are microseconds. Warnings, numbers beyond JavaScript's safe
// integers and IPv4 addresses given as numbers as Jaeger's query service
// writes them.
#pragma once

#include <span>
#include <string>
#include <unordered_map>
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

// A trace's processes as Jaeger names them: one per distinct resource
// (service and attributes), "p1", "p2", ... in the order first met. Each is
// kept as its JSON, not as the resource: a streamed trace's pieces (and
// their resources) are gone by the time the processes are written.
class JaegerProcesses {
 public:
  // `resource`'s process ID, known by its address until ForgetAddresses
  // (the resources it was given may be gone and their memory reused).
  const std::string& IdOf(const ResourceSpans& resource);
  void ForgetAddresses() { by_address_.clear(); }
  // The "processes" object.
  void Write(JsonWriter& out) const;

 private:
  std::unordered_map<std::string, size_t> ids_;  // encoded resource -> index
  // A trace's spans share a few resources: each one's index, by address
  // (encoding the resource for every span was most of writing its process).
  std::unordered_map<const ResourceSpans*, size_t> by_address_;
  std::vector<std::pair<std::string, std::string>> processes_;  // id, JSON
  std::string key_;
};

// One span in Jaeger's model, with the warnings Jaeger would give it
// (jaeger_warnings.h): from its times, its orphan and duplicate marks and
// `clock_skew` (JaegerClockSkewDeltas; 0: none).
void WriteJaegerSpan(const AssembledSpan& span, const std::string& process_id, JsonWriter& out,
                     int64_t clock_skew = 0);

// {"data": <data>, "total": N, "limit": 0, "offset": 0, "errors": null}:
// Jaeger's envelope around every response.
//
// Jaeger counts in "total" the services and operations it lists, and
// nothing else: its traces (by ID, by IDs, a search) and dependencies
// answer "total": 0, and so do these.
inline constexpr size_t kJaegerTotalNotCounted = 0;
std::string JaegerEnvelope(std::string_view data_json, size_t total);
// The same envelope written in place around what goes into `w` between
// the two (a search's answer, hundreds of KiB, not copied again).
void OpenJaegerEnvelope(JsonWriter& w);
std::string CloseJaegerEnvelope(JsonWriter& w, size_t total);
// The same, its "errors" naming the traces asked by ID that are not stored
// ({"msg": "trace not found", "traceID": ...} each, as Jaeger's; null when
// none is missing).
std::string CloseJaegerEnvelope(JsonWriter& w, size_t total, std::span<const TraceId> not_found);
// The envelope of an error: data null, errors [{code, msg}].
std::string JaegerError(int code, std::string_view message);

}  // namespace polytrace::query
