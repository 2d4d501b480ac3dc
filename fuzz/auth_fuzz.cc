// Credentials as the authenticators read them from a request (bearer
// tokens; basic auth: base64, user:password, each hash scheme) and
// htpasswd content as the basicauth extension parses it.
#include <cstdint>
#include <string>

#include "extensions/basicauth/basic_auth.h"
#include "extensions/basicauth/htpasswd.h"
#include "extensions/bearertokenauth/bearer_token_auth.h"
#include "telemetry/logging.h"
#include "testing/test_host.h"

using namespace polytrace;

namespace {

testing::TestHost& Host() {
  static testing::TestHost host;
  return host;
}

BearerTokenAuth& Bearer() {
  static BearerTokenAuth* auth = [] {
    BearerTokenAuthConfig config;
    config.tokens = {"s3cret", "another-token"};
    Settings settings;
    settings.id = {"bearertokenauth", ""};
    settings.logger = MakeLogger("fuzz");
    auto* a = new BearerTokenAuth(settings, config);
    if (!a->Start(Host()).ok()) __builtin_trap();
    return a;
  }();
  return *auth;
}

BasicAuthServer& Basic() {
  // Fast schemes only (bcrypt at its lowest cost): the fuzzer explores the
  // parsing, not the hash functions' cost.
  static BasicAuthServer* auth = [] {
    HtpasswdSettings s;
    s.inline_content =
        "plain:secret\n"
        "sha:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"
        "apr:$apr1$r31abcde$SZEN.U5sWGGNcv9YsUrqI.\n"
        "bc:$2b$04$sOK4IX.Ew.euMUjy8t6qbuKavkzknTj288Klb8ETfZIMp1/jese9q\n";
    auto* a = new BasicAuthServer(s);
    if (!a->Start(Host()).ok()) __builtin_trap();
    return a;
  }();
  return *auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: (void)Bearer().Authenticate({{"authorization", rest}}); break;
    case 1: (void)Basic().Authenticate({{"authorization", rest}}); break;
    case 2: {
      Htpasswd htpasswd;
      (void)htpasswd.Add(rest, "fuzz");
      break;
    }
    case 3: {
      Result<PasswordHash> hash = PasswordHash::Parse(rest);
      if (hash.ok() && !hash.value().slow()) (void)hash.value().Matches("password");
      break;
    }
  }
  return 0;
}
