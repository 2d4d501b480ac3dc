// Span validation shared by every receiver: the checks a decoder cannot make
// field by field. Invalid spans are removed from the batch and reported the
// way OTLP's partial_success wants them (a count and a message).
#pragma once

#include <cstdint>
#include <string>

#include "core/traces.h"

namespace polytrace::otlp {

struct Rejection {
  int64_t rejected_spans = 0;
  std::string error_message;  // names the first few offending spans
};

// Removes spans with an all-zero trace_id or span_id (invalid per the OTLP
// spec) and returns how many were removed and why.
Rejection RemoveInvalidSpans(Traces* traces);

}  // namespace polytrace::otlp
