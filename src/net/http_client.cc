#include "net/http_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>

#include "net/polling_stream.h"
#include "tls/tls_context.h"

namespace polytrace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
// Requests point at the caller's body instead of copying it (an export's
// compressed batch, tens of kilobytes each).
using Request = http::request<http::span_body<const char>>;

Result<Url> Url::Parse(const std::string& text) {
  Url u;
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    u.https = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else {
    return Status::InvalidArgument(fmt::format("\"{}\" is not an http:// or https:// URL", text));
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.https ? "443" : "80";
  }
  if (u.host.size() >= 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty()) return Status::InvalidArgument(fmt::format("\"{}\" has no host", text));
  return u;
}

// One connection with its own io_context, on which connecting, TLS requests
// and streamed reads run their async steps with a deadline (plain requests
// poll the socket instead, see ExchangeByPolling), so a dead peer never
// blocks a sender forever.
struct HttpClient::Connection {
  asio::io_context io;
  std::unique_ptr<beast::tcp_stream> plain;
  std::optional<ssl::context> ssl_ctx;  // before tls, which refers to it
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};

struct HttpClient::Impl {
  Url url;
  TlsClientConfig tls_options;
  std::shared_ptr<TlsContextSource> tls_source;  // https only
  Status init_status;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mu
  std::vector<Connection*> in_flight;             // guarded by mu
  bool cancelled = false;                         // guarded by mu
  // Readable once cancelled: ends the polls of plain exchanges.
  int cancel_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  ~Impl() {
    if (cancel_fd >= 0) ::close(cancel_fd);
  }

  // Registers a connection for Cancel; false once cancelled.
  bool BeginUse(Connection* c) {
    std::lock_guard<std::mutex> lock(mu);
    if (cancelled) return false;
    in_flight.push_back(c);
    return true;
  }
  void EndUse(Connection* c) {
    std::lock_guard<std::mutex> lock(mu);
    in_flight.erase(std::remove(in_flight.begin(), in_flight.end(), c), in_flight.end());
  }

