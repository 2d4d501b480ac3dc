// Parsing of query-string parameters shared by the Jaeger and Tempo APIs;
// every error names the parameter and the offending text, for a 400.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.h"
#include "core/status.h"

namespace polytrace::query {

class QueryParams {
 public:
  explicit QueryParams(std::string_view raw_query);

  std::optional<std::string> Get(std::string_view name) const;  // the first one
  std::vector<std::string> GetAll(std::string_view name) const;
  // Absent -> nullopt; present but malformed -> error naming it.
  Result<std::optional<int64_t>> GetInt(std::string_view name) const;
  // Go duration syntax ("1.5s", "100ms", "2h45m") plus days ("2d").
  Result<std::optional<std::chrono::nanoseconds>> GetDuration(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// A trace ID of 1 to 32 hex digits (shorter ones are zero-padded on the
// left, as Jaeger prints 64-bit IDs).
Result<TraceId> ParseTraceIdParam(std::string_view text);

}  // namespace polytrace::query

namespace polytrace::query {
// Decodes %XX escapes in a path segment; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);
}  // namespace polytrace::query
