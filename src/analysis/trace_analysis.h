// Trace analysis: what is wrong with one assembled trace, in the words a
// user needs to fix it. Answers what Jaeger and Tempo leave to the reader:
// which services are in the trace (and which SDK, language and semantic
// conventions each uses), which service hops are valid, where a parent is
// missing, which service reports no `service.name`, which clock is skewed
// and by how much, which calls went out but were never answered inside
// the trace (where context propagation may have broken; see
// propagation_search.h for the store-wide follow-up), and where SDK and
// instrumentation versions disagree (sdk_mix.h).
//
// Shared by `polytrace verify`, the query API (/api/analysis/traces/{id})
// and, later, the UI's health panel.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/trace_assembly.h"
#include "semconv/semconv_keys.h"

namespace polytrace::analysis {

struct AnalysisOptions {
  // A child may start this much before its parent (or a server span end
  // this much after its client span) before the difference counts as skew.
  uint64_t skew_tolerance_nanos = 50'000'000;
  // A consumer joined through a broker may start this long after its producer.
  uint64_t async_window_nanos = 60'000'000'000;
  size_t max_findings_per_kind = 20;
};

enum class FindingKind {
  kOrphan,              // the parent span ID is not in the trace
  kDuplicateSpanId,     // two spans share an ID
  kMissingServiceName,  // no service.name, or `unknown_service:*`
  kInvalidHop,          // a cross-service parent/child pair that is not client->server or
                        // producer->consumer
  kClockSkew,           // a service's spans sit outside their caller's window
  kChildBeforeParent,   // same service, so same clock: an instrumentation fault
  kBrokenPropagation,   // a call answered by a span that started a trace of its own
  // SDK and instrumentation versions that disagree (see sdk_mix.h):
  kSemconvMix,             // services write one domain's attributes under different generations
  kStatusMapping,          // a server span with an HTTP 4xx marked ERROR (pre-stable mapping)
  kOldOtlp,                // a service sends OTLP before 0.19 (instrumentation_library_spans)
  kTracestateDropped,      // the caller's tracestate did not reach the callee
  kMissingServiceVersion,  // no service.version: a warning, not a failure by default
};
std::string_view FindingKindName(FindingKind kind);

struct Finding {
  FindingKind kind = FindingKind::kOrphan;
  std::string message = {};       // readable; names the spans, services and hop at fault
  std::vector<int> spans = {};    // indices into AssembledTrace::spans
  std::string service = {};       // the service at fault (the callee for hops)
  std::string peer_service = {};  // the caller, for hops
  int64_t offset_nanos = 0;  // kClockSkew: estimated offset of `service` against `peer_service`
  std::string other_trace_id = {};  // kBrokenPropagation: the detached trace and its root
  std::string other_span_id = {};
};

struct ServiceSummary {
  std::string name;  // as shown: service.name or "unknown_service"
  bool missing_name = false;
  std::string language;  // telemetry.sdk.language
  std::string sdk_name;
  std::string sdk_version;
  std::string service_version;        // service.version
  std::set<std::string> schema_urls;  // resource and scope schema URLs: semconv versions
  std::set<std::string> scopes;       // instrumentation scopes: "name version"
  // Per domain, the attribute keys of each semantic-conventions generation
  // that this service's spans carry, and the scopes that wrote them.
  struct SemconvUse {
    std::set<std::string> old_keys;
    std::set<std::string> stable_keys;
    std::set<std::string> old_scopes;
    std::set<std::string> stable_scopes;
    int example_old_span = -1;
    int example_stable_span = -1;
    // "old", "stable", or "dup" (both, as OTEL_SEMCONV_STABILITY_OPT_IN=http/dup writes).
    std::string_view Generation() const;
  };
  std::map<semconv::Domain, SemconvUse> semconv;
  bool old_otlp = false;  // sent in OTLP before 0.19
  size_t spans = 0;
  size_t errors = 0;
};

// A cross-service parent -> child edge.
struct Hop {
  int parent = -1;
  int child = -1;
  std::string from;
  std::string to;
  bool valid = true;  // client -> server or producer -> consumer
};

struct TraceAnalysis {
  std::vector<ServiceSummary> services;  // in order of first span
  std::vector<Hop> hops;
  // CLIENT and PRODUCER spans with no child in another service: calls to
  // uninstrumented peers (databases, third parties) or broken propagation.
  std::vector<int> unanswered_calls;
  // The store-wide search (propagation_search.h) looked at only some of
  // them (a trace with thousands of calls to uninstrumented peers).
  bool propagation_search_limited = false;
  std::vector<Finding> findings;
  // The service each span is attributed to, by index (ServiceSummary::name).
  std::vector<std::string> span_services;
};

TraceAnalysis AnalyzeTrace(const AssembledTrace& trace, const AnalysisOptions& options = {});

// `server span 3f2a9c1e5b7d0a11 (recommendation-service: GET /recommendations)`.
std::string SpanLabel(const AssembledTrace& trace, const TraceAnalysis& analysis, int index);

}  // namespace polytrace::analysis
