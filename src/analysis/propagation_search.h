// Where context propagation broke. A call that left a trace (a CLIENT or
// PRODUCER span with no child in another service) was either made to an
// uninstrumented peer — a database, a third party — or answered by a
// service that did not pick up the context and so started a trace of its
// own. The second case is visible only across traces: this search looks,
// in the call's time window, for a SERVER (or CONSUMER) span that is the
// root of another trace and serves what the call addressed (the same port
// or messaging destination), and reports the hop that broke.
#pragma once

#include <span>
#include <vector>

#include "analysis/trace_analysis.h"
#include "core/status.h"

namespace polytrace::analysis {

// Where traces come from: the store in the server, the query API in the CLI.
class TraceSource {
 public:
  virtual ~TraceSource() = default;
  virtual Result<Traces> GetTrace(const TraceId& id) = 0;
  // GetTrace of each of `ids`, in their order; a trace that could not be
  // read comes back empty. The store reads traces sharing a row group in
  // one pass: a search's candidates usually do.
  virtual std::vector<Traces> GetTraces(std::span<const TraceId> ids);
  // Traces with a span of `kind` starting within [start, end] (at most `limit`).
  virtual Result<std::vector<TraceId>> FindTraces(SpanKind kind, uint64_t start_nanos,
                                                  uint64_t end_nanos, size_t limit) = 0;
};

// Adds a kBrokenPropagation finding to `analysis` for every unanswered call
// of `trace` that another trace's root answered.
Status FindBrokenPropagation(const AssembledTrace& trace, TraceSource& source,
                             const AnalysisOptions& options, TraceAnalysis* analysis);

}  // namespace polytrace::analysis
