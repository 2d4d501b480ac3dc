// polytrace's service map:
//   GET /api/servicemap?lookback=1h            (or start=&end= in Unix µs)
// {"nodes":[{"service","language","spans","errors"}],
//  "edges":[{"from","to","kind":"rpc"|"messaging","calls","errors","p50Micros","p95Micros"}],
//  "startMicros","endMicros"}
// Edges come from cross-service parent/child pairs (client -> server and
// producer -> consumer alike); latency is the called span's duration.
#pragma once

#include <optional>

#include "net/http_server.h"
#include "store/engine/store.h"

namespace polytrace::query {

class ServiceMapApi {
 public:
  explicit ServiceMapApi(const store::Store& store) : store_(store) {}
  // nullopt when `request` is not this route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  const store::Store& store_;
};

}  // namespace polytrace::query
