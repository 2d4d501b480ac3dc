#include "pipeline/auth.h"

#include <fmt/format.h>

#include "pipeline/factory.h"

namespace polytrace {
namespace {

template <typename T>
Result<T*> Resolve(Host& host, const std::string& id, const char* role) {
  Extension* extension = host.GetExtension(ComponentId::Parse(id));
  if (extension == nullptr) {
    return Status::InvalidArgument(fmt::format(
        "failed to resolve authenticator \"{}\": authenticator not found (add it to extensions "
        "and to service.extensions)",
        id));
  }
  T* authenticator = dynamic_cast<T*>(extension);
  if (authenticator == nullptr) {
    return Status::InvalidArgument(fmt::format(
        "failed to resolve authenticator \"{}\": extension is not a {} authenticator", id, role));
  }
  return authenticator;
}

}  // namespace

Status ReadAuthConfig(ConfigReader& parent, std::string* authenticator) {
  bool present = false;
  Result<ConfigReader> r = parent.Child("auth", &present);
  if (!r.ok()) return r.status();
  if (!present) return Status::Ok();
  POLYTRACE_RETURN_IF_ERROR(r->Read("authenticator", authenticator));
  POLYTRACE_RETURN_IF_ERROR(r->Finish());
  if (authenticator->empty()) return r->Error("authenticator must name an extension");
  return Status::Ok();
}

Result<ServerAuthenticator*> ResolveServerAuthenticator(Host& host, const std::string& id) {
  return Resolve<ServerAuthenticator>(host, id, "server");
}

Result<ClientAuthenticator*> ResolveClientAuthenticator(Host& host, const std::string& id) {
  return Resolve<ClientAuthenticator>(host, id, "client");
}

}  // namespace polytrace
