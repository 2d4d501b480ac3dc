#include "net/http_server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "core/log_throttle.h"
#include "core/thread_name.h"
#include "net/http2_session.h"
#include "net/loop_standby.h"

namespace polytrace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool HttpRequest::ClientGone() const {
  if (connection_fd < 0) return false;
  char byte;
  ssize_t n = ::recv(connection_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  return WithBody(status, "text/plain; charset=utf-8", std::move(body));
}

HttpResponse HttpResponse::WithBody(int status, std::string content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Streamed(int status, std::string content_type, BodyProducer stream) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.stream = std::move(stream);
  return r;
}

bool HttpResponse::DrainStream() {
  if (!stream) return true;
  BodyProducer producer = std::move(stream);
  stream = nullptr;
  for (;;) {
    switch (producer(&body)) {
      case BodyStep::kMore: continue;
      case BodyStep::kDone: return true;
      case BodyStep::kFailed: return false;
    }
  }
}

void HttpResponse::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (beast::iequals(k, name)) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string AsciiLower(std::string_view s) {
  // Not std::tolower: a call into the C locale per character was 1.3% of
  // a gRPC call's CPU (each answer's header names pass here).
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool SplitHostPort(const std::string& endpoint, std::string* host, uint16_t* port) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = endpoint.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::string p = endpoint.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<uint16_t>(v);
  return true;
}

namespace {

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }

bool IEquals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()),
                        beast::string_view(b.data(), b.size()));
}

bool IsLoopbackListener(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

bool HostAllowed(std::string_view host_header, const std::string& listener_host,
                 const std::vector<std::string>& allowed_hosts) {
  if (host_header.empty()) return true;  // HTTP/1.0: no Host to trust or distrust
  std::string host;
  if (host_header.front() == '[') {
    size_t close = host_header.find(']');
    if (close == std::string_view::npos) return false;
    host = host_header.substr(1, close - 1);
  } else {
    host = AsciiLower(host_header.substr(0, host_header.rfind(':')));
  }
  if (!host.empty() && host.back() == '.') host.pop_back();
  // A rebinding page reaches us under its own name; an address it cannot fake.
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) return true;
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  for (const std::string& allowed : allowed_hosts) {
    if (allowed == "*" || beast::iequals(allowed, host)) return true;
  }
  return allowed_hosts.empty() && !IsLoopbackListener(listener_host);
}

namespace {

// Headers every response carries unless its handler set them: the UI and the
// APIs are never framed, sniffed, or leak their URL (trace IDs) as a referrer.
constexpr std::pair<const char*, const char*> kSecurityHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
     "frame-ancestors 'none'"},
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 &&
               HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    out.emplace_back(PercentDecode(part.substr(0, eq)),
                     eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1)));
  }
  return out;
}

namespace {

struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> busy{0};  // connections between a request's header and its response
  std::atomic<bool> stopping{false};
  std::unique_ptr<LoopStandby> standby;  // standby_thread: runs the loop while a handler holds it
  std::string listener_host;             // as configured: "localhost", "127.0.0.1", "0.0.0.0", ...
  LogThrottle handshake_log;

  // A few a second at most: a scanner or a misconfigured client must not
  // flood the log.
  void LogHandshakeFailure(const std::string& remote, const std::string& reason) {
    if (!options.log_error || !handshake_log.Allow()) return;
    options.log_error(fmt::format("{}: TLS handshake with {} on {} failed: {}", options.name,
                                  remote, options.endpoint, reason));
  }
};

