// Parameter parsing shared by Jaeger's v1 (/api/...) and v3 (/api/v3/...)
// HTTP APIs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/traces.h"
#include "store/engine/span_filter.h"

namespace polytrace::query {

// "server", "client", ...; nullopt for anything else.
std::optional<SpanKind> ParseKind(std::string_view text);
const char* KindText(SpanKind kind);
// {"k":"v",...} (values may be JSON strings, numbers or booleans) into
// filter->tags; an error names `parameter`.
Status ParseTagsJson(const std::string& text, std::string_view parameter,
                     store::SpanFilter* filter);
// Jaeger shows span kind and status as tags (span.kind, error,
// otel.status_code): those become conditions on the kind and status columns.
void TranslateDerivedTags(store::SpanFilter* filter);

}  // namespace polytrace::query
