#include "testing/h2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "testing/raw_http_client.h"

namespace polytrace::testing {

struct H2Client::State {
  std::map<int32_t, size_t> index;  // stream -> answer
  std::vector<H2Answer> answers;
  std::vector<std::string> bodies;
  std::vector<size_t> sent;
  std::vector<bool> ends;
  size_t open = 0;
  bool ping_acked = false;
};

namespace {

H2Client::State* StateOf(void* user) { return static_cast<H2Client::State*>(user); }

}  // namespace

H2Client::H2Client(uint16_t port) : state_(std::make_unique<State>()) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* user) {
        State* s = StateOf(user);
        auto it = s->index.find(frame->hd.stream_id);
        if (it == s->index.end()) return 0;
        H2Answer& a = s->answers[it->second];
        bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS && !a.headers.empty();
        (trailer ? a.trailers
                 : a.headers)[std::string(reinterpret_cast<const char*>(name), namelen)] =
            std::string(reinterpret_cast<const char*>(value), valuelen);
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
        State* s = StateOf(user);
        auto it = s->index.find(id);
        if (it != s->index.end()) {
          s->answers[it->second].body.append(reinterpret_cast<const char*>(data), len);
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t id, uint32_t error, void* user) {
        State* s = StateOf(user);
        auto it = s->index.find(id);
        if (it != s->index.end()) {
          s->answers[it->second].closed = true;
          s->answers[it->second].reset = error;
          --s->open;
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
        if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
          StateOf(user)->ping_acked = true;
        }
        return 0;
      });
  nghttp2_session_client_new(&session_, cb, state_.get());
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
}

H2Client::~H2Client() {
  if (session_ != nullptr) nghttp2_session_del(session_);
  if (fd_ >= 0) close(fd_);
}

std::vector<H2Answer> H2Client::Exchange(const std::vector<H2Request>& requests, int wait_ms) {
  State& s = *state_;
  s.index.clear();
  s.answers.assign(requests.size(), H2Answer{});
  s.bodies.clear();
  s.sent.assign(requests.size(), 0);
  s.ends.clear();
  for (const H2Request& r : requests) {
    s.bodies.push_back(r.body);
    s.ends.push_back(r.end);
  }
  if (fd_ < 0) return s.answers;
  for (size_t i = 0; i < requests.size(); ++i) {
    const H2Request& r = requests[i];
    std::vector<std::pair<std::string, std::string>> fields = {
        {":method", r.method}, {":scheme", "http"}, {":path", r.path}, {":authority", "127.0.0.1"}};
    fields.insert(fields.end(), r.headers.begin(), r.headers.end());
    std::vector<nghttp2_nv> nva;
    for (auto& [k, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(k.data()), reinterpret_cast<uint8_t*>(v.data()),
                     k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider body{};
    body.source.ptr = reinterpret_cast<void*>(i);
    body.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                            nghttp2_data_source* source, void* user) -> ssize_t {
      State* st = StateOf(user);
      auto n = reinterpret_cast<size_t>(source->ptr);
      const std::string& b = st->bodies[n];
      size_t take = std::min(length, b.size() - st->sent[n]);
      std::memcpy(buf, b.data() + st->sent[n], take);
      st->sent[n] += take;
      if (st->sent[n] == b.size()) {
        if (!st->ends[n])
          return take > 0 ? static_cast<ssize_t>(take) : ssize_t{NGHTTP2_ERR_DEFERRED};
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      }
      return static_cast<ssize_t>(take);
    };
    int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), &body, nullptr);
    s.index[id] = i;
    ++s.open;
  }
  return AwaitAnswers(wait_ms);
}

std::vector<H2Answer> H2Client::Finish(size_t index, const std::string& rest) {
  State& s = *state_;
  s.bodies.at(index) += rest;
  s.ends.at(index) = true;
  for (const auto& [id, i] : s.index) {
    if (i == index) nghttp2_session_resume_data(session_, id);
  }
  return AwaitAnswers(5000);
}

std::vector<H2Answer> H2Client::AwaitAnswers(int wait_ms) {
  State& s = *state_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (s.open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !Step(static_cast<int>(std::min<int64_t>(100, left.count())))) break;
  }
  return s.answers;
}

bool H2Client::Step(int poll_ms) {
  const uint8_t* out = nullptr;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(session_, &out)) > 0) {
    if (send(fd_, out, static_cast<size_t>(n), MSG_NOSIGNAL) != n) return false;
  }
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, poll_ms) <= 0) return true;
  char buf[65536];
  ssize_t got = recv(fd_, buf, sizeof(buf), 0);
  return got > 0 && nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf),
                                             static_cast<size_t>(got)) >= 0;
}

bool H2Client::ClosedByServerWithin(int ms) { return PeerClosesWithin(fd_, ms); }

std::optional<std::chrono::milliseconds> H2Client::PingAnsweredWithin(int ms) {
  if (fd_ < 0) return std::nullopt;
  state_->ping_acked = false;
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, nullptr);
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::milliseconds(ms);
  while (!state_->ping_acked && std::chrono::steady_clock::now() < deadline) {
    if (!Step(20)) return std::nullopt;
  }
  if (!state_->ping_acked) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

std::string GrpcFrame(const std::string& message) {
  std::string out(1, '\0');
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(message.size() >> shift & 0xff));
  }
  return out + message;
}

}  // namespace polytrace::testing
