// Authenticators: extensions that receivers and the query API ask "may this
// request in?" and that exporters ask "what credentials do I send?" (the
// Collector's extension/auth Server and Client). A component names one with
// `auth: { authenticator: <extension id> }` and resolves it at Start.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_reader.h"
#include "pipeline/component.h"

namespace polytrace {

// Request headers (HTTP) or metadata (gRPC), names lower-cased.
using AuthHeaders = std::vector<std::pair<std::string, std::string>>;

// Both derive virtually from Extension so that one extension can be both
// (bearertokenauth): the host holds a single Extension, and Resolve*'s
// dynamic_cast finds either interface from it.
class ServerAuthenticator : public virtual Extension {
 public:
  // Ok, or kUnauthenticated with a message safe to show the client: it
  // never contains the credential that was sent. Thread-safe; called on
  // every request, before its body is read when the transport allows.
  virtual Status Authenticate(const AuthHeaders& headers) = 0;
  // The WWW-Authenticate value sent with a 401, e.g. `Bearer realm="otel"`.
  virtual std::string Challenge() const = 0;
};

class ClientAuthenticator : public virtual Extension {
 public:
  // Headers to add to one outgoing request (e.g. authorization). Called per
  // request, so a rotated token file is picked up. Thread-safe.
  virtual Result<AuthHeaders> RequestHeaders() = 0;
};

// Reads `auth: { authenticator: <id> }` below `parent`; "" when absent.
Status ReadAuthConfig(ConfigReader& parent, std::string* authenticator);

// Resolves `auth.authenticator` at Start; the errors read as the
// Collector's ("failed to resolve authenticator \"x\": ...").
Result<ServerAuthenticator*> ResolveServerAuthenticator(Host& host, const std::string& id);
Result<ClientAuthenticator*> ResolveClientAuthenticator(Host& host, const std::string& id);

}  // namespace polytrace
