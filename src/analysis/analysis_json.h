// The JSON form of a trace analysis, served at /api/analysis/traces/{id}
// and printed by `polytrace verify --json`.
#pragma once

#include <cstddef>

#include "analysis/trace_analysis.h"
#include "otlp/json_writer.h"

namespace polytrace::analysis {

// Hops and unanswered calls listed at most (their totals are given).
inline constexpr size_t kListedAtMost = 1000;

// {"traceID", "spans", "durationNanos", "services": [...], "hopsTotal",
//  "invalidHopsTotal", "unansweredCallsTotal", "hops": [...],
//  "unansweredCalls": [...], "findings": [{"kind", "message", "spanIDs", ...}]}
void WriteAnalysisJson(const AssembledTrace& trace, const TraceAnalysis& analysis, JsonWriter& w);

}  // namespace polytrace::analysis
