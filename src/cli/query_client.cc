#include "cli/query_client.h"

#include <cstdlib>

namespace polytrace {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

TlsClientConfig TlsFromEnv() {
  TlsClientConfig tls;
  tls.ca_file = Env("POLYTRACE_CA_FILE");
  return tls;
}

}  // namespace

QueryClient::QueryClient(const Url& url)
    : client_(url, TlsFromEnv()), authorization_(Env("POLYTRACE_AUTHORIZATION")) {}

Result<HttpClientResponse> QueryClient::Get(const std::string& target, const std::string& accept,
                                            std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", accept}};
  if (!authorization_.empty()) headers.emplace_back("Authorization", authorization_);
  Result<HttpClientResponse> r = client_.Get(target, headers, timeout);
  if (r.ok() && r->status == 401) {
    r->body += authorization_.empty()
                   ? " (set POLYTRACE_AUTHORIZATION to the Authorization header to send)"
                   : " (POLYTRACE_AUTHORIZATION was refused)";
  }
  return r;
}

}  // namespace polytrace
