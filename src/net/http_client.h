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

  // A POST whose answer is read later, by FinishPost, so that the thread
  // that sent it is not woken by an answer it has no use for yet (an
  // exporter reads it when it next sends). Plain HTTP: BeginPost writes the
  // request and returns; https: the whole exchange happens in BeginPost.
  // `body` and the client outlive the Posted; errors surface in FinishPost.
  class Posted;
  std::unique_ptr<Posted> BeginPost(const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& body, std::chrono::milliseconds timeout);
  // The answer, waited for up to the deadline BeginPost's timeout set; the
  // errors Post returns.
  Result<HttpClientResponse> FinishPost(std::unique_ptr<Posted> posted);
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
  // A request written (plain HTTP) or exchanged (https) whose answer Finish
  // reads; a kept-alive connection the server closed meanwhile is replaced
  // once.
  std::unique_ptr<Posted> Begin(bool post, const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body, std::chrono::milliseconds timeout);
  // `answer_may_be_in`: the request left long ago; its answer is read
  // before it is waited for.
  Result<HttpClientResponse> Finish(std::unique_ptr<Posted> posted, bool answer_may_be_in);
  struct Connection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A request sent whose answer is not read yet: it holds its connection.
class HttpClient::Posted {
 public:
  ~Posted();
  // Whether its outcome is known already (a failure to send, or https's
  // whole exchange): FinishPost will neither read nor wait.
  bool outcome_known() const;

 private:
  friend class HttpClient;
  Posted();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace polytrace
