#include "net/http_auth.h"

#include <fmt/format.h>

#include <memory>

#include "core/log_throttle.h"

namespace polytrace {

std::function<std::optional<HttpResponse>(const HttpRequest&)> HttpAuthorizer(
    ServerAuthenticator* authenticator, std::string listener,
    std::function<void(const std::string&)> log) {
  auto throttle = std::make_shared<LogThrottle>();
  return [authenticator, listener = std::move(listener), log = std::move(log),
          throttle](const HttpRequest& head) -> std::optional<HttpResponse> {
    if (head.method == "OPTIONS" && !head.Header("access-control-request-method").empty()) {
      return std::nullopt;
    }
    Status st = authenticator->Authenticate(head.headers);
    if (st.ok()) return std::nullopt;
    if (log && throttle->Allow()) {
      log(fmt::format("{}: refused {} {} from {}: {}", listener, head.method, head.path,
                      head.remote_address, st.message()));
    }
    HttpResponse refused = HttpResponse::Text(401, st.message() + "\n");
    refused.SetHeader("WWW-Authenticate", authenticator->Challenge());
    return refused;
  };
}

}  // namespace polytrace
