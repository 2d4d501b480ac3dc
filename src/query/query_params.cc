#include "query/query_params.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "config/config_reader.h"
#include "net/http_server.h"

namespace polytrace::query {

QueryParams::QueryParams(std::string_view raw_query) : params_(ParseQuery(raw_query)) {}

std::optional<std::string> QueryParams::Get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> QueryParams::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

Result<std::optional<int64_t>> QueryParams::GetInt(std::string_view name) const {
  std::optional<std::string> text = Get(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return Status::InvalidArgument(
        fmt::format("parameter '{}': \"{}\" is not an integer", name, *text));
  }
  return std::optional<int64_t>(v);
}

Result<std::optional<std::chrono::nanoseconds>> QueryParams::GetDuration(
    std::string_view name) const {
  std::optional<std::string> text = Get(name);
  if (!text || text->empty()) return std::optional<std::chrono::nanoseconds>();
  std::string go = *text;
  // Jaeger UI lookbacks use days ("2d"), which Go durations lack. A day count
  // too large for hours is left as it is, so the Go parser rejects it.
  if (go.size() > 1 && go.back() == 'd' && go.find_first_not_of("0123456789") == go.size() - 1) {
    int64_t days = 0;
    auto [end, ec] = std::from_chars(go.data(), go.data() + go.size() - 1, days);
    if (ec == std::errc() && days <= std::numeric_limits<int64_t>::max() / 24) {
      go = std::to_string(days * 24) + "h";
    }
  }
  std::optional<std::chrono::nanoseconds> d = ParseGoDuration(go);
  if (!d) {
    return Status::InvalidArgument(
        fmt::format("parameter '{}': \"{}\" is not a duration (examples: 250ms, 1.5s, 2h45m, 2d)",
                    name, *text));
  }
  return d;
}

Result<TraceId> ParseTraceIdParam(std::string_view text) {
  if (text.empty() || text.size() > 32 ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("trace ID \"{}\" is not 1 to 32 hexadecimal digits", text));
  }
  std::string padded(32 - text.size(), '0');
  padded += text;
  std::optional<TraceId> id = TraceId::FromHex(padded);
  if (!id) return Status::InvalidArgument(fmt::format("trace ID \"{}\" is malformed", text));
  return *id;
}

}  // namespace polytrace::query

namespace polytrace::query {

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int value = 0;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

}  // namespace polytrace::query
