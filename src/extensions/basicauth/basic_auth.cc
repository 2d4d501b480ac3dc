#include "extensions/basicauth/basic_auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <strings.h>

#include "core/base64.h"

namespace polytrace {

Status BasicAuthConfig::Unmarshal(ConfigReader& r) {
  bool present = false;
  Result<ConfigReader> server = r.Child("htpasswd", &present);
  if (!server.ok()) return server.status();
  if (present) {
    HtpasswdSettings& h = htpasswd.emplace();
    POLYTRACE_RETURN_IF_ERROR(server->Read("file", &h.file));
    POLYTRACE_RETURN_IF_ERROR(server->Read("inline", &h.inline_content));
    POLYTRACE_RETURN_IF_ERROR(server->Finish());
  }
  Result<ConfigReader> client = r.Child("client_auth", &present);
  if (!client.ok()) return client.status();
  if (present) {
    ClientAuthSettings& c = client_auth.emplace();
    POLYTRACE_RETURN_IF_ERROR(client->Read("username", &c.username));
    POLYTRACE_RETURN_IF_ERROR(client->Read("password", &c.password));
    POLYTRACE_RETURN_IF_ERROR(client->Read("username_file", &c.username_file));
    POLYTRACE_RETURN_IF_ERROR(client->Read("password_file", &c.password_file));
    POLYTRACE_RETURN_IF_ERROR(client->Finish());
  }
  return r.Finish();
}

Status BasicAuthConfig::Validate() const {
  if (htpasswd && client_auth) {
    return Status::InvalidArgument("only one of `htpasswd` or `client_auth` can be specified");
  }
  if (!client_auth && (!htpasswd || (htpasswd->file.empty() && htpasswd->inline_content.empty()))) {
    return Status::InvalidArgument("no credential source provided");
  }
  if (client_auth && client_auth->username.find(':') != std::string::npos) {
    // The Collector reports this when the exporter asks for credentials.
    return Status::InvalidArgument(
        "client_auth.username: invalid authorization format (a username cannot contain ':')");
  }
  if (htpasswd) {
    Htpasswd parsed;
    POLYTRACE_RETURN_IF_ERROR(parsed.Add(htpasswd->inline_content, "htpasswd.inline"));
  }
  return Status::Ok();
}

BasicAuthServer::VerifiedCache::VerifiedCache() {
  if (RAND_bytes(salt_.data(), static_cast<int>(salt_.size())) != 1) {
    // Without a random salt the keys are still digests; only precomputation
    // against a memory dump gets easier.
    salt_.fill(0);
  }
}

std::string BasicAuthServer::VerifiedCache::Key(std::string_view user,
                                                std::string_view password) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), salt_.data(), salt_.size());
  // The user's length first, so "a"+"b:c" and "a:b"+"c" differ.
  std::string user_size = std::to_string(user.size()) + ":";
  EVP_DigestUpdate(ctx.get(), user_size.data(), user_size.size());
  EVP_DigestUpdate(ctx.get(), user.data(), user.size());
  EVP_DigestUpdate(ctx.get(), password.data(), password.size());
  EVP_DigestFinal_ex(ctx.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

bool BasicAuthServer::VerifiedCache::Contains(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.count(key) != 0;
}

void BasicAuthServer::VerifiedCache::Insert(std::string key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.size() >= kMaxEntries) keys_.clear();
  keys_.insert(std::move(key));
}

Status BasicAuthServer::Start(Host&) {
  Htpasswd htpasswd;
  if (!config_.file.empty()) {
    Result<std::string> content = ReadWholeFile(config_.file);
    if (!content.ok()) return content.status().WithContext("open htpasswd file");
    Status added = htpasswd.Add(content.value(), fmt::format("htpasswd file \"{}\"", config_.file));
    OPENSSL_cleanse(content.value().data(), content.value().size());
    if (!added.ok()) return added.WithContext("read htpasswd content");
  }
  Status added = htpasswd.Add(config_.inline_content, "htpasswd.inline");
  if (!added.ok()) return added.WithContext("read htpasswd content");
  htpasswd_ = std::move(htpasswd);
  return Status::Ok();
}