  Status Connect(Connection& c, std::chrono::milliseconds timeout) {
    beast::error_code ec;
    tcp::resolver resolver(c.io);
    auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) {
      return Status::Unavailable(fmt::format("resolve {}: {}", url.host, ec.message()));
    }
    if (url.https) {
      SslContextPtr current = tls_source->Current();
      SSL_CTX_up_ref(current.get());  // adopted by c.ssl_ctx
      c.ssl_ctx.emplace(current.get());
      c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c.io, *c.ssl_ctx);
      POLYTRACE_RETURN_IF_ERROR(
          PrepareClientConnection(c.tls->native_handle(), url.host, tls_options));
    } else {
      c.plain = std::make_unique<beast::tcp_stream>(c.io);
    }
    c.lowest().expires_after(timeout);
    c.lowest().async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    c.io.restart();
    c.io.run();
    if (ec) {
      return Status::Unavailable(
          fmt::format("connect {}:{}: {}", url.host, url.port, ec.message()));
    }
    if (url.https) {
      c.tls->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      c.io.restart();
      c.io.run();
      if (ec) {
        // "certificate verify failed" says little; the verification result
        // says which (unknown CA, expired, name mismatch).
        long verify = SSL_get_verify_result(c.tls->native_handle());
        std::string why = verify == X509_V_OK ? ec.message()
                                              : fmt::format("{}: {}", ec.message(),
                                                            X509_verify_cert_error_string(verify));
        return Status::Unavailable(
            fmt::format("TLS handshake with {}:{}: {}", url.host, url.port, why));
      }
    }
    return Status::Ok();
  }

  template <typename Stream>
  Result<HttpClientResponse> Exchange(Stream& s, Connection& c, Request& req,
                                      std::chrono::milliseconds timeout) {
    beast::error_code ec;
    http::response<http::string_body> res;
    c.lowest().expires_after(timeout);
    http::async_write(s, req, [&](beast::error_code e, size_t) {
      ec = e;
      if (e) return;
      http::async_read(s, c.buffer, res, [&](beast::error_code e2, size_t) { ec = e2; });
    });
    c.io.restart();
    c.io.run();
    return Outcome(ec, res, timeout);
  }

  // Plain HTTP, from the calling thread without the event loop: one sendmsg,
  // one poll and one recv a request (see PollingStream).
  Result<HttpClientResponse> ExchangeByPolling(Connection& c, Request& req,
                                               std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    PollingStream s(c.plain->socket().native_handle(), cancel_fd, deadline);
    beast::error_code ec;
    http::write(s, req, ec);
    if (ec) {
      http::response<http::string_body> none;
      return Outcome(ec, none, timeout);
    }
    return ReadByPolling(c, deadline, timeout, /*answer_may_be_in=*/false);
  }

  // The answer to a request written on `c` (plain HTTP).
  Result<HttpClientResponse> ReadByPolling(Connection& c,
                                           std::chrono::steady_clock::time_point deadline,
                                           std::chrono::milliseconds timeout,
                                           bool answer_may_be_in) {
    PollingStream s(c.plain->socket().native_handle(), cancel_fd, deadline, answer_may_be_in);
    beast::error_code ec;
    http::response<http::string_body> res;
    http::read(s, c.buffer, res, ec);
    return Outcome(ec, res, timeout);
  }

  // Writes `req` on `c` (plain HTTP), connecting it first unless `reused`;
  // a reused connection the server may have closed meanwhile is replaced
  // once (`*reused` then becomes false).
  Status WriteByPolling(Connection& c, bool* reused, Request& req,
                        std::chrono::steady_clock::time_point deadline,
                        std::chrono::milliseconds timeout) {
    if (!*reused) POLYTRACE_RETURN_IF_ERROR(Connect(c, timeout));
    beast::error_code ec;
    {
      PollingStream s(c.plain->socket().native_handle(), cancel_fd, deadline);
      http::write(s, req, ec);
    }
    if (ec && *reused && ec != beast::error::timeout &&
        ec != boost::asio::error::operation_aborted) {
      Reset(c);
      *reused = false;
      return WriteByPolling(c, reused, req, deadline, timeout);
    }
    if (!ec) return Status::Ok();
    http::response<http::string_body> none;
    return Outcome(ec, none, timeout).status();
  }

  static void Reset(Connection& c) {
    c.plain.reset();
    c.tls.reset();
    c.buffer.clear();
  }

  std::unique_ptr<Connection> TakeIdle() {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.empty()) return nullptr;
    std::unique_ptr<Connection> c = std::move(idle.back());
    idle.pop_back();
    return c;
  }

  Result<HttpClientResponse> Outcome(const beast::error_code& ec,
                                     http::response<http::string_body>& res,
                                     std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout) {
      return Status::DeadlineExceeded(
          fmt::format("no response from {} within {} ms", url.host, timeout.count()));
    }
    if (ec) return Status::Unavailable(fmt::format("{}: {}", url.host, ec.message()));
    HttpClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.retry_after = std::string(res[http::field::retry_after]);
    out.body = std::move(res.body());
    out.keep_alive = res.keep_alive();
    return out;
  }

  // As Exchange, but a 200 answer's body goes to `sink` as it arrives
  // (nothing of it held), the deadline counting per read, not for the
  // whole body; other answers' bodies are kept, up to kMaxErrorBody.
  template <typename Stream>
  Result<HttpClientResponse> ExchangeStreamed(Stream& s, Connection& c, Request& req,
                                              std::chrono::milliseconds timeout,
                                              const std::function<bool(std::string_view)>& sink) {
    constexpr size_t kMaxErrorBody = 1 << 20;
    beast::error_code ec;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    auto run = [&] {
      c.io.restart();
      c.io.run();
      if (ec == beast::error::timeout) {
        return Status::DeadlineExceeded(
            fmt::format("no response from {} within {} ms", url.host, timeout.count()));
      }
      if (ec) return Status::Unavailable(fmt::format("{}: {}", url.host, ec.message()));
      return Status::Ok();
    };
    c.lowest().expires_after(timeout);
    http::async_write(s, req, [&](beast::error_code e, size_t) {
      ec = e;
      if (e) return;
      http::async_read_header(s, c.buffer, parser, [&](beast::error_code e2, size_t) { ec = e2; });
    });
    POLYTRACE_RETURN_IF_ERROR(run());
    HttpClientResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    out.content_type = std::string(parser.get()[http::field::content_type]);
    out.retry_after = std::string(parser.get()[http::field::retry_after]);
    std::vector<char> piece(64 * 1024);
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      c.lowest().expires_after(timeout);
      http::async_read(s, c.buffer, parser, [&](beast::error_code e, size_t) {
        ec = e == http::error::need_buffer ? beast::error_code() : e;
      });
      POLYTRACE_RETURN_IF_ERROR(run());
      std::string_view got(piece.data(), piece.size() - parser.get().body().size);
      if (out.status != 200) {
        out.body.append(got.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, out.body.size())));
      } else if (!got.empty() && !sink(got)) {
        return Status::InvalidArgument(
            fmt::format("the answer of {} was not what its reader expects", url.host));
      }
    }
    out.keep_alive = false;  // never pooled
    return out;
  }
};

