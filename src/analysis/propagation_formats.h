// Which context-propagation header formats each side of a broken hop used,
// as far as the spans tell: headers the callee's instrumentation captured
// (http.request.header.*, messaging.header.*, rpc.grpc.request.metadata.*),
// the caller's tracestate that the callee lacks, or a 64-bit trace ID (as
// B3/Zipkin and Jaeger clients make). When nothing tells, it says so and how
// to make the spans tell next time.
#pragma once

#include <string>
#include <vector>

#include "core/traces.h"

namespace polytrace::analysis {

// What a callee's root span shows about the headers it received.
struct PropagationEvidence {
  // Propagation headers among the captured request headers, normalized
  // (lowercase, '-'): traceparent, tracestate, b3, x-b3-traceid, uber-trace-id, ...
  std::vector<std::string> headers;
  std::string traceparent;      // the captured traceparent value, if any
  std::string trace_state;      // the span's own tracestate
  bool short_trace_id = false;  // the upper 64 bits of its trace ID are zero
};

PropagationEvidence ReadPropagationEvidence(const Span& callee_root);

// One sentence for a broken hop from `call` (in `caller`) to the root span
// of another trace (in `callee`).
std::string ExplainPropagationFormats(const Span& call, const std::string& caller,
                                      const std::string& callee,
                                      const PropagationEvidence& evidence);

}  // namespace polytrace::analysis
