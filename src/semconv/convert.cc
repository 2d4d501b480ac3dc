#include "semconv/convert.h"

#include <array>
#include <charconv>
#include <string>

namespace polytrace::semconv {
namespace {

std::string_view MapValue(
    std::string_view value,
    std::initializer_list<std::pair<std::string_view, std::string_view>> map) {
  for (const auto& [from, to] : map) {
    if (value == from) return to;
  }
  return value;
}

std::string_view ConvertEnum(Conversion c, std::string_view v) {
  switch (c) {
    case Conversion::kMessagingOperation: return MapValue(v, {{"publish", "send"}});
    case Conversion::kDbSystemName:
      return MapValue(v, {{"mssql", "microsoft.sql_server"},
                          {"db2", "ibm.db2"},
                          {"cosmosdb", "azure.cosmosdb"},
                          {"oracle", "oracle.db"},
                          {"informix", "ibm.informix"},
                          {"hanadb", "sap.hana"},
                          {"maxdb", "sap.maxdb"},
                          {"spanner", "gcp.spanner"}});
    case Conversion::kNetworkTransport:
      return MapValue(v, {{"ip_tcp", "tcp"}, {"ip_udp", "udp"}, {"ip", "tcp"}});
    default: return v;
  }
}

std::optional<int64_t> ParsePort(std::string_view s) {
  int64_t port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || end != s.data() + s.size() || port < 0 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// "host:8080", "[::1]:8080", "host" -> host and optional port.
std::vector<KeyValue> SplitHostPort(std::string_view v) {
  std::string_view host = v;
  std::optional<int64_t> port;
  if (v.starts_with('[')) {
    size_t close = v.find(']');
    if (close != std::string_view::npos) {
      host = v.substr(1, close - 1);
      if (close + 1 < v.size() && v[close + 1] == ':') port = ParsePort(v.substr(close + 2));
    }
  } else if (size_t colon = v.rfind(':'); colon != std::string_view::npos && v.find(':') == colon) {
    host = v.substr(0, colon);
    port = ParsePort(v.substr(colon + 1));
  }
  std::vector<KeyValue> out = {{"server.address", AnyValue::String(host)}};
  if (port) out.push_back({"server.port", AnyValue::Int(*port)});
  return out;
}

}  // namespace

std::string_view GrpcCodeName(int64_t code) {
  static constexpr std::array<std::string_view, 17> kNames = {"OK",
                                                              "CANCELLED",
                                                              "UNKNOWN",
                                                              "INVALID_ARGUMENT",
                                                              "DEADLINE_EXCEEDED",
                                                              "NOT_FOUND",
                                                              "ALREADY_EXISTS",
                                                              "PERMISSION_DENIED",
                                                              "RESOURCE_EXHAUSTED",
                                                              "FAILED_PRECONDITION",
                                                              "ABORTED",
                                                              "OUT_OF_RANGE",
                                                              "UNIMPLEMENTED",
                                                              "INTERNAL",
                                                              "UNAVAILABLE",
                                                              "DATA_LOSS",
                                                              "UNAUTHENTICATED"};
  return code >= 0 && code < int64_t(kNames.size()) ? kNames[size_t(code)] : std::string_view();
}

std::vector<KeyValue> ConvertAttribute(const Rename& r, const AnyValue& value, Arena& arena) {
  switch (r.conversion) {
    case Conversion::kNone: return {};
    case Conversion::kSame: return {{r.stable_key, value}};
    case Conversion::kHostPort:
      if (value.type != ValueType::kString) return {};
      return SplitHostPort(value.string_value);
    case Conversion::kTarget: {
      if (value.type != ValueType::kString) return {};
      std::string_view v = value.string_value;
      size_t q = v.find('?');
      if (q == std::string_view::npos) return {{"url.path", value}};
      return {{"url.path", AnyValue::String(v.substr(0, q))},
              {"url.query", AnyValue::String(v.substr(q + 1))}};
    }
    case Conversion::kIntToString:
      if (value.type == ValueType::kString) return {{r.stable_key, value}};
      if (value.type != ValueType::kInt) return {};
      return {{r.stable_key, AnyValue::String(arena.Copy(std::to_string(value.int_value)))}};
    case Conversion::kGrpcCodeName: {
      if (value.type != ValueType::kInt) return {};
      std::string_view name = GrpcCodeName(value.int_value);
      if (name.empty()) return {};
      return {{r.stable_key, AnyValue::String(name)}};
    }
    case Conversion::kMessagingOperation:
    case Conversion::kDbSystemName:
    case Conversion::kNetworkTransport:
      if (value.type != ValueType::kString) return {};
      return {{r.stable_key, AnyValue::String(ConvertEnum(r.conversion, value.string_value))}};
  }
  return {};
}

}  // namespace polytrace::semconv
