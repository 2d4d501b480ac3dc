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

std::vector<std::pair<std::string, std::string>> QueryClient::Headers(
    const std::string& accept) const {
  std::vector<std::pair<std::string, std::string>> headers = {{"Accept", accept}};
  if (!authorization_.empty()) headers.emplace_back("Authorization", authorization_);
  return headers;
}

Result<HttpClientResponse> QueryClient::Get(const std::string& target, const std::string& accept,
                                            std::chrono::milliseconds timeout) {
  // Read as a stream and gathered: a whole answer has no size limit here
  // (`verify` of a trace bigger than 8 MB failed on Beast's default one).
  std::string body;
  Result<HttpClientResponse> r = GetStreamed(target, accept, timeout, [&](std::string_view piece) {
    body.append(piece);
    return true;
  });
  if (r.ok() && r->status == 200) r->body = std::move(body);
  return r;
}

Result<HttpClientResponse> QueryClient::GetStreamed(
    const std::string& target, const std::string& accept, std::chrono::milliseconds timeout,
    const std::function<bool(std::string_view)>& on_body) {
  return Explained(client_.GetStreamed(target, Headers(accept), timeout, on_body));
}

Result<HttpClientResponse> QueryClient::Explained(Result<HttpClientResponse> r) const {
  if (r.ok() && r->status == 401) {
    r->body += authorization_.empty()
                   ? " (set POLYTRACE_AUTHORIZATION to the Authorization header to send)"
                   : " (POLYTRACE_AUTHORIZATION was refused)";
  }
  return r;
}

}  // namespace polytrace
