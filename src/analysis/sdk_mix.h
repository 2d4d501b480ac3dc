// What mixed SDK and instrumentation versions leave in one trace, the seed
// article's third pitfall made concrete:
// - services writing one domain's attributes (HTTP, database, messaging,
//   RPC) under different semantic-conventions generations, so that a search
//   for http.response.status_code misses the services that write
//   http.status_code;
// - server spans answering HTTP 4xx marked ERROR, as instrumentations did
//   before the stable HTTP conventions;
// - services still sending OTLP before 0.19 (instrumentation_library_spans);
// - a caller's tracestate that never reached its callee;
// - services without service.version (a warning).
// Each finding names the services, their SDK and instrumentation scope
// versions, the keys of each generation the trace contains, and what to change.
#pragma once

#include <vector>

#include "analysis/trace_analysis.h"

namespace polytrace::analysis {

// Fills each ServiceSummary's service_version, scopes, semconv and old_otlp
// from the spans (analysis->span_services must be set).
void SummarizeSdkUse(const AssembledTrace& trace, TraceAnalysis* analysis);

// The findings above, from the summaries and analysis->hops.
std::vector<Finding> FindSdkMix(const AssembledTrace& trace, const TraceAnalysis& analysis);

}  // namespace polytrace::analysis