// RFC 9112 section 6.1: chunked is the only transfer coding we decode, and it
// must be the last one applied; anything else cannot be framed reliably.
std::optional<std::pair<int, std::string>> TransferEncodingError(std::string_view te) {
  if (te.empty() || IEquals(te, "chunked")) return std::nullopt;
  std::string_view last =
      te.substr(te.rfind(',') == std::string_view::npos ? 0 : te.rfind(',') + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  if (!IEquals(last, "chunked")) {
    return std::pair{400, fmt::format("Transfer-Encoding \"{}\" does not end in chunked", te)};
  }
  return std::pair{501, fmt::format("Transfer-Encoding \"{}\" is not supported: send chunked "
                                    "only (Content-Encoding for compression)",
                                    te)};
}

bool TargetHasNul(std::string_view target) {
  if (target.find('\0') != std::string_view::npos) return true;
  for (size_t i = 0; i + 2 < target.size(); ++i) {
    if (target[i] == '%' && target[i + 1] == '0' && target[i + 2] == '0') return true;
  }
  return false;
}

// What every request's head must pass, in either protocol, before its body
// is admitted or read: no NUL in the target, a Host this listener answers
// to (gRPC calls skip it: no browser page can make one), credentials.
std::optional<HttpResponse> CheckHead(const Shared& shared, const HttpRequest& head) {
  if (TargetHasNul(head.target)) {
    return HttpResponse::Text(400, "request target contains a NUL byte\n");
  }
  std::string_view host = head.Header("host");
  if (!head.Header("content-type").starts_with("application/grpc") &&
      !HostAllowed(host, shared.listener_host, shared.options.allowed_hosts)) {
    return HttpResponse::Text(403, fmt::format("Host \"{}\" is not allowed on {} (a DNS-rebinding "
                                               "guard): use an IP address or localhost, or add the "
                                               "name to allowed_hosts\n",
                                               host, shared.options.endpoint));
  }
  if (shared.options.authorize) return shared.options.authorize(head);
  return std::nullopt;
}

// What a read or write does when it completes. One type for all of them: each
// distinct handler type built every composed operation (Beast's HTTP reads and
// writes, over TLS and over TCP) once more, and this file compiled for
// minutes.
using Done = std::function<void(beast::error_code, size_t)>;

// One connection: (TLS handshake,) read a request, run the handler, write
// the response, repeat while keep-alive. All its steps run on its strand.
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
  // The raw socket, not Beast's timed stream: the session keeps its own
  // deadlines (one timer, checked lazily), and each operation through the
  // timed stream's layer was code to build (this file took 90-230 s to
  // compile) and bookkeeping to run.
  using Stream = std::conditional_t<kTls, beast::ssl_stream<tcp::socket>, tcp::socket>;
  using std::enable_shared_from_this<Session<kTls>>::shared_from_this;

 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared, ssl_ctx_st* tls)
      : ssl_(Wrap(tls)), stream_(MakeStream(std::move(socket), ssl_)), shared_(std::move(shared)) {
    shared_->connections.fetch_add(1);
    beast::error_code ec;
    // No Nagle: HTTP/2 writes small frames apart (an answer, then a PING's
    // acknowledgement), and the second would wait for the client's delayed
    // ACK (40 ms): gRPC at saturation ran at a fifth of its speed.
    Lowest().set_option(tcp::no_delay(true), ec);
    auto ep = Lowest().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~Session() {
    SetBusy(false);
    shared_->connections.fetch_sub(1);
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->FirstRead();
      }
    });
  }

 private:
  // asio's context adopts an SSL_CTX reference; the source keeps its own.
  static std::optional<asio::ssl::context> Wrap(ssl_ctx_st* tls) {
    if (tls == nullptr) return std::nullopt;
    SSL_CTX_up_ref(tls);
    return std::optional<asio::ssl::context>(std::in_place, tls);
  }
  static Stream MakeStream(tcp::socket socket, std::optional<asio::ssl::context>& ssl) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *ssl);
    } else {
      return Stream(std::move(socket));
    }
  }
  tcp::socket& Lowest() { return beast::get_lowest_layer(stream_); }
  // HTTP/2 keeps its own deadlines (WatchHttp2Deadline): over plain TCP
  // it writes to the socket itself, without the timed stream's
  // bookkeeping around every operation (and reads as ReadHttp2 says).
  auto& H2Stream() {
    if constexpr (kTls) {
      return stream_;
    } else {
      return Lowest();
    }
  }

  void Handshake() {
    SetDeadline(shared_->options.read_timeout);
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) return self->OnHandshakeError(ec);
                                self->FirstRead();
                              });
    }
  }

  void OnHandshakeError(beast::error_code ec) {
    if (ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST &&
        ec.category() == asio::error::get_ssl_category()) {
      // A client configured for http:// (a common SDK mistake): say so in
      // plaintext, as Go's servers do, instead of a bare reset.
      static const std::string kBody = "this port speaks TLS: send the request over https://\n";
      static const std::string kAnswer = fmt::format(
          "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
          kBody.size(), kBody);
      asio::async_write(
          Lowest(), asio::buffer(kAnswer),
          Done([self = shared_from_this()](beast::error_code, size_t) { self->Close(); }));
      shared_->LogHandshakeFailure(remote_, "the client sent plaintext HTTP");
      return;
    }
    // A client that connects and leaves (a port probe, a load balancer's
    // health check) is not a failure worth a log line.
    if (ec != asio::error::eof && ec != beast::error::timeout &&
        ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
        ec != asio::ssl::error::stream_truncated) {
      shared_->LogHandshakeFailure(remote_, ec.message());
    }
    Close();
  }

  // The first bytes tell HTTP/2 (its preface) from HTTP/1.1; both parsers
  // start from what was read here.
  void FirstRead() {
    if (!shared_->options.http2) return ReadHeader();
    static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    std::string_view held(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    size_t n = std::min(held.size(), kPreface.size());
    if (held.substr(0, n) != kPreface.substr(0, n)) return ReadHeader();
    if (held.size() >= kPreface.size()) return StartHttp2();
    SetDeadline(shared_->options.read_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            Done([self = shared_from_this()](beast::error_code ec, size_t read) {
                              if (ec) return self->OnReadError(ec);
                              self->buffer_.commit(read);
                              self->FirstRead();
                            }));
  }

  void StartHttp2() {
    const HttpServerOptions& o = shared_->options;
    Http2Limits limits;
    limits.max_request_body_size = o.max_request_body_size;
    limits.max_concurrent_streams = o.max_concurrent_streams;
    Http2Hooks hooks;
    hooks.check_head = [shared = shared_.get()](const HttpRequest& head) {
      return CheckHead(*shared, head);
    };
    if (AdmissionGate* gate = o.admission) {
      hooks.admit = [gate](uint64_t bytes) { return gate->Admit(bytes); };
    }
    hooks.refusal_form = o.refusal_form;
    hooks.handle = shared_->handler;
    for (const auto& [name, value] : kSecurityHeaders) {
      hooks.default_headers.emplace_back(AsciiLower(name), value);
    }
    h2_ = std::make_unique<Http2Session>(limits, remote_, std::move(hooks));
    if constexpr (kTls) h2_in_ = std::make_unique<char[]>(kMaxReadChunk);
    last_progress_ = std::chrono::steady_clock::now();
    // The timer of the handshake's or the first read's deadline, if any,
    // watches HTTP/2's from now on (re-arming it cancels that wait).
    if (!deadline_timer_) deadline_timer_.emplace(stream_.get_executor());
    http1_timer_armed_ = false;
    WatchHttp2Deadline();
    std::string_view held(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    bool ok = h2_->Receive(held);
    buffer_ = beast::flat_buffer();
    AfterHttp2Input(ok);
  }

  void AfterHttp2Input(bool ok) {
    if (!ok) broken_ = true;
    // Over plain TCP the raised mark is lowered only while more input is
    // due (a request still arriving, a frame cut by the read): its next
    // part, however small, must wake the loop. Input that ended whole
    // leaves it raised (lowering it on each read and raising it after each
    // answer cost two system calls a request). Under TLS a read may stop
    // inside a record, which the session cannot see: every read lowers it.
    if (quiet_input_ && (kTls || h2_->AwaitsInput())) SetReceiveLowWatermark(1);
    if (shared_->stopping.load()) h2_->GoAway();
    SetBusy(h2_->Busy());
    // A request began: its (shorter) read timeout runs from now on.
    if (h2_->Busy() && deadline_timer_->expiry() > last_progress_ + shared_->options.read_timeout) {
      WatchHttp2Deadline();
    }
    FlushHttp2();
    if (!broken_ && !reading_ && h2_->WantsRead() && Lowest().is_open()) ReadHttp2();
  }

  // No request open (after the first): small input (the client's ping
  // after an answer) waits for more, or for the deadline timer, which
  // lowers the mark again within quiet_input_wait (lowering it wakes the
  // loop when bytes wait: the kernel signals them readable). A read after
  // which more input is due (AfterHttp2Input) lowers it; the connection idle
  // again raises it.
  void AwaitQuietInput() {
    if (shared_->options.quiet_input_bytes <= 1 || quiet_input_) return;
    SetReceiveLowWatermark(shared_->options.quiet_input_bytes);
    quiet_since_ = std::chrono::steady_clock::now();
    if (deadline_timer_->expiry() > quiet_since_ + shared_->options.quiet_input_wait) {
      WatchHttp2Deadline();
    }
  }

  void SetReceiveLowWatermark(int bytes) {
    int fd = Lowest().native_handle();
    quiet_input_ =
        ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0 && bytes > 1;
  }

  void ReadHttp2() {
    reading_ = true;
    if constexpr (kTls) {
      stream_.async_read_some(
          asio::buffer(h2_in_.get(), kMaxReadChunk),
          Done([self = shared_from_this()](beast::error_code ec, size_t read) {
            self->reading_ = false;
            if (ec) return self->Close();
            self->Received();
            self->AfterHttp2Input(self->h2_->Receive({self->h2_in_.get(), read}));
          }));
    } else {
      // Over plain TCP: wait until the socket is readable, then read what
      // waits into this thread's buffer, which stays warm in cache (a
      // buffer per connection was 64 KiB each, cold at every call when
      // clients take turns). No read is attempted before the socket is
      // readable: one system call a request fewer.
      Lowest().async_wait(tcp::socket::wait_read,
                          [self = shared_from_this()](beast::error_code ec) {
                            self->reading_ = false;
                            if (ec) return self->Close();
                            self->ReadWaitingHttp2();
                          });
    }
  }

  // Reads until the socket has nothing more for now, so that what the first
  // part asked (a PING's acknowledgement) goes out with the answer to the
  // rest, in one write: each write over loopback also delivers to the client
  // and wakes it (a quarter of a gRPC call's CPU was its two writes). The
  // session consumes each read before the next (it copies what it keeps).
  void ReadWaitingHttp2() {
    constexpr size_t kChunk = 256 << 10;
    thread_local std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kChunk);
    int fd = Lowest().native_handle();
    bool read_any = false, ok = true;
    while (ok) {
      ssize_t n = ::recv(fd, buffer.get(), kChunk, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n == 0 && read_any) break;  // what came before the end is answered first
      if (n <= 0) return Close();     // the client closed, or the connection broke
      read_any = true;
      Received();
      ok = h2_->Receive({buffer.get(), static_cast<size_t>(n)});
      if (static_cast<size_t>(n) < kChunk) break;  // drained: more will signal readable
    }
    if (!read_any) return ReadHttp2();
    AfterHttp2Input(ok);
  }

  void Received() {
    last_progress_ = std::chrono::steady_clock::now();
    // Small input still waits at most quiet_input_wait from the last read.
    if (quiet_input_) quiet_since_ = last_progress_;
  }

  // Timeouts checked lazily: one timer per connection, re-armed only when
  // it fires early, instead of a timer armed (a timerfd_settime) on every
  // read and write: three system calls of eleven a request.
  void WatchHttp2Deadline() {
    auto now = std::chrono::steady_clock::now();
    auto wait = shared_->options.quiet_input_wait;
    if (quiet_input_ && now >= quiet_since_ + wait) SetReceiveLowWatermark(1);
    auto timeout = h2_->Busy() ? shared_->options.read_timeout : shared_->options.idle_timeout;
    auto deadline = last_progress_ + timeout;
    if (deadline <= now) return Close();
    if (quiet_input_) deadline = std::min(deadline, quiet_since_ + wait);
    deadline_timer_->expires_at(deadline);
    deadline_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->Lowest().is_open()) return;
      self->WatchHttp2Deadline();
    });
  }

  // One write at a time; what the session has to say meanwhile waits for it.
  void FlushHttp2() {
    // One write straight to the socket a flush: what follows (a big answer's
    // next part) goes through the loop, which serves other connections
    // between parts.
    [[maybe_unused]] bool wrote_at_once = false;
    while (!writing_) {
      h2_out_.clear();
      h2_->Output(&h2_out_);
      if (!h2_->Busy() && h2_->StreamsClosed() > 0 && !h2_->AwaitsInput()) AwaitQuietInput();
      if (h2_out_.empty()) {
        if (broken_ || (!h2_->WantsRead() && !h2_->WantsWrite())) Close();
        return;
      }
      if constexpr (!kTls) {
        if (!wrote_at_once) {
          wrote_at_once = true;
          if (!WriteHttp2AtOnce()) return Close();
          if (h2_out_.empty()) {
            last_progress_ = std::chrono::steady_clock::now();
            SetBusy(h2_->Busy());
            continue;
          }
        }
      }
      writing_ = true;
      asio::async_write(H2Stream(), asio::buffer(h2_out_),
                        Done([self = shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          if (ec) return self->Close();
                          self->last_progress_ = std::chrono::steady_clock::now();
                          self->SetBusy(self->h2_->Busy());
                          self->FlushHttp2();
                        }));
    }
  }

  // Over plain TCP, output is written at once when the socket takes it, as
  // it almost always takes an answer: handing it to the event loop cost a
  // pass through the loop (a system call) before the next wait. What the
  // socket did not take stays in h2_out_; false: the connection broke.
  bool WriteHttp2AtOnce() {
    ssize_t n;
    do {
      n = ::send(Lowest().native_handle(), h2_out_.data(), h2_out_.size(),
                 MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    h2_out_.erase(0, static_cast<size_t>(n));
    return true;
  }

  // HTTP/1.1's deadlines (waiting for a request, reading it, writing the
  // answer), checked lazily as HTTP/2's: each phase moves the deadline,
  // and the one timer is re-armed only when it would fire too late or
  // fires before the deadline. The timed stream armed a timer per phase:
  // three timerfd_settime a request. At the deadline the connection is
  // closed, and what was pending on it ends with an error.
  void SetDeadline(std::chrono::steady_clock::duration timeout) {
    http1_deadline_ = std::chrono::steady_clock::now() + timeout;
    if (!deadline_timer_) {
      deadline_timer_.emplace(stream_.get_executor());
    } else if (http1_timer_armed_ && deadline_timer_->expiry() <= http1_deadline_) {
      return;
    }
    WatchHttp1Deadline();
  }

  void WatchHttp1Deadline() {
    http1_timer_armed_ = true;
    deadline_timer_->expires_at(http1_deadline_);
    deadline_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
      // Re-armed, the connection closed, or HTTP/2 (which watches its own).
      if (ec || self->h2_) return;
      self->http1_timer_armed_ = false;
      if (std::chrono::steady_clock::now() < self->http1_deadline_) {
        return self->WatchHttp1Deadline();
      }
      self->Close();
    });
  }

  void ReadHeader() {
    if (shared_->stopping.load()) return Close();
    parser_.emplace();
    parser_->body_limit(shared_->options.max_request_body_size);
    parser_->header_limit(64 * 1024);
    SetDeadline(first_ ? shared_->options.read_timeout : shared_->options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        Done([self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); }));
  }

  void OnHeader(beast::error_code ec) {
    first_ = false;
    if (ec) return OnReadError(ec);
    SetBusy(true);
    SetDeadline(shared_->options.read_timeout);
    auto& req = parser_->get();
    if (auto error = TransferEncodingError(Std(req[http::field::transfer_encoding]))) {
      return WriteError(error->first, std::move(error->second));
    }
    request_ = RequestHead(req);
    request_.remote_address = remote_;
    if (std::optional<HttpResponse> refused = CheckHead(*shared_, request_)) {
      return WriteEarly(std::move(*refused));
    }
    if (AdmissionGate* gate = shared_->options.admission) {
      // The body is not read yet: what it will hold is known from its length.
      uint64_t cost = parser_->content_length().value_or(shared_->options.max_request_body_size);
      Result<AdmissionGate::Ticket> ticket = gate->Admit(cost);
      if (!ticket.ok()) {
        bool retry = ticket.status().retryable();
        return WriteError(retry ? 429 : 413, ticket.status().message(), retry);
      }
      ticket_ = std::move(*ticket);
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        Done([self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        }));
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads as much as the buffer has room for, 512 bytes at least:
    // without room a 64 KiB body took 134 reads (and as many trips through
    // the reactor), 6x the CPU of the same request over gRPC. The room is
    // kept for the connection's next request (at most 64 KiB a connection,
    // 256 MiB at max_connections): releasing it after each request cost
    // 10-40% of that gain again (a 64 KiB allocation per request).
    if (auto length = parser_->content_length(); length && *length > buffer_.capacity()) {
      buffer_.reserve(std::min<uint64_t>(*length, kMaxReadChunk));
    }
    http::async_read(stream_, buffer_, *parser_,
                     Done([self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Handle();
                     }));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return WriteError(413, fmt::format("request body exceeds the limit of {} bytes",
                                         shared_->options.max_request_body_size));
    }
    if (ec == http::error::header_limit) return WriteError(431, "request headers too large");
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return WriteError(400, fmt::format("malformed HTTP request: {}", ec.message()));
    }
    Close();
  }

  void WriteError(int status, std::string message, bool retry_later = false) {
    HttpResponse out = HttpResponse::Text(status, std::move(message) + "\n");
    if (retry_later) out.SetHeader("Retry-After", "1");
    WriteEarly(std::move(out));
  }

  // An answer before the body was read: the connection cannot be reused.
  void WriteEarly(HttpResponse out) {
    ticket_ = AdmissionGate::Ticket();
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(out.status));
    for (const auto& [name, value] : kSecurityHeaders) res->set(name, value);
    for (auto& [k, v] : out.headers) res->set(k, v);
    res->set(http::field::connection, "close");
    res->body() = std::move(out.body);
    res->prepare_payload();
    res->keep_alive(false);
    http::async_write(stream_, *res,
                      Done([self = shared_from_this(), res](beast::error_code, size_t) {
                        self->LingeringClose();
                      }));
  }

  // After an early answer (e.g. 413 before the body), the client may still
  // be sending: closing now would reset the connection and could destroy the
  // answer before the client reads it. Half-close, then read and discard
  // for a short while (as nginx's lingering close does).
  void LingeringClose() {
    beast::error_code ec;
    Lowest().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    SetDeadline(std::chrono::seconds(2));
    linger_ = std::make_unique<char[]>(kLingerBuffer);
    DiscardMore();
  }
  void DiscardMore() {
    stream_.async_read_some(asio::buffer(linger_.get(), kLingerBuffer),
                            Done([self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->DiscardMore();
                            }));
  }
  static constexpr size_t kLingerBuffer = 64 * 1024;
  static constexpr size_t kMaxReadChunk = 64 * 1024;

  static HttpRequest RequestHead(const http::request<http::string_body>& beast_req) {
    HttpRequest req;
    req.method = std::string(beast_req.method_string());
    req.target = std::string(beast_req.target());
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& field : beast_req) {
      req.headers.emplace_back(AsciiLower(Std(field.name_string())), std::string(field.value()));
    }
    return req;
  }

  void Handle() {
    http::request<http::string_body> beast_req = parser_->release();
    HttpRequest req = std::move(request_);
    req.body = std::move(beast_req.body());
    req.remote_address = remote_;
    if constexpr (!kTls) req.connection_fd = Lowest().native_handle();
    HttpResponse out;
    try {
      LoopStandby::Watch watch(shared_->standby.get());
      out = shared_->handler(req);
    } catch (const std::exception& e) {
      out = HttpResponse::Text(500, fmt::format("internal error: {}\n", e.what()));
    }
    // Decided after the handler: a shutdown that began meanwhile closes the connection.
    bool keep_alive = beast_req.keep_alive() && !shared_->stopping.load();
    if (out.stream) {
      return WriteStreamed(std::move(out), keep_alive, beast_req.method() == http::verb::head,
                           beast_req.version() >= 11);
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(beast_req.version());
    res->result(static_cast<unsigned>(out.status));
    for (const auto& [name, value] : kSecurityHeaders) res->set(name, value);
    for (auto& [k, v] : out.headers) res->set(k, v);
    res->body() = std::move(out.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(
        stream_, *res,
        Done([self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
          self->ticket_ = AdmissionGate::Ticket();  // the request is done
          if (ec || !keep_alive) return self->Close();
          self->SetBusy(false);
          self->ReadHeader();
        }));
  }

  // The head now, then each piece of the body as a chunk once the last one
  // is written: the producer runs only as fast as the client reads.
  // HTTP/1.0 has no chunks: the pieces go as they are and the connection's
  // close ends the body (as Go's servers answer it). Made whole, one such
  // answer of a million-span trace took 1.1 GB, and four at once 4.3 GB.
  void WriteStreamed(HttpResponse out, bool keep_alive, bool head_only, bool chunked) {
    auto res = std::make_shared<http::response<http::empty_body>>();
    res->version(chunked ? 11 : 10);
    res->result(static_cast<unsigned>(out.status));
    for (const auto& [name, value] : kSecurityHeaders) res->set(name, value);
    for (auto& [k, v] : out.headers) res->set(k, v);
    keep_alive = keep_alive && chunked;
    res->keep_alive(keep_alive);
    res->chunked(chunked);
    chunked_ = chunked;
    producer_ = std::move(out.stream);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    SetDeadline(shared_->options.read_timeout);
    http::async_write_header(stream_, *serializer,
                             Done([self = shared_from_this(), res, serializer, keep_alive,
                                   head_only](beast::error_code ec, size_t) {
                               if (ec) return self->EndStreamed(false, keep_alive);
                               if (head_only) return self->EndStreamed(true, keep_alive);
                               self->WriteNextChunk(keep_alive);
                             }));
  }

  void WriteNextChunk(bool keep_alive) {
    piece_.clear();
    BodyStep step = BodyStep::kMore;
    // A producer may yield an empty piece (a part of the answer with nothing
    // to say): asked again until it has bytes or ends.
    while (piece_.empty() && step == BodyStep::kMore) {
      try {
        LoopStandby::Watch watch(shared_->standby.get());
        step = producer_(&piece_);
      } catch (const std::exception&) {
        step = BodyStep::kFailed;
      }
    }
    if (step == BodyStep::kFailed) return EndStreamed(false, keep_alive);
    auto after = Done([self = shared_from_this(), keep_alive, last = step == BodyStep::kDone](
                          beast::error_code ec, size_t) {
      if (ec) return self->EndStreamed(false, keep_alive);
      if (!last) return self->WriteNextChunk(keep_alive);
      if (!self->chunked_) return self->EndStreamed(true, false);  // the close ends it
      self->SetDeadline(self->shared_->options.read_timeout);
      asio::async_write(self->stream_, http::make_chunk_last(),
                        Done([self, keep_alive](beast::error_code e, size_t) {
                          self->EndStreamed(!e, keep_alive);
                        }));
    });
    // A client that stops reading is given up after the read timeout per
    // piece, and its producer (a store snapshot, say) with it.
    SetDeadline(shared_->options.read_timeout);
    if (piece_.empty()) return after({}, 0);
    if (!chunked_) return asio::async_write(stream_, asio::buffer(piece_), std::move(after));
    asio::async_write(stream_, http::make_chunk(asio::buffer(piece_)), std::move(after));
  }

  void EndStreamed(bool complete, bool keep_alive) {
    producer_ = nullptr;
    piece_.clear();
    piece_.shrink_to_fit();
    ticket_ = AdmissionGate::Ticket();
    if (!complete || !keep_alive) return Close();
    SetBusy(false);
    ReadHeader();
  }

  void SetBusy(bool busy) {
    if (busy == busy_) return;
    busy_ = busy;
    if (busy) {
      shared_->busy.fetch_add(1);
    } else {
      shared_->busy.fetch_sub(1);
    }
  }

  void Close() {
    SetBusy(false);
    ticket_ = AdmissionGate::Ticket();
    if (deadline_timer_) deadline_timer_->cancel();
    beast::error_code ec;
    Lowest().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().close(ec);
  }

  std::optional<asio::ssl::context> ssl_;  // before stream_, which refers to it
  Stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;  // the head, from OnHeader to Handle
  std::string remote_;
  bool first_ = true;
  bool busy_ = false;
  std::unique_ptr<char[]> linger_;  // scratch for LingeringClose
  AdmissionGate::Ticket ticket_;    // the body's memory, while the request runs
  BodyProducer producer_;           // a streamed answer's, while it is written
  std::string piece_;               // its piece being written
  bool chunked_ = true;             // its framing: HTTP/1.1's chunks, or HTTP/1.0's close
  // HTTP/2 (after its preface): the protocol state, what was read, what is
  // being written.
  std::unique_ptr<Http2Session> h2_;
  std::unique_ptr<char[]> h2_in_;  // over TLS; plain TCP reads into a buffer per thread
  std::string h2_out_;
  bool reading_ = false, writing_ = false, broken_ = false;
  bool quiet_input_ = false;  // the receive low watermark is raised, since quiet_since_
  std::chrono::steady_clock::time_point quiet_since_;
  std::chrono::steady_clock::time_point last_progress_;  // the last read or write done
  std::optional<asio::steady_timer> deadline_timer_;     // HTTP/2's, or HTTP/1.1's
  std::chrono::steady_clock::time_point http1_deadline_;
  bool http1_timer_armed_ = false;
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  // One event loop run by every thread, or (event_loop_per_thread) one per
  // thread; loops[0] accepts.
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  size_t next_loop = 0;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  bool shut_down = false;

  // Accepting runs one at a time, so the backoff state needs no lock.
  std::optional<asio::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  std::chrono::steady_clock::time_point last_accept_log;

  // Where the next connection runs: a loop of its own thread (its steps
  // need no strand), or a strand of the shared loop.
  asio::any_io_executor NextConnectionExecutor() {
    if (!shared->options.event_loop_per_thread) return asio::make_strand(*loops[0]);
    return loops[next_loop++ % loops.size()]->get_executor();
  }

  void Accept() {
    acceptor->async_accept(NextConnectionExecutor(), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || shared->stopping.load()) return;
      if (ec) return BackOff(ec);
      accept_backoff = std::chrono::milliseconds(0);
      if (shared->connections.load() >= shared->options.max_connections) {
        beast::error_code ignored;
        s.close(ignored);  // over the bound: refuse rather than exhaust descriptors
      } else if (shared->options.tls_context) {
        std::shared_ptr<ssl_ctx_st> tls = shared->options.tls_context();
        std::make_shared<Session<true>>(std::move(s), shared, tls.get())->Run();
      } else {
        std::make_shared<Session<false>>(std::move(s), shared, nullptr)->Run();
      }
      Accept();
    });
  }

  // Out of descriptors (EMFILE) the pending connection stays queued and every
  // accept fails at once: retrying immediately spins a core and starves the
  // connections already open. Wait 5 ms, doubling to 1 s; log once a second.
  void BackOff(beast::error_code ec) {
    accept_backoff = std::clamp(accept_backoff * 2, std::chrono::milliseconds(5),
                                std::chrono::milliseconds(1000));
    auto now = std::chrono::steady_clock::now();
    if (shared->options.log_error && now - last_accept_log >= std::chrono::seconds(1)) {
      last_accept_log = now;
      shared->options.log_error(fmt::format("{}: accept on {} failed: {}; retrying in {} ms",
                                            shared->options.name, shared->options.endpoint,
                                            ec.message(), accept_backoff.count()));
    }
    accept_timer->expires_after(accept_backoff);
    accept_timer->async_wait([this](beast::error_code wait_ec) {
      if (wait_ec || shared->stopping.load()) return;
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
}

HttpServer::~HttpServer() { Shutdown(); }

Status HttpServer::Start() {
  const HttpServerOptions& o = impl_->shared->options;
  std::string host;
  uint16_t port;
  if (!SplitHostPort(o.endpoint, &host, &port)) {
    return Status::InvalidArgument(
        fmt::format("{}: invalid endpoint \"{}\" (expected host:port)", o.name, o.endpoint));
  }
  beast::error_code ec;
  if (o.standby_thread && (o.http2 || o.event_loop_per_thread)) {
    return Status::InvalidArgument(
        fmt::format("{}: standby_thread is for HTTP/1 on one event loop (not http2, not "
                    "event_loop_per_thread)",
                    o.name));
  }
  // With a standby, one thread runs the loop (the standby joins it at times).
  const int threads = o.standby_thread ? 1 : std::max(1, o.threads);
  const int loops = o.event_loop_per_thread ? threads : 1;
  for (int i = 0; i < loops; ++i) {
    impl_->loops.push_back(
        std::make_unique<asio::io_context>(o.event_loop_per_thread ? 1 : threads));
    impl_->keep_running.push_back(asio::make_work_guard(*impl_->loops.back()));
  }
  asio::io_context& io = *impl_->loops[0];
  tcp::resolver resolver(io);
  // "localhost" is the IPv4 loopback, as Go's listeners take it (the
  // resolver may list ::1 first, which IPv4 clients could not reach).
  std::string bind_host = host == "localhost" ? "127.0.0.1" : host;
  auto results = resolver.resolve(bind_host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument(
        fmt::format("{}: cannot resolve \"{}\": {}", o.name, host, ec.message()));
  }
  tcp::endpoint ep = results.begin()->endpoint();
  auto& acc = impl_->acceptor.emplace(io);
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable(fmt::format("{}: listen {}: {}", o.name, o.endpoint, ec.message()));
  }
  impl_->port = acc.local_endpoint().port();
  impl_->shared->listener_host = host;
  impl_->accept_timer.emplace(io);
  impl_->started = true;
  impl_->Accept();
  if (o.standby_thread) {
    impl_->shared->standby =
        std::make_unique<LoopStandby>(io, o.standby_after, o.name, std::max(1, o.standbys));
    impl_->shared->standby->Start();
  }
  for (int i = 0; i < threads; ++i) {
    asio::io_context* loop = impl_->loops[static_cast<size_t>(i) % impl_->loops.size()].get();
    impl_->threads.emplace_back([loop, name = o.name, standby = impl_->shared->standby.get()] {
      SetThreadName(name);
      if (standby != nullptr) standby->MarkLoopThread();
      loop->run();
    });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  if (!impl_->started) return;
  impl_->shared->stopping.store(true);
  asio::post(*impl_->loops[0], [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
    impl_->accept_timer->cancel();
  });
  // In-flight requests finish (keep-alive is refused once stopping); idle
  // keep-alive connections are simply cut when the I/O threads stop.
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (impl_->shared->busy.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->keep_running.clear();
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  if (impl_->shared->standby) impl_->shared->standby->Stop();
}

}  // namespace polytrace
