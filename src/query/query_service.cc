#include "query/query_service.h"

#include "query/analysis_api.h"
#include "query/backlinks_api.h"
#include "query/jaeger/jaeger_api.h"
#include "query/jaeger/jaeger_api_v3.h"
#include "query/jaeger/jaeger_json.h"
#include "query/query_params.h"
#include "query/service_map_api.h"
#include "query/tempo/tempo_api.h"

namespace polytrace::query {

namespace {

// Whether `request` asks for an answer that reads much of the store: a
// search, an analysis, the service map, tag values under a query.
bool IsHeavy(const HttpRequest& request) {
  const std::string& path = request.path;
  for (std::string_view p : {"/api/traces", "/api/search", "/api/dependencies", "/api/servicemap",
                             "/api/v3/trace-summaries", "/api/v3/traces"}) {
    if (path == p) return true;
  }
  if (path.starts_with("/api/analysis/") || path.starts_with("/api/backlinks/")) return true;
  return path.ends_with("/values") && !QueryParams(request.query).Get("q").value_or("").empty();
}

HttpResponse Failed(const Status& st) {
  return FailedAnswer(st, [](int code, std::string_view m) {
    return HttpResponse::WithBody(code, "application/json", JaegerError(code, m));
  });
}

}  // namespace

// A heavy answer waits its turn (query/heavy_turns.h); every answer of over
// a MiB holds its part of the answers' memory budget until its client has
// read it (query/answer_budget.h).
HttpResponse QueryService::Handle(HttpRequest& request) {
  HeavyTurns::Turn turn;
  if (IsHeavy(request)) {
    Result<HeavyTurns::Turn> taken = heavy_.Take([&] { return request.ClientGone(); });
    if (!taken.ok()) return Failed(taken.status());
    turn = std::move(*taken);
  }
  Result<HttpResponse> held = answers_budget().HoldWhileSent(Route(request));
  if (held.ok()) return std::move(*held);
  return Failed(held.status());
}

HttpResponse QueryService::Route(HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = HttpResponse::Text(405, "the query API accepts GET only");
    r.SetHeader("Allow", "GET, HEAD");
    return r;
  }
  if (!request.path.starts_with("/api/")) {
    if (ui_) {
      if (std::optional<HttpResponse> r = ui_->Serve(request)) return std::move(*r);
    } else if (request.path == "/") {
      return HttpResponse::Text(200,
                                "polytrace query API: /api/services, /api/traces, /api/search\n"
                                "(the web UI is not built: npm --prefix ui ci && npm --prefix ui "
                                "run build)\n");
    }
    return HttpResponse::Text(404, "no such page: " + request.path);
  }
  const store::Store* store = resolve_();
  if (store == nullptr) {
    HttpResponse r = HttpResponse::WithBody(503, "application/json",
                                            JaegerError(503, "the trace store is not open yet"));
    r.SetHeader("Retry-After", "1");
    return r;
  }
  JaegerApi jaeger(*store, options_);
  TempoApi tempo(*store, options_);
  constexpr std::string_view kTraces = "/api/traces/";
  if (request.path.starts_with(kTraces) &&
      request.Header("accept").find("application/protobuf") != std::string_view::npos) {
    return tempo.GetTraceProto(std::string_view(request.path).substr(kTraces.size()));
  }
  if (std::optional<HttpResponse> r = jaeger.Handle(request)) return std::move(*r);
  if (std::optional<HttpResponse> r = JaegerApiV3(*store, options_).Handle(request))
    return std::move(*r);
  if (std::optional<HttpResponse> r = tempo.Handle(request)) return std::move(*r);
  if (std::optional<HttpResponse> r = AnalysisApi(*store).Handle(request)) return std::move(*r);
  if (std::optional<HttpResponse> r = ServiceMapApi(*store).Handle(request)) return std::move(*r);
  if (std::optional<HttpResponse> r = BacklinksApi(*store).Handle(request)) return std::move(*r);
  return HttpResponse::WithBody(404, "application/json",
                                JaegerError(404, "no such API endpoint: " + request.path));
}

}  // namespace polytrace::query
