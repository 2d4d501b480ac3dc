// The Jaeger query service's HTTP API (the one the Jaeger UI and Grafana's
// Jaeger data source call), served from the store:
//   GET /api/services
//   GET /api/services/{service}/operations
//   GET /api/operations?service=&spanKind=
//   GET /api/traces?service=&operation=&tags={json}&tag=k:v&minDuration=
//       &maxDuration=&start=&end=&limit=&lookback=   (or traceID=...)
//   GET /api/traces/{traceID}
//   GET /api/dependencies?endTs=&lookback=
// Responses use Jaeger's envelope {data, total, limit, offset, errors};
// a bad parameter is a 400 whose message names it.
#pragma once

#include <optional>

#include "net/http_server.h"
#include "query/semconv_search.h"
#include "store/engine/store.h"

namespace polytrace::query {

class JaegerApi {
 public:
  explicit JaegerApi(const store::Store& store, QueryOptions options = {})
      : store_(store), options_(options) {}
  // nullopt when `request` is not a Jaeger route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);
  // /api/traces/{id} in Jaeger's JSON (Tempo shares the path; see QueryService).
  HttpResponse GetTrace(std::string_view id_text);

 private:
  HttpResponse Services();
  HttpResponse ServiceOperations(std::string_view service);
  HttpResponse Operations(const HttpRequest& request);
  HttpResponse FindTraces(const HttpRequest& request);
  HttpResponse TracesById(const std::vector<std::string>& ids);
  HttpResponse Dependencies(const HttpRequest& request);

  const store::Store& store_;
  QueryOptions options_;
};

}  // namespace polytrace::query
