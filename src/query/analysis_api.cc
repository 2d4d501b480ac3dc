#include "query/analysis_api.h"

#include <fmt/format.h>

#include "analysis/analysis_json.h"
#include "query/jaeger/jaeger_json.h"
#include "query/query_params.h"

namespace polytrace::query {
namespace {

constexpr std::string_view kPrefix = "/api/analysis/traces/";

HttpResponse Error(int code, std::string_view message) {
  return HttpResponse::WithBody(code, "application/json", JaegerError(code, message));
}

}  // namespace

Result<std::vector<TraceId>> StoreTraceSource::FindTraces(SpanKind kind, uint64_t start_nanos,
                                                          uint64_t end_nanos, size_t limit) {
  store::SpanFilter filter;
  filter.kind = kind;
  filter.start_min_nanos = start_nanos;
  filter.start_max_nanos = end_nanos;
  last_search_ = {};
  Result<std::vector<store::TraceHit>> hits = store_.FindTraces(filter, limit, &last_search_);
  if (!hits.ok()) return hits.status();
  std::vector<TraceId> ids;
  for (const store::TraceHit& h : *hits) ids.push_back(h.trace_id);
  return ids;
}

std::vector<Traces> StoreTraceSource::GetTraces(std::span<const TraceId> ids) {
  Result<std::vector<Traces>> traces = store_.GetTraces(ids, &last_search_);
  if (traces.ok()) return std::move(*traces);
  return TraceSource::GetTraces(ids);  // one at a time: what can be read is
}

std::optional<HttpResponse> AnalysisApi::Handle(const HttpRequest& request) {
  if (!request.path.starts_with(kPrefix)) return std::nullopt;
  Result<TraceId> id = ParseTraceIdParam(std::string_view(request.path).substr(kPrefix.size()));
  if (!id.ok()) return Error(400, id.status().message());
  QueryParams params(request.query);
  analysis::AnalysisOptions options;
  for (auto [name, field] : {std::pair{"skewTolerance", &options.skew_tolerance_nanos},
                             std::pair{"asyncWindow", &options.async_window_nanos}}) {
    Result<std::optional<std::chrono::nanoseconds>> d = params.GetDuration(name);
    if (!d.ok()) return Error(400, d.status().message());
    if (*d) *field = static_cast<uint64_t>((*d)->count());
  }
  Result<Traces> traces = store_.GetTrace(*id);
  if (!traces.ok()) return Error(500, traces.status().message());
  if (traces->empty()) return Error(404, "trace not found");
  analysis::AssembledTrace trace = analysis::AssembleTrace(*traces);
  analysis::TraceAnalysis result = analysis::AnalyzeTrace(trace, options);
  StoreTraceSource source(store_);
  if (Status st = analysis::FindBrokenPropagation(trace, source, options, &result); !st.ok()) {
    return Error(500, st.message());
  }
  JsonWriter w;
  analysis::WriteAnalysisJson(trace, result, w);
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query
