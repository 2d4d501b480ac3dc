#include "analysis/span_facts.h"

#include <cctype>

namespace polytrace::analysis {
namespace {

std::optional<std::string> AttributeText(const Span& span, std::string_view key) {
  const AnyValue* v = FindAttribute(span.attributes, key);
  if (v == nullptr || v->type == ValueType::kEmpty) return std::nullopt;
  std::string text = ValueToString(*v);
  if (text.empty()) return std::nullopt;
  return text;
}

// "host:port" (http.host, net.host.name with port) -> "port".
std::optional<std::string> HostPort(std::string_view host) {
  size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == host.size()) return std::nullopt;
  std::string_view port = host.substr(colon + 1);
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::string(port);
}

std::optional<std::string> Destination(const Span& span) {
  for (std::string_view key : {"messaging.destination.name", "messaging.destination"}) {
    if (auto d = AttributeText(span, key)) return "destination " + *d;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ResourceString(const ResourceSpans& resource, std::string_view key) {
  const AnyValue* v = FindAttribute(resource.resource.attributes, key);
  return v != nullptr && v->type == ValueType::kString ? v->string_value : std::string_view();
}

std::string_view ServiceNameOf(const ResourceSpans& resource) {
  return ResourceString(resource, kServiceNameKey);
}

bool IsMissingServiceName(std::string_view name) {
  return name.empty() || name.starts_with("unknown_service");
}

std::string ServiceLabel(const ResourceSpans& resource) {
  std::string_view name = ServiceNameOf(resource);
  return name.empty() ? "unknown_service" : std::string(name);
}

std::optional<std::string> UrlPort(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.back() != ']') {
    if (auto port = HostPort(authority)) return port;
  }
  if (scheme == "http") return "80";
  if (scheme == "https") return "443";
  return std::nullopt;
}

std::optional<std::string> CalleeKey(const Span& span) {
  if (span.kind == SpanKind::kProducer) return Destination(span);
  for (std::string_view key : {"server.port", "net.peer.port"}) {
    if (auto p = AttributeText(span, key)) return "port " + *p;
  }
  for (std::string_view key : {"url.full", "http.url"}) {
    if (auto url = AttributeText(span, key)) {
      if (auto p = UrlPort(*url)) return "port " + *p;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ServedKey(const Span& span) {
  if (span.kind == SpanKind::kConsumer) return Destination(span);
  for (std::string_view key : {"server.port", "net.host.port", "url.port"}) {
    if (auto p = AttributeText(span, key)) return "port " + *p;
  }
  if (auto host = AttributeText(span, "http.host")) {
    if (auto p = HostPort(*host)) return "port " + *p;
  }
  for (std::string_view key : {"url.full", "http.url"}) {
    if (auto url = AttributeText(span, key)) {
      if (auto p = UrlPort(*url)) return "port " + *p;
    }
  }
  return std::nullopt;
}

std::string_view KindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kInternal: return "internal";
    case SpanKind::kServer: return "server";
    case SpanKind::kClient: return "client";
    case SpanKind::kProducer: return "producer";
    case SpanKind::kConsumer: return "consumer";
    default: return "unspecified";
  }
}

}  // namespace polytrace::analysis
