// polytrace's own API: what is wrong with a trace.
//   GET /api/analysis/traces/{traceID}?skewTolerance=50ms&asyncWindow=60s
// answers the analysis of analysis/trace_analysis.h — services with their
// SDKs, hops, orphans, missing service.name, clock skew — plus the store-
// wide search for where propagation broke (analysis/propagation_search.h).
// `polytrace verify` runs the same analysis; the UI's health panel reads this.
#pragma once

#include <cstddef>
#include <optional>

#include "analysis/propagation_search.h"
#include "net/http_server.h"
#include "store/engine/store.h"

namespace polytrace::query {

// The store as a TraceSource for the analysis.
class StoreTraceSource : public analysis::TraceSource {
 public:
  explicit StoreTraceSource(const store::Store& store) : store_(store) {}
  Result<Traces> GetTrace(const TraceId& id) override { return store_.GetTrace(id); }
  std::vector<Traces> GetTraces(std::span<const TraceId> ids) override;
  Result<std::vector<TraceId>> FindTraces(SpanKind kind, uint64_t start_nanos, uint64_t end_nanos,
                                          size_t limit) override;

 private:
  const store::Store& store_;
  store::SearchReads last_search_;  // the traces the last search read whole
};

// What an analysis may hold: it reads its whole trace (a million spans:
// about 2 GiB and 5-7 s).
struct AnalysisLimits {
  size_t max_spans = 1'000'000;  // a bigger trace is a 422 before it is read whole
  // Past this many spans an analysis waits until no other such analysis
  // runs, and gives its memory back to the system once done.
  size_t big_spans = 100'000;
};

class AnalysisApi {
 public:
  explicit AnalysisApi(const store::Store& store, AnalysisLimits limits = {})
      : store_(store), limits_(limits) {}
  // nullopt when `request` is not an analysis route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  const store::Store& store_;
  AnalysisLimits limits_;
};

}  // namespace polytrace::query
