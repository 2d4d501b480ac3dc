#include "query/query_service.h"

#include "query/analysis_api.h"
#include "query/backlinks_api.h"
#include "query/jaeger/jaeger_api.h"
#include "query/jaeger/jaeger_api_v3.h"
#include "query/jaeger/jaeger_json.h"
#include "query/service_map_api.h"
#include "query/tempo/tempo_api.h"

namespace polytrace::query {

// Every answer of over a MiB holds its part of the answers' memory budget
// until its client has read it (query/answer_budget.h).
HttpResponse QueryService::Handle(HttpRequest& request) {
  Result<HttpResponse> held = answers_budget().HoldWhileSent(Route(request));
  if (held.ok()) return std::move(*held);
  return FailedAnswer(held.status(), [](int code, std::string_view m) {
    return HttpResponse::WithBody(code, "application/json", JaegerError(code, m));
  });
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
