#include "net/http2_session.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "net/grpc_wire.h"

namespace polytrace {

struct Http2Session::Stream {
  int32_t id = 0;
  HttpRequest request;
  size_t header_bytes = 0;
  bool head_done = false;
  bool grpc = false;
  // What the body may hold: its content-length, its gRPC message's declared
  // length, else the body limit; unknown until the gRPC prefix is in.
  std::optional<uint64_t> allowed;
  bool announced = false;                      // `allowed` came from the request (not the limit)
  uint64_t admitted = 0;                       // bytes of body admitted so far
  std::vector<AdmissionGate::Ticket> tickets;  // their memory, until the stream closes
  bool answered = false;                       // a response was submitted
  bool refused = false;                        // answered before the body: the rest is discarded
  bool ended = false;                          // the peer sent END_STREAM
  HttpResponse response;
  size_t sent = 0;  // bytes of response.body handed to the library
};

namespace {

constexpr int32_t kConnectionWindow = 16 << 20;
constexpr int32_t kStreamWindow = 4 << 20;
constexpr uint32_t kMaxFrame = 1 << 20;

bool ConnectionSpecific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "transfer-encoding" || lower_name == "upgrade" ||
         lower_name == "proxy-connection";
}

nghttp2_nv Nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// libnghttp2 calls these with the session as user_data.
class Http2Session::Callbacks {
 public:
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto s = std::make_unique<Stream>();
    s->id = frame->hd.stream_id;
    s->request.remote_address = self->remote_;
    // A gRPC client's call has about eight regular headers: room for them
    // at once (growing one by one was 2% of a call's receiving thread).
    s->request.headers.reserve(8);
    self->streams_[s->id] = std::move(s);
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_bytes,
                      size_t name_length, const uint8_t* value_bytes, size_t value_length, uint8_t,
                      void* user) {
    auto* self = static_cast<Http2Session*>(user);
    Stream* s = self->Find(frame->hd.stream_id);
    if (s == nullptr || s->head_done) return 0;  // trailers from the client: not used
    // 32 bytes of overhead per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts (RFC 9113 6.5.2).
    s->header_bytes += name_length + value_length + 32;
    if (s->header_bytes > self->limits_.max_header_list_bytes) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the stream is reset
    }
    std::string_view name(reinterpret_cast<const char*>(name_bytes), name_length);
    std::string value(reinterpret_cast<const char*>(value_bytes), value_length);
    HttpRequest& r = s->request;
    if (name == ":method") {
      r.method = std::move(value);
    } else if (name == ":path") {
      r.target = std::move(value);
      size_t q = r.target.find('?');
      r.path = r.target.substr(0, q);
      if (q != std::string::npos) r.query = r.target.substr(q + 1);
    } else if (name == ":authority") {
      r.headers.emplace_back("host", std::move(value));
    } else if (!name.starts_with(":")) {  // names arrive lower-case (the library checks)
      r.headers.emplace_back(std::string(name), std::move(value));
    }
    return 0;
  }

  static int OnFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = self->Find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !s->head_done) {
      s->head_done = true;
      self->OnHead(*s);
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
      s->ended = true;
      if (!s->refused) self->complete_.push_back(s->id);
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    Stream* s = self->Find(stream_id);
    if (s == nullptr || s->refused) return 0;
    self->OnBody(*s, std::string_view(reinterpret_cast<const char*>(data), length));
    return 0;
  }

  static int OnFrameSent(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    // An answer sent before the body ended: the client may stop sending
    // (RFC 9113 section 8.1).
    if (frame->hd.type != NGHTTP2_HEADERS || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      return 0;
    }
    Stream* s = self->Find(frame->hd.stream_id);
    if (s != nullptr && s->refused && !s->ended) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    if (self->streams_.erase(stream_id) > 0) ++self->streams_closed_;
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<Http2Session*>(user);
    Stream* s = self->Find(stream_id);
    if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::string& body = s->response.body;
    size_t n = std::min(length, body.size() - s->sent);
    std::memcpy(buf, body.data() + s->sent, n);
    s->sent += n;
    if (s->sent == body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!s->response.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<std::string> names;
        names.reserve(s->response.trailers.size());
        std::vector<nghttp2_nv> nva;
        for (const auto& [name, value] : s->response.trailers) {
          names.push_back(AsciiLower(name));
          nva.push_back(Nv(names.back(), value));
        }
        if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) != 0) {
          return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
      }
    }
    return static_cast<ssize_t>(n);
  }
};

