// The `bearertokenauth` extension (the Collector contrib's
// extension/bearertokenauthextension): a static token, a list of them, or a
// token file, that exporters send as `authorization: Bearer <token>` and
// that receivers require on every request.
//
// Server side, the header value is compared against every accepted
// `<scheme> <token>` through their SHA-256 digests with CRYPTO_memcmp, so
// neither the token nor its length leaks through timing. A token file is
// re-read when it changes (checked at most once a second, on use).
//
// Thread-safe: Authenticate and RequestHeaders run on any thread; the only
// mutable state is inside ReloadingFile.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "extensions/internal/reloading_file.h"
#include "pipeline/auth.h"
#include "pipeline/factory.h"

namespace polytrace {

class BearerTokenAuthConfig : public ComponentConfig {
 public:
  std::string header = "Authorization";
  std::string scheme = "Bearer";
  std::string token;
  std::vector<std::string> tokens;
  // Takes precedence over token and tokens; one token per line.
  std::string filename;

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class BearerTokenAuth : public ServerAuthenticator, public ClientAuthenticator {
 public:
  // file_check_interval: how often a token file is checked for changes.
  BearerTokenAuth(const Settings& settings, BearerTokenAuthConfig config,
                  std::chrono::nanoseconds file_check_interval = std::chrono::seconds(1));

  // Reads the token file, if any: a missing or empty file fails Start.
  Status Start(Host& host) override;
  void Shutdown() override {}

  Status Authenticate(const AuthHeaders& headers) override;
  std::string Challenge() const override;
  Result<AuthHeaders> RequestHeaders() override;

 private:
  using Digest = std::array<unsigned char, 32>;
  // The accepted header values ("Bearer <token>"), the first one sent by the
  // client side, and their digests for the server side.
  struct Credentials {
    std::vector<std::string> values;
    std::vector<Digest> digests;
  };
  static Digest Sha256(std::string_view text);
  static Credentials MakeCredentials(const std::string& scheme,
                                     const std::vector<std::string>& tokens);
  Result<std::shared_ptr<const Credentials>> Current();

  const BearerTokenAuthConfig config_;
  const std::string header_lower_;
  std::shared_ptr<const Credentials> static_credentials_;  // token / tokens
  std::unique_ptr<ReloadingFile<Credentials>> file_;       // filename
};

std::unique_ptr<ExtensionFactory> NewBearerTokenAuthExtensionFactory();

}  // namespace polytrace
