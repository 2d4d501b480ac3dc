// QueryClient: the CLI's client for a query API (`traces`, `verify`),
// protected or not. The credentials come from the environment, not from
// flags, so they stay out of `ps` and shell history:
//   POLYTRACE_CA_FILE        CA bundle trusted for an https:// --endpoint
//   POLYTRACE_AUTHORIZATION  the Authorization header to send, e.g.
//                            "Basic dXNlcjpwYXNz" or "Bearer <token>"
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_client.h"

namespace polytrace {

class QueryClient {
 public:
  explicit QueryClient(const Url& url);
  // GET `target` with `accept`, plus the Authorization header if configured;
  // the whole body, whatever its size (`timeout` bounds each read).
  Result<HttpClientResponse> Get(const std::string& target, const std::string& accept,
                                 std::chrono::milliseconds timeout);
  // Get, its 200 body handed to `on_body` as it arrives (HttpClient::GetStreamed).
  Result<HttpClientResponse> GetStreamed(const std::string& target, const std::string& accept,
                                         std::chrono::milliseconds timeout,
                                         const std::function<bool(std::string_view)>& on_body);

 private:
  std::vector<std::pair<std::string, std::string>> Headers(const std::string& accept) const;
  // A 401 answer's body says how to send credentials.
  Result<HttpClientResponse> Explained(Result<HttpClientResponse> r) const;
  HttpClient client_;
  std::string authorization_;
};

}  // namespace polytrace