HttpClient::HttpClient(Url url, TlsClientConfig tls) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->tls_options = std::move(tls);
  if (impl_->url.https) {
    Result<std::shared_ptr<TlsContextSource>> source =
        TlsContextSource::ForClient(impl_->tls_options);
    if (source.ok()) {
      impl_->tls_source = std::move(source.value());
    } else {
      impl_->init_status = source.status();
    }
  }
}

const Status& HttpClient::status() const { return impl_->init_status; }

HttpClient::~HttpClient() = default;

void HttpClient::Cancel() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->cancelled = true;
  // Each connection's async operations run on its own io_context in the
  // sending thread: cancelling the socket there completes them with
  // operation_aborted. Plain requests poll the cancel eventfd instead.
  for (Connection* c : impl_->in_flight) {
    asio::post(c->io, [c] { c->lowest().cancel(); });
  }
  if (impl_->cancel_fd >= 0) {
    uint64_t one = 1;  // level-triggered: every later poll sees it too
    [[maybe_unused]] ssize_t n = ::write(impl_->cancel_fd, &one, sizeof one);
  }
}

Result<HttpClientResponse> HttpClient::Post(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  return Send(true, impl_->url.target, headers, body, timeout);
}

Result<HttpClientResponse> HttpClient::Get(
    const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout) {
  return Send(false, target, headers, "", timeout);
}

Result<HttpClientResponse> HttpClient::GetStreamed(
    const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout, const std::function<bool(std::string_view)>& on_body) {
  if (!impl_->init_status.ok()) return impl_->init_status;
  // A connection of its own: a body half delivered is never asked for
  // again, as a retry on a pooled connection would.
  auto c = std::make_unique<Connection>();
  if (!impl_->BeginUse(c.get())) {
    return Status::Unavailable(
        fmt::format("request to {} cancelled: shutting down", impl_->url.host));
  }
  Result<HttpClientResponse> res = [&]() -> Result<HttpClientResponse> {
    POLYTRACE_RETURN_IF_ERROR(impl_->Connect(*c, timeout));
    Request req{http::verb::get, target, 11};
    req.set(http::field::host, impl_->url.host);
    req.set(http::field::user_agent, "polytrace");
    for (const auto& [k, v] : headers) req.set(k, v);
    return impl_->url.https ? impl_->ExchangeStreamed(*c->tls, *c, req, timeout, on_body)
                            : impl_->ExchangeStreamed(*c->plain, *c, req, timeout, on_body);
  }();
  impl_->EndUse(c.get());
  return res;
}

struct HttpClient::Posted::State {
  Impl* impl = nullptr;
  std::unique_ptr<Connection> c;
  bool reused = false;     // c served an earlier request
  bool in_flight = false;  // c is listed for Cancel
  Request req;
  std::chrono::milliseconds timeout{0};
  std::chrono::steady_clock::time_point deadline;
  // Known already: an error before the answer, or https's whole exchange.
  std::optional<Result<HttpClientResponse>> outcome;

