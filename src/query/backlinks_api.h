// Back-links: the spans of other traces that link to a trace.
//   GET /api/backlinks/traces/{traceID}?start=&end=&limit=100
// {"data":[{"traceID","spanID","serviceName","operationName",
//           "startTimeUnixNano","linkedSpanID"}], "limit", "truncated"}
// A span link points one way (from the span that holds it); the store has no
// reverse index, so this searches spans linking to the trace — only row
// groups whose extras contain the ID's bytes are decoded. start/end (Unix µs)
// bound the linking spans' start; absent, the whole store is searched.
#pragma once

#include <optional>

#include "net/http_server.h"
#include "store/engine/store.h"

namespace polytrace::query {

class BacklinksApi {
 public:
  explicit BacklinksApi(const store::Store& store) : store_(store) {}
  // nullopt when `request` is not this route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);

 private:
  const store::Store& store_;
};

}  // namespace polytrace::query
