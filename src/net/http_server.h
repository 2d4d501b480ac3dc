// HttpServer: the HTTP/1.1 server behind every polytrace port (OTLP/HTTP
// :4318, self-metrics :8888, later the query API :16686 and Zipkin :9411).
//
// Keep-alive, `Expect: 100-continue`, a body limit enforced before the body
// is read (413 without buffering an oversized body), read timeouts against
// slow clients, and a bound on open connections. Boost.Beast stays inside
// http_server.cc (it is slow to compile).
//
// Hostile input is refused before a handler sees it: a NUL byte in the
// target (400), a Transfer-Encoding other than chunked (400 / 501, RFC 9112
// section 6), and, on a loopback listener, a Host that is neither an IP
// address, localhost nor an allowed name (403: a DNS-rebinding page could
// otherwise read every trace). Every response carries nosniff, no-referrer,
// a Content-Security-Policy and frame-ancestors 'none' unless the handler
// set its own. Out of descriptors, the accept loop backs off (5 ms doubling
// to 1 s, as Go's servers do) instead of spinning.
//
// With `tls_context` the listener speaks TLS (OpenSSL through Beast), and
// `authorize` lets an authenticator refuse a request by its headers.
//
// With `http2`, connections that open with HTTP/2's preface are served as
// HTTP/2 (several requests at once on one connection), the same handler
// answering; the same checks apply, and request bodies are admitted as they
// are announced (content-length or a gRPC message's length).
//
// Threading: handlers run on the server's I/O threads (`threads` of them),
// several at once; a handler may block (e.g. on a pipeline refusing), which
// holds only its own connection (with event_loop_per_thread: the
// connections of its thread's loop; with standby_thread, nothing for longer
// than standby_after).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/admission.h"
#include "core/status.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace polytrace {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path and query as sent
  std::string path;     // without the query
  std::string query;    // after '?', undecoded
  HttpHeaders headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // The connection's socket while the handler runs (HTTP/1.1 without TLS;
  // -1 otherwise), for ClientGone.
  int connection_fd = -1;

  // The first header with that (lower-case) name, or "".
  std::string_view Header(std::string_view lower_name) const;
  // Whether the client closed its connection meanwhile (EOF, as Go's servers
  // cancel a request's context), for a handler with long work to stop it.
  // Always false over TLS (a close_notify record comes before the EOF) and
  // HTTP/2.
  bool ClientGone() const;
};

// A body made a piece at a time, for an answer too big to hold whole (a
// trace of a million spans). Each call appends the next piece to `*out`
// and says whether more follow; kFailed cuts the body short (HTTP/1.1: the
// connection closes before the last chunk, so the client sees an incomplete
// answer, never a wrong one).
enum class BodyStep { kMore, kDone, kFailed };
using BodyProducer = std::function<BodyStep(std::string* out)>;

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  // Set instead of `body`: HTTP/1.1 sends each piece as a chunk once the
  // previous one is written, so a slow client holds the producer back (and
  // its memory bounded) instead of it running ahead, and a client that goes
  // away ends it (the producer is dropped, its remaining work not done).
  // Called on the connection's thread; never for a HEAD request.
  BodyProducer stream;
  // Sent after the body over HTTP/2 (gRPC's grpc-status); HTTP/1.1 has none.
  HttpHeaders trailers;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse WithBody(int status, std::string content_type, std::string body);
  static HttpResponse Streamed(int status, std::string content_type, BodyProducer stream);
  void SetHeader(std::string name, std::string value);
  // Runs `stream` to its end into `body` (HTTP/2 and HTTP/1.0, which send
  // one body); false when it failed.
  bool DrainStream();
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

