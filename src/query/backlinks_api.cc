#include "query/backlinks_api.h"

#include <fmt/format.h>

#include <algorithm>

#include "analysis/span_facts.h"
#include "otlp/json_writer.h"
#include "query/found_traces.h"
#include "query/jaeger/jaeger_json.h"
#include "query/query_params.h"

namespace polytrace::query {
namespace {

constexpr std::string_view kPrefix = "/api/backlinks/traces/";
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

HttpResponse Error(int code, std::string_view message) {
  return HttpResponse::WithBody(code, "application/json", JaegerError(code, message));
}

// Owned: the linking traces are read a chunk at a time and dropped.
struct Backlink {
  TraceId trace_id;
  SpanId span_id;
  std::string service;
  std::string name;
  uint64_t start_time_unix_nano = 0;
  SpanId linked_span;
};

// The spans of `traces` (one linking trace) holding a link into `target`.
void CollectBacklinks(const Traces& traces, const TraceId& target, std::vector<Backlink>* out) {
  for (const ResourceSpans& rs : traces.resource_spans()) {
    std::string_view service = analysis::ServiceNameOf(rs);
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        for (const SpanLink& link : span.links) {
          if (link.trace_id != target) continue;
          out->push_back({span.trace_id, span.span_id, std::string(service), std::string(span.name),
                          span.start_time_unix_nano, link.span_id});
        }
      }
    }
  }
}

}  // namespace

std::optional<HttpResponse> BacklinksApi::Handle(const HttpRequest& request) {
  if (!request.path.starts_with(kPrefix)) return std::nullopt;
  Result<TraceId> id = ParseTraceIdParam(std::string_view(request.path).substr(kPrefix.size()));
  if (!id.ok()) return Error(400, id.status().message());
  QueryParams p(request.query);
  auto start_us = p.GetInt("start"), end_us = p.GetInt("end"), limit = p.GetInt("limit");
  for (const Status* st : {&start_us.status(), &end_us.status(), &limit.status()}) {
    if (!st->ok()) return Error(400, st->message());
  }
  store::SpanFilter filter;
  filter.linked_trace = *id;
  if (*start_us) filter.start_min_nanos = uint64_t(std::max<int64_t>(0, **start_us)) * 1000;
  if (*end_us) filter.start_max_nanos = uint64_t(std::max<int64_t>(0, **end_us)) * 1000 + 999;
  if (filter.start_min_nanos > filter.start_max_nanos) {
    return Error(400, "parameter 'start' is after 'end'");
  }
  int64_t max = *limit ? **limit : kDefaultLimit;
  if (max < 1 || max > kMaxLimit) {
    return Error(400, fmt::format("parameter 'limit' must be 1 to {}, got {}", kMaxLimit, max));
  }
  // One more than asked, to tell the caller there are more.
  Result<std::vector<store::TraceHit>> hits =
      store_.FindTraces(filter, size_t(max) + 1, nullptr, store::SearchOrder::kFirstFound);
  if (!hits.ok()) return Error(500, hits.status().message());
  bool truncated = hits->size() > size_t(max);
  if (truncated) hits->resize(size_t(max));

  std::vector<store::TraceHit> others;  // links inside the trace are shown with it
  for (const store::TraceHit& hit : *hits) {
    if (hit.trace_id != *id) others.push_back(hit);
  }
  // Up to a search answer's span budget: linking traces past it (or one
  // bigger than it) are left out, and the answer says it is truncated.
  std::vector<Backlink> backlinks;
  Result<FoundTracesRead> read =
      ReadFoundTraces(store_, others, nullptr, kMaxSearchAnswerSpans,
                      [&](const Traces& t) { CollectBacklinks(t, *id, &backlinks); });
  if (!read.ok()) return Error(500, read.status().message());
  truncated = truncated || read->left_out > 0;
  std::sort(backlinks.begin(), backlinks.end(), [](const Backlink& a, const Backlink& b) {
    return a.start_time_unix_nano < b.start_time_unix_nano;
  });

  JsonWriter w;
  w.BeginObject();
  w.Key("data");
  w.BeginArray();
  for (const Backlink& b : backlinks) {
    w.BeginObject();
    w.Key("traceID");
    w.String(b.trace_id.ToHex());
    w.Key("spanID");
    w.String(b.span_id.ToHex());
    w.Key("serviceName");
    w.String(b.service);
    w.Key("operationName");
    w.String(b.name);
    w.Key("startTimeUnixNano");
    w.Uint64AsString(b.start_time_unix_nano);
    w.Key("linkedSpanID");
    w.String(b.linked_span.ToHex());
    w.EndObject();
  }
  w.EndArray();
  w.Key("limit");
  w.Int(max);
  w.Key("truncated");
  w.Bool(truncated);
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query
