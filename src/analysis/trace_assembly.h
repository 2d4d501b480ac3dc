// One trace as users see it: every stored span of a trace ID, whatever
// batch or segment it came from, linked to its parent, ordered by start,
// with what is wrong with it spelled out (orphans: the parent is not in the
// trace; duplicates: two spans share an ID). Shared by the Jaeger and Tempo
// APIs, the CLI and, later, the analysis checks.
#pragma once

#include <cstdint>
#include <vector>

#include "core/traces.h"

namespace polytrace::analysis {

struct AssembledSpan {
  const Span* span = nullptr;
  const ResourceSpans* resource = nullptr;
  const ScopeSpans* scope = nullptr;
  int parent = -1;         // index in AssembledTrace::spans; -1: root or orphan
  bool orphan = false;     // has a parent ID that no span of the trace carries
  bool duplicate = false;  // an earlier span has the same span ID
};

struct AssembledTrace {
  TraceId trace_id;
  std::vector<AssembledSpan> spans;  // by start time, then span ID
  uint64_t start_nanos = 0;          // earliest span start
  uint64_t end_nanos = 0;            // latest span end: trace duration = end - start
  int root = -1;                     // the earliest span without a parent, -1 if none
};

// `traces` must hold spans of one trace and outlive the result.
AssembledTrace AssembleTrace(const Traces& traces);

}  // namespace polytrace::analysis
