// HttpClient: a small HTTP/1.1 client (plain or TLS via OpenSSL) with
// keep-alive connection reuse and a deadline per request, for exporters and
// the CLI. TLS follows the Collector's client settings (tls/tls_config.h):
// trusted CAs, a client certificate, server_name_override, versions, and
// certificate files re-read every reload_interval.
//
// Thread-safe: concurrent Post calls use different connections from a pool.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tls/tls_config.h"

namespace polytrace {

struct Url {
  bool https = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"

  static Result<Url> Parse(const std::string& text);
};

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string retry_after;  // raw Retry-After header
  std::string body;
  bool keep_alive = true;  // false: the server closes the connection
};

class HttpClient {
 public:
  // An https URL uses `tls` (the system's CAs when none is set).
  HttpClient(Url url, TlsClientConfig tls = {});
  ~HttpClient();
  // Whether the TLS settings could be loaded (files readable, key matching
  // the certificate); when not, every request fails with this status.
  const Status& status() const;
  // Connection, TLS and timeout failures are kUnavailable / kDeadlineExceeded.
  Result<HttpClientResponse> Post(const std::vector<std::pair<std::string, std::string>>& headers,
                                  const std::string& body, std::chrono::milliseconds timeout);
  // Requests in flight fail at once (kUnavailable), and so does every later
  // one: for shutdown, when the peer may never answer. Thread-safe.
  void Cancel();
  // GET of `target` (path and query) on the client's host.
  Result<HttpClientResponse> Get(const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::chrono::milliseconds timeout);
  // GET whose 200 answer's body goes to `on_body` piece by piece as it
  // arrives (a trace of a million spans, never held whole; `on_body`
  // returning false stops the read): `timeout` bounds each read, not the
  // whole body. Other answers come back with their bodies. On a connection
  // of its own.
  Result<HttpClientResponse> GetStreamed(
      const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
      std::chrono::milliseconds timeout, const std::function<bool(std::string_view)>& on_body);

 private:
  Result<HttpClientResponse> Send(bool post, const std::string& target,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const std::string& body, std::chrono::milliseconds timeout);
  struct Connection;
  Result<HttpClientResponse> SendOn(std::unique_ptr<Connection>& c, bool reused, bool post,
                                    const std::string& target,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& body, std::chrono::milliseconds timeout);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace polytrace