Http2Session::Http2Session(Http2Limits limits, std::string remote_address, Http2Hooks hooks)
    : limits_(limits), remote_(std::move(remote_address)), hooks_(std::move(hooks)) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::OnFrameReceived);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Callbacks::OnFrameSent);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::OnStreamClose);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      // Windows wide enough that a 4 MiB export is not a dozen round trips
      // of WINDOW_UPDATE; what a stream may hold is bounded by admission.
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, kMaxFrame},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits_.max_header_list_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2Session::~Http2Session() {
  // Streams first: closing the session calls OnStreamClose for each.
  nghttp2_session_del(session_);
  streams_.clear();
}

Http2Session::Stream* Http2Session::Find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

bool Http2Session::Receive(std::string_view bytes) {
  TrackFrames(bytes);
  ssize_t n = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                       bytes.size());
  // Handled after parsing, outside the library's callbacks: a handler may
  // take its time (a pipeline refusing), and answers are submitted freely.
  std::vector<int32_t> complete;
  complete.swap(complete_);
  for (int32_t id : complete) {
    Stream* s = Find(id);
    if (s == nullptr || s->answered) continue;
    HttpResponse response;
    try {
      response = hooks_.handle(s->request);
    } catch (const std::exception& e) {
      response = HttpResponse::Text(500, fmt::format("internal error: {}\n", e.what()));
    }
    // One body per answer here: a streamed one is run to its end first.
    if (!response.DrainStream()) {
      response = HttpResponse::Text(500, "internal error: the answer could not be completed\n");
    }
    s->request.body.clear();
    s->request.body.shrink_to_fit();
    Respond(*s, std::move(response));
  }
  return n >= 0;
}

void Http2Session::OnHead(Stream& s) {
  s.grpc = grpc_wire::IsGrpcContentType(s.request.Header("content-type"));
  if (hooks_.check_head) {
    if (std::optional<HttpResponse> refused = hooks_.check_head(s.request)) {
      return Refuse(s, std::move(*refused));
    }
  }
  std::string_view length = s.request.Header("content-length");
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), v);
  if (!length.empty() && ec == std::errc() && end == length.data() + length.size()) {
    if (v > limits_.max_request_body_size) return Refuse(s, TooLarge());
    s.allowed = v;
    s.announced = true;
  } else if (!s.grpc) {
    s.allowed = limits_.max_request_body_size;
  }
}

HttpResponse Http2Session::TooLarge() const {
  return HttpResponse::Text(413, fmt::format("request body exceeds the limit of {} bytes\n",
                                             limits_.max_request_body_size));
}

void Http2Session::OnBody(Stream& s, std::string_view data) {
  std::string& body = s.request.body;
  const uint64_t total = body.size() + data.size();
  if (total > limits_.max_request_body_size) return Refuse(s, TooLarge());
  if (!s.allowed && total >= grpc_wire::kPrefixBytes) {
    // A gRPC message says its length in its first five bytes.
    std::string prefix = body;  // fewer than five bytes
    prefix.append(data.substr(0, grpc_wire::kPrefixBytes - body.size()));
    std::optional<grpc_wire::MessagePrefix> p = grpc_wire::ParsePrefix(prefix);
    uint64_t declared = grpc_wire::kPrefixBytes + (p ? p->length : 0);
    if (declared > limits_.max_request_body_size) {
      return Refuse(s,
                    HttpResponse::Text(
                        413, fmt::format("received message larger than max ({} vs. {})",
                                         declared - grpc_wire::kPrefixBytes,
                                         limits_.max_request_body_size - grpc_wire::kPrefixBytes)));
    }
    s.allowed = declared;
    s.announced = true;
  }
  if (s.allowed && total > *s.allowed) {
    // More than it announced (a gRPC prefix, content-length): memory that
    // would never have been admitted.
    return Refuse(
        s, HttpResponse::Text(400, fmt::format("the request body is longer than the {} bytes it "
                                               "announced",
                                               *s.allowed)));
  }
  if (total > s.admitted && !Admit(s, total)) return;
  body.append(data);
}

