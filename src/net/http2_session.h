// Http2Session: the protocol side of one HTTP/2 connection (RFC 9113,
// through Debian's libnghttp2): fed the bytes read from the peer, drained of
// the bytes to write. The socket, TLS and timers around it are HttpServer's;
// this is what lets gRPC be served on the same event loop as HTTP/1.1,
// without grpc++'s threads (issue #20).
//
// A request reaches the handler once its body is complete, after the bytes
// that completed it were parsed (never from inside a libnghttp2 callback).
// Before that, its head is checked (`check_head`: Host, credentials) and its
// body admitted as it arrives, before each part is buffered, in doubling
// steps up to what the stream announced (content-length, a gRPC message's
// declared length in its 5-byte prefix, else the body limit). A message
// announced past the limit is refused from its prefix; a body past what it
// announced, or past the limit, is refused as it arrives, never buffered
// whole.
//
// Limits: concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS; more are
// refused by the library), a header list of 64 KiB, the body limit per
// stream; libnghttp2 itself bounds HPACK state and answers floods (rapid
// resets, settings and ping floods) by closing the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/admission.h"
#include "net/http_server.h"

struct nghttp2_session;

namespace polytrace {

struct Http2Limits {
  size_t max_request_body_size = 20 << 20;
  uint32_t max_concurrent_streams = 128;
  size_t max_header_list_bytes = 64 << 10;
};

struct Http2Hooks {
  // Sees a request's head before its body: a response refuses the request
  // (sent instead; what the body holds is discarded).
  std::function<std::optional<HttpResponse>(const HttpRequest& head)> check_head;
  // Reserves `bytes` of body before they are buffered; empty: no admission.
  // A refusal is answered 429 (retryable) or 413.
  std::function<Result<AdmissionGate::Ticket>(uint64_t bytes)> admit;
  // Puts a refusal made here (limits, admission) in the listener's protocol
  // (gRPC's trailers-only answers); empty: as it is.
  std::function<HttpResponse(const HttpRequest& head, HttpResponse refusal)> refusal_form;
  HttpHandler handle;
  // Headers every answer carries unless it set them (the server's security
  // headers).
  HttpHeaders default_headers;
};

class Http2Session {
 public:
  Http2Session(Http2Limits limits, std::string remote_address, Http2Hooks hooks);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Parses bytes from the peer (starting with the client preface) and runs
  // the handler for each request they complete. False: the connection is
  // beyond repair (a protocol error or a flood); what Output still gives
  // (a GOAWAY saying why) should be sent before closing.
  bool Receive(std::string_view bytes);
  // Appends the bytes due to the peer, up to about `max` of them.
  void Output(std::string* out, size_t max = 256 << 10);
  // Whether the connection still has something to read or to write; when
  // neither, it is finished and may be closed.
  bool WantsRead() const;
  bool WantsWrite() const;
  // A request is open (between its head and its answer's last byte).
  bool Busy() const { return !streams_.empty(); }
  // More input is due before what was read can be acted on: the input
  // ended inside a frame (or the client preface), or a request is still
  // arriving.
  bool AwaitsInput() const;
  // Streams closed so far (each request answered, refused or reset).
  uint64_t StreamsClosed() const { return streams_closed_; }
  // No new requests: a GOAWAY; open ones finish.
  void GoAway();

 private:
  struct Stream;
  class Callbacks;  // libnghttp2's callbacks, friends of this class

  Stream* Find(int32_t id);
  // Follows frame boundaries through the input (9-byte headers, their
  // payload lengths), for AwaitsInput.
  void TrackFrames(std::string_view bytes);
  void OnHead(Stream& s);
  void OnBody(Stream& s, std::string_view data);
  // Admits the body up to `needed` bytes (and a step more); false when
  // refused (the stream is answered).
  bool Admit(Stream& s, uint64_t needed);
  HttpResponse TooLarge() const;
  void Refuse(Stream& s, HttpResponse refusal);
  void Respond(Stream& s, HttpResponse response);

  Http2Limits limits_;
  std::string remote_;
  Http2Hooks hooks_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::vector<int32_t> complete_;  // requests whose body is in, to handle
  bool going_away_ = false;
  size_t preface_left_ = 24;  // the client's connection preface comes first
  uint8_t frame_header_[9] = {};
  size_t frame_header_have_ = 0;
  size_t frame_payload_left_ = 0;
  uint64_t streams_closed_ = 0;
};

}  // namespace polytrace
