// Parameter parsing shared by Jaeger's v1 (/api/...) and v3 (/api/v3/...)
// HTTP APIs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/traces.h"
#include "otlp/json_writer.h"
#include "query/query_params.h"
#include "store/engine/span_filter.h"
#include "store/engine/store.h"

namespace polytrace::query {

// "server", "client", ...; nullopt for anything else.
std::optional<SpanKind> ParseKind(std::string_view text);
const char* KindText(SpanKind kind);
// {"k":"v",...} (values may be JSON strings, numbers or booleans) into
// filter->tags; an error names `parameter`.
Status ParseTagsJson(const std::string& text, std::string_view parameter,
                     store::SpanFilter* filter);
// The operations query both API versions share: the required `service`
// and the optional span-kind parameter (v1 `spanKind`, v3 `span_kind`).
struct OperationsQuery {
  std::string service;
  std::optional<SpanKind> kind;
};
Result<OperationsQuery> ParseOperationsQuery(const QueryParams& params,
                                             std::string_view kind_parameter);
// [{"name","spanKind"}...] of the query's operations; returns how many.
size_t WriteOperations(const store::Store& store, const OperationsQuery& query, JsonWriter& w);

// Jaeger shows span kind and status as tags (span.kind, error,
// otel.status_code): those become conditions on the kind and status columns.
void TranslateDerivedTags(store::SpanFilter* filter);

}  // namespace polytrace::query