  ~State() {
    if (in_flight) impl->EndUse(c.get());
  }

  Result<HttpClientResponse> ExchangeTls() {
    if (!reused) POLYTRACE_RETURN_IF_ERROR(impl->Connect(*c, timeout));
    return AgainIfTheServerClosed(impl->Exchange(*c->tls, *c, req, timeout));
  }

  // A kept-alive connection the server may have closed meanwhile (idle, or
  // as the request went out): the request once more on a fresh one (the
  // same Connection, still registered for Cancel).
  Result<HttpClientResponse> AgainIfTheServerClosed(Result<HttpClientResponse> res) {
    if (res.ok() || !reused || res.status().code() != StatusCode::kUnavailable) return res;
    Impl::Reset(*c);
    reused = false;
    POLYTRACE_RETURN_IF_ERROR(impl->Connect(*c, timeout));
    return impl->url.https ? impl->Exchange(*c->tls, *c, req, timeout)
                           : impl->ExchangeByPolling(*c, req, timeout);
  }
};

HttpClient::Posted::Posted() : state_(std::make_unique<State>()) {}
HttpClient::Posted::~Posted() = default;
bool HttpClient::Posted::outcome_known() const { return state_->outcome.has_value(); }

std::unique_ptr<HttpClient::Posted> HttpClient::BeginPost(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  return Begin(true, impl_->url.target, headers, body, timeout);
}

Result<HttpClientResponse> HttpClient::FinishPost(std::unique_ptr<Posted> posted) {
  return Finish(std::move(posted), /*answer_may_be_in=*/true);
}

Result<HttpClientResponse> HttpClient::Send(
    bool post, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  return Finish(Begin(post, target, headers, body, timeout), /*answer_may_be_in=*/false);
}

std::unique_ptr<HttpClient::Posted> HttpClient::Begin(
    bool post, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    std::chrono::milliseconds timeout) {
  std::unique_ptr<Posted> posted(new Posted);
  Posted::State& p = *posted->state_;
  p.impl = impl_.get();
  p.timeout = timeout;
  p.deadline = std::chrono::steady_clock::now() + timeout;
  if (!impl_->init_status.ok()) {
    p.outcome = impl_->init_status;
    return posted;
  }
  p.c = impl_->TakeIdle();
  p.reused = p.c != nullptr;
  if (!p.c) p.c = std::make_unique<Connection>();
  if (!impl_->BeginUse(p.c.get())) {
    p.outcome =
        Status::Unavailable(fmt::format("request to {} cancelled: shutting down", impl_->url.host));
    return posted;
  }
  p.in_flight = true;
  p.req = Request{post ? http::verb::post : http::verb::get, target, 11};
  p.req.set(http::field::host, impl_->url.host);
  p.req.set(http::field::user_agent, "polytrace");
  for (const auto& [k, v] : headers) p.req.set(k, v);
  if (post) {
    p.req.body() = {body.data(), body.size()};  // `body` outlives the request
    p.req.prepare_payload();
  }
  p.req.keep_alive(true);
  if (impl_->url.https) {
    p.outcome = p.ExchangeTls();
  } else if (Status st = impl_->WriteByPolling(*p.c, &p.reused, p.req, p.deadline, timeout);
             !st.ok()) {
    p.outcome = st;
  }
  return posted;
}

Result<HttpClientResponse> HttpClient::Finish(std::unique_ptr<Posted> posted,
                                              bool answer_may_be_in) {
  Posted::State& p = *posted->state_;
  if (!p.outcome) {
    p.outcome = p.AgainIfTheServerClosed(
        impl_->ReadByPolling(*p.c, p.deadline, p.timeout, answer_may_be_in));
  }
  Result<HttpClientResponse> res = std::move(*p.outcome);
  if (p.in_flight) {
    impl_->EndUse(p.c.get());
    p.in_flight = false;
  }
  if (res.ok() && res->keep_alive && p.c) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->cancelled) impl_->idle.push_back(std::move(p.c));
  }
  return res;
}

}  // namespace polytrace
