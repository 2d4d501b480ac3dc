// H2Client: a blocking HTTP/2 client (prior knowledge, plaintext) over
// libnghttp2's client session, for tests of the server's HTTP/2 side: several
// requests at once on one connection, each answer with its headers, body and
// trailers. Reads time out (5 s) so a hung server fails the test.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct nghttp2_session;

namespace polytrace::testing {

struct H2Answer {
  std::map<std::string, std::string> headers;  // ":status" included
  std::map<std::string, std::string> trailers;
  std::string body;
  uint32_t reset = 0;  // RST_STREAM error code, if the stream was reset
  bool closed = false;
};

struct H2Request {
  std::string method = "POST";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool end = true;  // false: the body is sent and the stream left open (stalled)
};

class H2Client {
 public:
  explicit H2Client(uint16_t port);
  ~H2Client();
  bool connected() const { return fd_ >= 0; }
  // Sends every request at once and waits for all their answers; an answer
  // missing at the deadline (`wait_ms`) has closed == false.
  std::vector<H2Answer> Exchange(const std::vector<H2Request>& requests, int wait_ms = 5000);
  // Sends the rest of the body of request `index` of the last Exchange (one
  // sent with end == false), ends it and waits for every answer still due.
  std::vector<H2Answer> Finish(size_t index, const std::string& rest);
  // Whether the server closes the connection within `ms` (reading and
  // discarding what it sends first, e.g. a GOAWAY).
  bool ClosedByServerWithin(int ms);
  // Sends a PING and waits up to `ms` for its acknowledgement: how long it
  // took, or nothing.
  std::optional<std::chrono::milliseconds> PingAnsweredWithin(int ms);

  struct State;  // what the library's callbacks fill in

 private:
  // Sends what the session has to say, then waits up to `poll_ms` for bytes
  // and feeds them to it; false when the connection failed or closed.
  bool Step(int poll_ms);
  // Steps until every open request is answered or `wait_ms` passed.
  std::vector<H2Answer> AwaitAnswers(int wait_ms);

  int fd_ = -1;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<State> state_;
};

// A gRPC message: the 5-byte prefix and the bytes.
std::string GrpcFrame(const std::string& message);

}  // namespace polytrace::testing