Status BasicAuthServer::Authenticate(const AuthHeaders& headers) {
  const std::string* value = nullptr;
  for (const auto& [name, v] : headers) {
    if (strcasecmp(name.c_str(), "authorization") == 0) {
      value = &v;
      break;
    }
  }
  if (value == nullptr || value->empty()) return Status::Unauthenticated("no basic auth provided");
  constexpr std::string_view kPrefix = "Basic ";
  if (value->size() < kPrefix.size() ||
      strncasecmp(value->c_str(), kPrefix.data(), kPrefix.size()) != 0) {
    return Status::Unauthenticated("invalid authorization scheme prefix");
  }
  std::optional<std::string> decoded =
      Base64Decode(std::string_view(*value).substr(kPrefix.size()));
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    if (decoded) OPENSSL_cleanse(decoded->data(), decoded->size());
    return Status::Unauthenticated("invalid authorization format");
  }
  std::string_view user = std::string_view(*decoded).substr(0, colon);
  std::string_view password = std::string_view(*decoded).substr(colon + 1);
  bool matched = false;
  if (const PasswordHash* hash = htpasswd_.Find(user); hash != nullptr) {
    if (hash->slow()) {
      std::string key = cache_.Key(user, password);
      matched = cache_.Contains(key);
      if (!matched && hash->Matches(password)) {
        matched = true;
        cache_.Insert(std::move(key));
      }
    } else {
      matched = hash->Matches(password);
    }
  }
  OPENSSL_cleanse(decoded->data(), decoded->size());
  if (!matched) return Status::Unauthenticated("invalid credentials");
  return Status::Ok();
}

BasicAuthClient::BasicAuthClient(const Settings& settings, ClientAuthSettings client_auth,
                                 std::chrono::nanoseconds file_check_interval)
    : config_(std::move(client_auth)) {
  auto logger = settings.logger;
  auto make = [&](const std::string& path) {
    return std::make_unique<ReloadingFile<std::string>>(
        path,
        [](const std::string& content) -> Result<std::string> { return TrimAsciiSpace(content); },
        file_check_interval,
        [logger](const std::string& m) {
          if (logger) logger->error("basicauth: reloading a credential file failed: {}", m);
        });
  };
  if (!config_.username_file.empty()) username_file_ = make(config_.username_file);
  if (!config_.password_file.empty()) password_file_ = make(config_.password_file);
}

Status BasicAuthClient::Start(Host&) {
  for (ReloadingFile<std::string>* file : {username_file_.get(), password_file_.get()}) {
    if (file == nullptr) continue;
    Status loaded = file->Load();
    if (!loaded.ok()) return loaded.WithContext("basicauth client_auth");
  }
  return Status::Ok();
}

Result<std::string> BasicAuthClient::Value(ReloadingFile<std::string>* file,
                                           const std::string& fixed) {
  if (file == nullptr) return fixed;
  Result<std::shared_ptr<const std::string>> value = file->Get();
  if (!value.ok()) return value.status();
  return **value;
}

Result<AuthHeaders> BasicAuthClient::RequestHeaders() {
  Result<std::string> username = Value(username_file_.get(), config_.username);
  if (!username.ok()) return username.status();
  if (username->find(':') != std::string::npos) {
    return Status::InvalidArgument("invalid authorization format");
  }
  Result<std::string> password = Value(password_file_.get(), config_.password);
  if (!password.ok()) return password.status();
  std::string pair = username.value() + ":" + password.value();
  AuthHeaders headers{{"authorization", "Basic " + Base64Encode(pair)}};
  OPENSSL_cleanse(pair.data(), pair.size());
  return headers;
}

namespace {

class BasicAuthFactory : public ExtensionFactory {
 public:
  std::string type() const override { return "basicauth"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<BasicAuthConfig>();
  }
  Result<ExtensionPtr> CreateExtension(const Settings& settings,
                                       const ComponentConfig& config) const override {
    const auto& c = static_cast<const BasicAuthConfig&>(config);
    if (c.htpasswd) return ExtensionPtr(std::make_unique<BasicAuthServer>(*c.htpasswd));
    if (c.client_auth) {
      return ExtensionPtr(std::make_unique<BasicAuthClient>(settings, *c.client_auth));
    }
    return Status::InvalidArgument("no credential source provided");
  }
};

}  // namespace

std::unique_ptr<ExtensionFactory> NewBasicAuthExtensionFactory() {
  return std::make_unique<BasicAuthFactory>();
}

}  // namespace polytrace
