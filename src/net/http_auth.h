// HttpAuthorizer: HttpServerOptions::authorize for a listener protected by
// a server authenticator (bearertokenauth, basicauth): refused requests get
// 401 with WWW-Authenticate before their body is read.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "net/http_server.h"
#include "pipeline/auth.h"

namespace polytrace {

// CORS preflights (OPTIONS with Access-Control-Request-Method) pass: browsers
// send them without credentials, and the request that follows is checked.
// Refusals are reported through `log` (a few a second at most, with the
// client's address and the reason, never the credential).
std::function<std::optional<HttpResponse>(const HttpRequest&)> HttpAuthorizer(
    ServerAuthenticator* authenticator, std::string listener,
    std::function<void(const std::string&)> log = nullptr);

}  // namespace polytrace
