// What the analysis reads off spans and resources: who sent a span (service
// name, SDK language and version, semantic-conventions schema) and whom a
// call was addressed to (a port or a messaging destination), across the
// attribute names that different SDKs and semconv versions use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/traces.h"

namespace polytrace::analysis {

// service.name as sent; empty when the resource has none.
std::string_view ServiceNameOf(const ResourceSpans& resource);
// No service.name, an empty one, or the SDKs' placeholder `unknown_service[:...]`.
bool IsMissingServiceName(std::string_view service_name);
// The name to show: service.name, or "unknown_service" when there is none.
std::string ServiceLabel(const ResourceSpans& resource);

std::string_view ResourceString(const ResourceSpans& resource, std::string_view key);
inline std::string_view SdkLanguageOf(const ResourceSpans& r) {
  return ResourceString(r, "telemetry.sdk.language");
}

// Whom a CLIENT or PRODUCER span called ("port 8082", "destination payments"),
// and what a SERVER or CONSUMER span served, so a call can be matched to the
// span that answered it even when propagation broke. nullopt when the span
// carries nothing usable.
std::optional<std::string> CalleeKey(const Span& span);
std::optional<std::string> ServedKey(const Span& span);

// The port of a URL ("http://h:8082/x" -> "8082"; scheme defaults 80/443).
std::optional<std::string> UrlPort(std::string_view url);

std::string_view KindName(SpanKind kind);

// end - start, or 0 for a span that ends before it starts.
inline uint64_t SpanDuration(const Span& s) {
  return s.end_time_unix_nano > s.start_time_unix_nano
             ? s.end_time_unix_nano - s.start_time_unix_nano
             : 0;
}

}  // namespace polytrace::analysis