bool Http2Session::Admit(Stream& s, uint64_t needed) {
  // Admitted as the bytes arrive, in steps that double (64 KiB, 128 KiB,
  // ... up to what the stream announced), and held until it closes: a
  // client that announces 20 MiB and sends 1 KB holds 64 KiB of the
  // budget, not 20 MiB (such stalled calls starved every other client).
  uint64_t step = std::max<uint64_t>({needed, uint64_t{64} << 10, 2 * s.admitted});
  if (s.allowed) step = std::min(step, *s.allowed);
  step = std::max(step, needed);
  if (hooks_.admit) {
    Result<AdmissionGate::Ticket> ticket = hooks_.admit(step - s.admitted);
    if (!ticket.ok()) {
      bool retry = ticket.status().retryable();
      HttpResponse refusal =
          HttpResponse::Text(retry ? 429 : 413, ticket.status().message() + "\n");
      if (retry) refusal.SetHeader("Retry-After", "1");
      Refuse(s, std::move(refusal));
      return false;
    }
    s.tickets.push_back(std::move(*ticket));
  }
  s.admitted = step;
  // Sized once for what the stream announced (up to 1 MiB) rather than
  // grown with each step: growing copied a 300 KB body three times over.
  // What is admitted still bounds what is written into it.
  constexpr uint64_t kSizedUpFront = 1 << 20;
  s.request.body.reserve(s.announced && *s.allowed <= kSizedUpFront ? *s.allowed : step);
  return true;
}

void Http2Session::Refuse(Stream& s, HttpResponse refusal) {
  s.refused = true;
  s.request.body.clear();
  s.request.body.shrink_to_fit();
  s.tickets.clear();
  if (hooks_.refusal_form) refusal = hooks_.refusal_form(s.request, std::move(refusal));
  Respond(s, std::move(refusal));
}

void Http2Session::Respond(Stream& s, HttpResponse response) {
  if (s.answered) return;
  s.answered = true;
  s.response = std::move(response);
  std::vector<std::string> names;  // lower-case, as HTTP/2 requires (kept while nva points)
  names.reserve(s.response.headers.size());
  std::vector<nghttp2_nv> nva;
  const std::string status_name = ":status", status = std::to_string(s.response.status);
  nva.push_back(Nv(status_name, status));
  bool has_length = false;
  for (const auto& [name, value] : s.response.headers) {
    names.push_back(AsciiLower(name));
    if (ConnectionSpecific(names.back())) continue;
    has_length = has_length || names.back() == "content-length";
    nva.push_back(Nv(names.back(), value));
  }
  for (const auto& header : hooks_.default_headers) {  // names already lower-case
    if (std::find(names.begin(), names.end(), header.first) == names.end()) {
      nva.push_back(Nv(header.first, header.second));
    }
  }
  const std::string length_name = "content-length", length = std::to_string(s.response.body.size());
  if (!has_length && !s.grpc) nva.push_back(Nv(length_name, length));
  nghttp2_data_provider body{};
  body.read_callback = Callbacks::ReadBody;
  bool with_body = !s.response.body.empty() || !s.response.trailers.empty();
  // The library copies names and values; the body is read as frames go out.
  nghttp2_submit_response(session_, s.id, nva.data(), nva.size(), with_body ? &body : nullptr);
}

void Http2Session::Output(std::string* out, size_t max) {
  while (out->size() < max) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out->append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool Http2Session::WantsRead() const { return nghttp2_session_want_read(session_) != 0; }

bool Http2Session::AwaitsInput() const {
  if (preface_left_ > 0 || frame_header_have_ > 0 || frame_payload_left_ > 0) return true;
  return std::any_of(streams_.begin(), streams_.end(),
                     [](const auto& entry) { return !entry.second->ended; });
}

void Http2Session::TrackFrames(std::string_view bytes) {
  size_t pos = std::min(preface_left_, bytes.size());
  preface_left_ -= pos;
  while (pos < bytes.size()) {
    if (frame_payload_left_ > 0) {
      size_t n = std::min(frame_payload_left_, bytes.size() - pos);
      frame_payload_left_ -= n;
      pos += n;
      continue;
    }
    size_t n = std::min(sizeof frame_header_ - frame_header_have_, bytes.size() - pos);
    std::memcpy(frame_header_ + frame_header_have_, bytes.data() + pos, n);
    frame_header_have_ += n;
    pos += n;
    if (frame_header_have_ == sizeof frame_header_) {
      frame_payload_left_ =
          size_t{frame_header_[0]} << 16 | size_t{frame_header_[1]} << 8 | size_t{frame_header_[2]};
      frame_header_have_ = 0;
    }
  }
}

bool Http2Session::WantsWrite() const { return nghttp2_session_want_write(session_) != 0; }

void Http2Session::GoAway() {
  if (going_away_) return;
  going_away_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

}  // namespace polytrace