struct HttpServerOptions {
  std::string endpoint = "localhost:0";  // host:port; ":port" means all interfaces
  size_t max_request_body_size = 20 << 20;
  int threads = 2;
  // Each thread runs an event loop of its own and connections are spread
  // over them (as Envoy's workers): a request is read, handled and answered
  // on one thread, with no wake-ups of another (at 10k spans/s over gRPC,
  // 23 context switches a request became 2.5). A handler that waits then
  // holds the other connections of its loop: for ingest, whose handlers
  // answer promptly; the query API runs one loop with a standby thread.
  bool event_loop_per_thread = false;
  // One thread runs the event loop and its handlers inline; a second
  // stands by and runs the loop only while a handler has held it longer
  // than `standby_after` (net/loop_standby.h). For the query API: a lookup
  // costs no hand-over between threads, and a search that takes a second
  // holds up no other connection. `threads` is then not read.
  bool standby_thread = false;
  std::chrono::milliseconds standby_after{2};
  // Standbys chained (each takes over from the one before while it is held):
  // this many slow handlers at once still leave the loop answering others.
  int standbys = 1;
  // HTTP/2: while no request is open on a connection (after its first
  // answer), input wakes the loop only when at least this many bytes wait
  // (SO_RCVLOWAT), or `quiet_input_wait` later; 0: off. A gRPC client answers each answer
  // with a flow-control PING and a WINDOW_UPDATE (grpc-go: 30 bytes), which
  // then come in with its next request instead of waking the loop on their
  // own: one wake-up a call instead of two (see docs/BENCHMARKS.md).
  int quiet_input_bytes = 0;
  std::chrono::milliseconds quiet_input_wait{1'000};
  std::chrono::milliseconds read_timeout{30'000};   // per request: headers and body
  std::chrono::milliseconds idle_timeout{120'000};  // keep-alive connection with no request
  size_t max_connections = 4096;
  std::string name = "http";  // for logs and errors
  // Host names accepted besides IP addresses and localhost ("*": any). Empty:
  // any name on a listener bound beyond loopback (the operator opened it up
  // and its names are unknown), none on a loopback listener.
  std::vector<std::string> allowed_hosts;
  // Where the server reports what it cannot tell a client (accept failures).
  std::function<void(const std::string&)> log_error;
  // When set, a request's body is admitted (its Content-Length, else the
  // body limit) before it is read, and held until the response is written:
  // refused, it gets 429 with Retry-After having cost nothing.
  AdmissionGate* admission = nullptr;
  // When set, the listener speaks TLS only: each new connection takes the
  // context this returns (tls/tls_context.h; rotated certificates apply to
  // new connections). Failed handshakes are reported through log_error, at
  // most a few a second; a plaintext request gets a plaintext 400.
  std::function<std::shared_ptr<ssl_ctx_st>()> tls_context;
  // When set, sees each request's head (no body yet) before the body is
  // admitted or read; a response it returns (e.g. 401) is sent instead and
  // the connection closed, so an unauthenticated client cannot make the
  // server read its body.
  std::function<std::optional<HttpResponse>(const HttpRequest& head)> authorize;
  // Also serve HTTP/2 (net/http2_session.h): a connection that opens with
  // HTTP/2's preface (h2c with prior knowledge, or after ALPN "h2" on TLS:
  // give tls_context one made with http2) is served as HTTP/2, others as
  // HTTP/1.1. gRPC is served this way.
  bool http2 = false;
  uint32_t max_concurrent_streams = 128;  // per HTTP/2 connection
  // Puts the server's own refusals of an HTTP/2 request (credentials,
  // admission, limits) in the listener's protocol, e.g. gRPC's
  // trailers-only answers; unset: sent as they are.
  std::function<HttpResponse(const HttpRequest& head, HttpResponse refusal)> refusal_form;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Errors name the endpoint and the cause.
  Status Start();
  // The bound port (useful with port 0); 0 before Start.
  uint16_t port() const;
  // Stops accepting, lets in-flight requests finish (up to `grace`), closes
  // idle connections and joins the threads. Idempotent; safe without Start.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether a request with this Host header may be served by a listener bound
// to `listener_host` (see allowed_hosts).
bool HostAllowed(std::string_view host_header, const std::string& listener_host,
                 const std::vector<std::string>& allowed_hosts);

// Splits "host:port" (also "[::1]:port" and ":port"); false if malformed.
bool SplitHostPort(const std::string& endpoint, std::string* host, uint16_t* port);

// Decodes one query parameter's value (percent-encoding and '+'); nullopt
// when absent.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
// ASCII lower-case (header names, host names).
std::string AsciiLower(std::string_view text);
// Percent-encodes everything but RFC 3986's unreserved characters, for a
// query value or a path segment.
std::string PercentEncode(std::string_view text);

}  // namespace polytrace
