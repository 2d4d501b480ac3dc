// The `basicauth` extension (the Collector contrib's
// extension/basicauthextension): HTTP Basic authentication. Configured with
// `htpasswd` it is a server authenticator that checks
// `authorization: Basic base64(user:password)` against htpasswd content;
// configured with `client_auth` it is a client authenticator that sends
// one. One instance is one or the other, never both.
//
// Thread-safe: Authenticate and RequestHeaders run on any thread; the
// htpasswd table is immutable after Start, and the cache and the credential
// files guard themselves.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "extensions/basicauth/htpasswd.h"
#include "extensions/internal/reloading_file.h"
#include "pipeline/auth.h"
#include "pipeline/factory.h"

namespace polytrace {

struct HtpasswdSettings {
  std::string file;
  std::string inline_content;  // `inline`, read after the file: its users win
};

struct ClientAuthSettings {
  std::string username;
  std::string password;
  // Take precedence over username / password; re-read when they change.
  std::string username_file;
  std::string password_file;
};

class BasicAuthConfig : public ComponentConfig {
 public:
  std::optional<HtpasswdSettings> htpasswd;
  std::optional<ClientAuthSettings> client_auth;

  Status Unmarshal(ConfigReader& reader) override;
  // Also parses htpasswd.inline, so a bad line stops the config check.
  Status Validate() const override;
};

class BasicAuthServer : public ServerAuthenticator {
 public:
  explicit BasicAuthServer(HtpasswdSettings settings) : config_(std::move(settings)) {}
  // Reads the htpasswd file and inline content.
  Status Start(Host& host) override;
  void Shutdown() override {}
  Status Authenticate(const AuthHeaders& headers) override;
  std::string Challenge() const override { return "Basic realm=\"otel\""; }

 private:
  // Users whose bcrypt / SHA-crypt check recently succeeded, so a client
  // sending the same credentials on every export costs one slow hash, not
  // one per request (as Apache's mod_authn_socache). Keys are salted
  // SHA-256 digests of user and password; the set is cleared when full.
  class VerifiedCache {
   public:
    VerifiedCache();
    std::string Key(std::string_view user, std::string_view password) const;
    bool Contains(const std::string& key);
    void Insert(std::string key);

   private:
    static constexpr size_t kMaxEntries = 1024;
    std::array<unsigned char, 32> salt_{};
    std::mutex mu_;
    std::unordered_set<std::string> keys_;  // guarded by mu_
  };

  const HtpasswdSettings config_;
  Htpasswd htpasswd_;  // written by Start only
  VerifiedCache cache_;
};

class BasicAuthClient : public ClientAuthenticator {
 public:
  BasicAuthClient(const Settings& settings, ClientAuthSettings client_auth,
                  std::chrono::nanoseconds file_check_interval = std::chrono::seconds(1));
  // Reads username_file / password_file, if set.
  Status Start(Host& host) override;
  void Shutdown() override {}
  Result<AuthHeaders> RequestHeaders() override;

 private:
  Result<std::string> Value(ReloadingFile<std::string>* file, const std::string& fixed);

  const ClientAuthSettings config_;
  std::unique_ptr<ReloadingFile<std::string>> username_file_;
  std::unique_ptr<ReloadingFile<std::string>> password_file_;
};

std::unique_ptr<ExtensionFactory> NewBasicAuthExtensionFactory();

}  // namespace polytrace
