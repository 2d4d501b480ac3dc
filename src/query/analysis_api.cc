#include "query/analysis_api.h"

#include <fmt/format.h>
#include <malloc.h>

#include <mutex>

#include "analysis/analysis_json.h"
#include "query/found_traces.h"
#include "query/jaeger/jaeger_json.h"
#include "query/query_params.h"

namespace polytrace::query {
namespace {

constexpr std::string_view kPrefix = "/api/analysis/traces/";

// A big analysis (AnalysisLimits::big_spans) waits until no other runs: the
// query API runs up to nine handlers at once, and five analyses of a
// million spans side by side took 5-8 GiB. Smaller ones (the UI's, the
// health page's) never wait.
std::mutex big_analysis;

// Returns the allocator's free memory to the system when a big analysis
// ends: glibc keeps a thread's freed heap for its next request, and the
// query API's nine threads each kept a big analysis's gigabytes.
struct BigAnalysisTurn {
  std::unique_lock<std::mutex> lock{big_analysis, std::defer_lock};
  ~BigAnalysisTurn() {
    if (lock.owns_lock()) malloc_trim(0);
  }
};

// Trace `id` read a piece at a time, up to `limits.max_spans` (an empty
// Traces: not stored; nullopt: too big), taking `turn` past `limits.big_spans`.
Result<std::optional<Traces>> ReadForAnalysis(const store::Store& store, const TraceId& id,
                                              const AnalysisLimits& limits,
                                              const HttpRequest& request, BigAnalysisTurn* turn) {
  constexpr size_t kPieceSpans = 65'536;
  std::unique_ptr<store::TraceReader> reader = store.ReadTrace(id, kPieceSpans);
  Traces trace;
  size_t spans = 0;
  for (;;) {
    Traces piece;
    Result<bool> more = reader->Next(&piece);
    if (!more.ok()) return more.status();
    if (!*more) return std::optional<Traces>(std::move(trace));
    spans += piece.SpanCount();
    if (spans > limits.max_spans) return std::optional<Traces>();
    if (spans > limits.big_spans && !turn->lock.owns_lock()) turn->lock.lock();
    // A client that went away gets no answer: the rest is not read.
    if (request.ClientGone()) return Status::Unavailable("client closed the request");
    trace.Append(std::move(piece));
  }
}

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
  Result<std::vector<store::TraceHit>> hits =
      store_.FindTraces(filter, limit, &last_search_, store::SearchOrder::kFirstFound);
  if (!hits.ok()) return hits.status();
  std::vector<TraceId> ids;
  for (const store::TraceHit& h : *hits) ids.push_back(h.trace_id);
  return ids;
}

std::vector<Traces> StoreTraceSource::GetTraces(std::span<const TraceId> ids) {
  // A candidate bigger than kMaxTraceReadSpans is not read: it stays empty,
  // no candidate (found_traces.h).
  std::vector<Traces> out(ids.size());
  Status st = ForEachTraceWithin(
      store_, ids, &last_search_, kMaxTraceReadSpans,
      [&](size_t i, const Traces& t) { out[i] = t.Share(); }, nullptr);
  if (st.ok()) return out;
  for (size_t i = 0; i < ids.size(); ++i) {  // one at a time: what can be read is
    if (!out[i].empty()) continue;
    (void)ForEachTraceWithin(
        store_, ids.subspan(i, 1), &last_search_, kMaxTraceReadSpans,
        [&](size_t, const Traces& t) { out[i] = t.Share(); }, nullptr);
  }
  return out;
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
  BigAnalysisTurn turn;  // declared first: its memory is given back after the trace's
  Result<std::optional<Traces>> traces = ReadForAnalysis(store_, *id, limits_, request, &turn);
  if (!traces.ok()) return Error(request.ClientGone() ? 499 : 500, traces.status().message());
  if (!*traces) {
    return Error(422, fmt::format("trace {} has more than {} spans, more than an analysis reads",
                                  id->ToHex(), limits_.max_spans));
  }
  if ((*traces)->empty()) return Error(404, "trace not found");
  analysis::AssembledTrace trace = analysis::AssembleTrace(**traces);
  analysis::TraceAnalysis result = analysis::AnalyzeTrace(trace, options);
  if (request.ClientGone()) return Error(499, "client closed the request");
  StoreTraceSource source(store_);
  if (Status st = analysis::FindBrokenPropagation(trace, source, options, &result); !st.ok()) {
    return Error(500, st.message());
  }
  JsonWriter w;
  analysis::WriteAnalysisJson(trace, result, w);
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query
