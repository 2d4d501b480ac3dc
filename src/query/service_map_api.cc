#include "query/service_map_api.h"

#include <fmt/format.h>

#include "otlp/json_writer.h"
#include "query/jaeger/jaeger_json.h"
#include "query/query_params.h"

namespace polytrace::query {
namespace {

HttpResponse Error(int code, std::string_view message) {
  return HttpResponse::WithBody(code, "application/json", JaegerError(code, message));
}

// telemetry.sdk.language of a service, read off a recent span of it (the first a search finds,
// newest data first).
std::string LanguageOf(const store::Store& store, const std::string& service) {
  store::SpanFilter filter;
  filter.service = service;
  Result<std::vector<store::TraceHit>> hits =
      store.FindTraces(filter, 1, nullptr, store::SearchOrder::kFirstFound);
  if (!hits.ok() || hits->empty()) return "";
  // A piece at a time, until the service's resource is met: that
  // trace may be one of a million spans.
  std::unique_ptr<store::TraceReader> reader = store.ReadTrace((*hits)[0].trace_id);
  Traces piece;
  for (;;) {
    Result<bool> more = reader->Next(&piece);
    if (!more.ok() || !*more) return "";
    for (const ResourceSpans& rs : piece.resource_spans()) {
      const AnyValue* name = FindAttribute(rs.resource.attributes, kServiceNameKey);
      if (name == nullptr || name->string_value != service) continue;
      const AnyValue* lang = FindAttribute(rs.resource.attributes, "telemetry.sdk.language");
      return lang != nullptr ? std::string(lang->string_value) : "";
    }
  }
}

}  // namespace

std::optional<HttpResponse> ServiceMapApi::Handle(const HttpRequest& request) {
  if (request.path != "/api/servicemap") return std::nullopt;
  QueryParams p(request.query);
  auto start_us = p.GetInt("start");
  auto end_us = p.GetInt("end");
  auto lookback = p.GetDuration("lookback");
  for (const Status* st : {&start_us.status(), &end_us.status(), &lookback.status()}) {
    if (!st->ok()) return Error(400, st->message());
  }
  uint64_t end = *end_us ? uint64_t(**end_us) * 1000 : store::UnixNanosNow();
  uint64_t span = *lookback ? uint64_t((*lookback)->count()) : 3600ull * 1'000'000'000;
  uint64_t start = *start_us ? uint64_t(**start_us) * 1000 : (span > end ? 0 : end - span);
  if (start > end) return Error(400, "parameter 'start' is after 'end'");
  Result<store::ServiceGraph> graph = store_.ServiceMap(start, end);
  if (!graph.ok()) return Error(500, graph.status().message());

  JsonWriter w;
  w.BeginObject();
  w.Key("nodes");
  w.BeginArray();
  for (const store::ServiceGraph::Node& n : graph->services) {
    w.BeginObject();
    w.Key("service");
    w.String(n.service);
    w.Key("language");
    w.String(LanguageOf(store_, n.service));
    w.Key("spans");
    w.Uint(n.spans);
    w.Key("errors");
    w.Uint(n.errors);
    w.EndObject();
  }
  w.EndArray();
  w.Key("edges");
  w.BeginArray();
  for (const store::DependencyLink& l : graph->links) {
    w.BeginObject();
    w.Key("from");
    w.String(l.parent);
    w.Key("to");
    w.String(l.child);
    w.Key("kind");
    w.String(l.messaging_count * 2 > l.call_count ? "messaging" : "rpc");
    w.Key("calls");
    w.Uint(l.call_count);
    w.Key("errors");
    w.Uint(l.error_count);
    w.Key("p50Micros");
    w.Uint(l.latency.Quantile(0.50) / 1000);
    w.Key("p95Micros");
    w.Uint(l.latency.Quantile(0.95) / 1000);
    w.EndObject();
  }
  w.EndArray();
  w.Key("startMicros");
  w.Uint(start / 1000);
  w.Key("endMicros");
  w.Uint(end / 1000);
  w.EndObject();
  return HttpResponse::WithBody(200, "application/json", w.Take());
}

}  // namespace polytrace::query
