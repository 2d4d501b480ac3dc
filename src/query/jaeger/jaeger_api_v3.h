// Jaeger's v3 query API over HTTP (the JSON form of jaeger.api_v3), which
// the Jaeger UI's search page calls since v2:
//   GET /api/v3/services                 {"services":[...]}
//   GET /api/v3/operations?service=&spanKind= (or span_kind)
//                                        {"operations":[{"name","spanKind"}]}
//   GET /api/v3/trace-summaries?query.serviceName=&query.operationName=
//       &query.attributes={json}&query.startTimeMin=&query.startTimeMax=  (RFC 3339)
//       &query.durationMin=&query.durationMax=&query.searchDepth=
//                                        {"summaries":[{traceId, rootServiceName, ...}]}
//   GET /api/v3/traces?query.…           the traces the same query finds, newest first, as one
//                                        {"result":{"resourceSpans":[...]}}; none: 404
//                                        "No traces found", as Jaeger's
//   GET /api/v3/traces/{traceID}         {"result":{"resourceSpans":[...]}} (OTLP JSON)
// The query.* parameters are also taken by the snake_case names Jaeger
// still accepts (query.service_name, query.start_time_min, ...;
// query.num_traces for the depth). Errors are Jaeger's
// {"error":{"httpCode","message"}} with the HTTP status; a bad parameter is
// a 400 naming it.
#pragma once

#include <functional>
#include <optional>

#include "net/http_server.h"
#include "query/semconv_search.h"
#include "store/engine/store.h"

namespace polytrace::query {

class JaegerApiV3 {
 public:
  explicit JaegerApiV3(const store::Store& store, QueryOptions options = {})
      : store_(store), options_(options) {}
  // nullopt when `request` is not a v3 route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  HttpResponse Services();
  HttpResponse Operations(const HttpRequest& request);
  // The traces the request's query finds, newest first, each handed to
  // `each` within the answer's span budget: an error answer when the query
  // is bad, the search fails, the newest trace alone passes the budget (or,
  // with `none_is_404`, nothing is found); nullopt when all went to `each`.
  std::optional<HttpResponse> EachFound(const HttpRequest& request, bool none_is_404,
                                        const std::function<void(const Traces&)>& each);
  HttpResponse TraceSummaries(const HttpRequest& request);
  HttpResponse FindTraces(const HttpRequest& request);
  HttpResponse GetTrace(std::string_view id_text);

  const store::Store& store_;
  QueryOptions options_;
};

}  // namespace polytrace::query
