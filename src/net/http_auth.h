// HttpAuthorizer: HttpServerOptions::authorize for a listener protected by
// a server authenticator (bearertokenauth, basicauth): refused requests get
// 401 with WWW-Authenticate before their body is read.
#pragma once

#include <functional>
#include <optional>

#include "net/http_server.h"
#include "pipeline/auth.h"

namespace polytrace {

// CORS preflights (OPTIONS with Access-Control-Request-Method) pass: browsers
// send them without credentials, and the request that follows is checked.
std::function<std::optional<HttpResponse>(const HttpRequest&)> HttpAuthorizer(
    ServerAuthenticator* authenticator);

}  // namespace polytrace
