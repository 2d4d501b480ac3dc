// Grafana Tempo's HTTP API, served from the store so Grafana's Tempo data
// source works against polytrace:
//   GET /api/traces/{id}      with Accept: application/protobuf -> tempopb.Trace
//   GET /api/v2/traces/{id}   OTLP JSON {"trace": ...}, or TraceByIDResponse protobuf
//   GET /api/search?q=<TraceQL>&start=&end=&limit=&spss=&minDuration=&maxDuration=
//   GET /api/search/tags, /api/v2/search/tags
//   GET /api/search/tag/{tag}/values, /api/v2/search/tag/{tag}/values  (&start=&end=&q=)
//   GET /api/echo, /api/status/buildinfo
// tempopb.Trace is `repeated ResourceSpans = 1`: byte for byte an OTLP
// ExportTraceServiceRequest, so the store's protobuf encoder serves it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "net/http_server.h"
#include "query/query_params.h"
#include "query/semconv_search.h"
#include "query/trace_answer.h"
#include "query/traceql/ast.h"
#include "store/engine/store.h"

namespace polytrace::query {

// Tempo's `start` and `end` (Unix seconds, each optional) as the nanosecond
// range of span start times they cover, [start, end + 1 s); an error names
// the parameter. Seconds beyond the nanosecond clock's range saturate.
struct NanosRange {
  uint64_t start = 0;
  uint64_t end = std::numeric_limits<uint64_t>::max();
};
Result<NanosRange> ParseTempoTimeRange(const QueryParams& params);

class TempoApi {
 public:
  explicit TempoApi(const store::Store& store, QueryOptions options = {})
      : store_(store), options_(options) {}
  // nullopt when `request` is not a Tempo route.
  std::optional<HttpResponse> Handle(const HttpRequest& request);
  // /api/traces/{id} as tempopb.Trace protobuf.
  HttpResponse GetTraceProto(std::string_view id_text);

 private:
  HttpResponse GetTraceV2(const HttpRequest& request, std::string_view id_text);
  // Trace `id` in `form`, streamed when big (query/trace_answer.h).
  HttpResponse Answer(const TraceId& id, TraceForm form);
  HttpResponse Search(const HttpRequest& request);
  HttpResponse TagNames(bool v2);
  HttpResponse TagValues(const HttpRequest& request, std::string_view tag, bool v2);
  // Tag values (type, value) of key `key` on the spans in `range` that
  // `filter` selects (`q`): the span's when `span`, its resource's when
  // `resource` (an unscoped tag: both, as without a query).
  Status ValuesOfMatchingSpans(const HttpRequest& request, traceql::SpansetExpr& filter,
                               std::string_view key, bool span, bool resource,
                               const NanosRange& range,
                               std::set<std::pair<std::string, std::string>>* values);

  const store::Store& store_;
  QueryOptions options_;
};

}  // namespace polytrace::query
