#include "net/http_auth.h"

namespace polytrace {

std::function<std::optional<HttpResponse>(const HttpRequest&)> HttpAuthorizer(
    ServerAuthenticator* authenticator) {
  return [authenticator](const HttpRequest& head) -> std::optional<HttpResponse> {
    if (head.method == "OPTIONS" && !head.Header("access-control-request-method").empty()) {
      return std::nullopt;
    }
    Status st = authenticator->Authenticate(head.headers);
    if (st.ok()) return std::nullopt;
    HttpResponse refused = HttpResponse::Text(401, st.message() + "\n");
    refused.SetHeader("WWW-Authenticate", authenticator->Challenge());
    return refused;
  };
}

}  // namespace polytrace
