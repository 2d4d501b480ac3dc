// The JSON form of a trace analysis, served at /api/analysis/traces/{id}
// and printed by `polytrace verify --json`.
#pragma once

#include "analysis/trace_analysis.h"
#include "otlp/json_writer.h"

namespace polytrace::analysis {

// {"traceID", "spans", "durationNanos", "services": [...], "hops": [...],
//  "unansweredCalls": [...], "findings": [{"kind", "message", "spanIDs", ...}]}
void WriteAnalysisJson(const AssembledTrace& trace, const TraceAnalysis& analysis, JsonWriter& w);

}  // namespace polytrace::analysis
