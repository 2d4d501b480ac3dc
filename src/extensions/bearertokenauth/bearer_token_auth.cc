#include "extensions/bearertokenauth/bearer_token_auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <strings.h>

#include <cctype>

namespace polytrace {
namespace {

std::string ToLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// One token per line, trimmed, as the Collector reads the file; blank lines
// are skipped, so a trailing newline never makes "Bearer " a valid value.
std::vector<std::string> SplitTokens(std::string_view content) {
  std::vector<std::string> tokens;
  size_t begin = 0;
  while (begin <= content.size()) {
    size_t end = content.find('\n', begin);
    if (end == std::string_view::npos) end = content.size();
    std::string token = TrimAsciiSpace(content.substr(begin, end - begin));
    if (!token.empty()) tokens.push_back(std::move(token));
    begin = end + 1;
  }
  return tokens;
}

}  // namespace

Status BearerTokenAuthConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("header", &header));
  POLYTRACE_RETURN_IF_ERROR(r.Read("scheme", &scheme));
  POLYTRACE_RETURN_IF_ERROR(r.Read("token", &token));
  POLYTRACE_RETURN_IF_ERROR(r.Read("tokens", &tokens));
  POLYTRACE_RETURN_IF_ERROR(r.Read("filename", &filename));
  return r.Finish();
}

Status BearerTokenAuthConfig::Validate() const {
  if (token.empty() && tokens.empty() && filename.empty()) {
    return Status::InvalidArgument("no bearer token provided");
  }
  if (!token.empty() && !tokens.empty()) {
    return Status::InvalidArgument("either tokens or token should be provided, not both");
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) return Status::InvalidArgument(fmt::format("tokens[{}] is empty", i));
  }
  if (header.empty()) return Status::InvalidArgument("header must not be empty");
  return Status::Ok();
}

BearerTokenAuth::BearerTokenAuth(const Settings& settings, BearerTokenAuthConfig config,
                                 std::chrono::nanoseconds file_check_interval)
    : config_(std::move(config)), header_lower_(ToLower(config_.header)) {
  if (!config_.filename.empty()) {
    if (settings.logger && (!config_.token.empty() || !config_.tokens.empty())) {
      settings.logger->warn("a filename is specified. Configured token(s) is ignored!");
    }
    std::string scheme = config_.scheme;
    std::string path = config_.filename;
    auto parse = [scheme, path](const std::string& content) -> Result<Credentials> {
      std::vector<std::string> tokens = SplitTokens(content);
      if (tokens.empty()) {
        return Status::InvalidArgument(fmt::format("token file \"{}\" holds no token", path));
      }
      return MakeCredentials(scheme, tokens);
    };
    auto logger = settings.logger;
    file_ = std::make_unique<ReloadingFile<Credentials>>(
        config_.filename, std::move(parse), file_check_interval, [logger](const std::string& m) {
          if (logger) logger->error("bearertokenauth: reloading the token file failed: {}", m);
        });
  } else if (!config_.tokens.empty()) {
    static_credentials_ =
        std::make_shared<const Credentials>(MakeCredentials(config_.scheme, config_.tokens));
  } else {
    static_credentials_ =
        std::make_shared<const Credentials>(MakeCredentials(config_.scheme, {config_.token}));
  }
}

Status BearerTokenAuth::Start(Host&) {
  if (file_ == nullptr) return Status::Ok();
  Status loaded = file_->Load();
  if (!loaded.ok()) return loaded.WithContext("bearertokenauth");
  return Status::Ok();
}

BearerTokenAuth::Digest BearerTokenAuth::Sha256(std::string_view text) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

BearerTokenAuth::Credentials BearerTokenAuth::MakeCredentials(
    const std::string& scheme, const std::vector<std::string>& tokens) {
  Credentials credentials;
  for (const std::string& token : tokens) {
    std::string value = scheme.empty() ? token : scheme + " " + token;
    credentials.digests.push_back(Sha256(value));
    credentials.values.push_back(std::move(value));
  }
  return credentials;
}

Result<std::shared_ptr<const BearerTokenAuth::Credentials>> BearerTokenAuth::Current() {
  if (file_ != nullptr) return file_->Get();
  return static_credentials_;
}

Status BearerTokenAuth::Authenticate(const AuthHeaders& headers) {
  const std::string* presented = nullptr;
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), header_lower_.c_str()) == 0) {
      presented = &value;
      break;
    }
  }
  if (presented == nullptr || presented->empty()) {
    return Status::Unauthenticated(
        fmt::format("missing or empty authorization header: {}", config_.header));
  }
  Result<std::shared_ptr<const Credentials>> credentials = Current();
  if (!credentials.ok()) return credentials.status();
  // Every accepted value is compared, matched or not, and only digests are:
  // the time taken depends on neither the token nor how much of it matched.
  Digest digest = Sha256(*presented);
  bool matched = false;
  for (const Digest& accepted : (*credentials)->digests) {
    matched |= CRYPTO_memcmp(accepted.data(), digest.data(), digest.size()) == 0;
  }
  // The Collector appends the value it received; it is a credential, so not here.
  if (!matched) return Status::Unauthenticated("scheme or token does not match");
  return Status::Ok();
}

std::string BearerTokenAuth::Challenge() const {
  return config_.scheme.empty() ? "Bearer" : config_.scheme;
}

Result<AuthHeaders> BearerTokenAuth::RequestHeaders() {
  Result<std::shared_ptr<const Credentials>> credentials = Current();
  if (!credentials.ok()) return credentials.status();
  return AuthHeaders{{header_lower_, (*credentials)->values.front()}};
}

namespace {

class BearerTokenAuthFactory : public ExtensionFactory {
 public:
  std::string type() const override { return "bearertokenauth"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<BearerTokenAuthConfig>();
  }
  Result<ExtensionPtr> CreateExtension(const Settings& settings,
                                       const ComponentConfig& config) const override {
    return ExtensionPtr(std::make_unique<BearerTokenAuth>(
        settings, static_cast<const BearerTokenAuthConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExtensionFactory> NewBearerTokenAuthExtensionFactory() {
  return std::make_unique<BearerTokenAuthFactory>();
}

}  // namespace polytrace
