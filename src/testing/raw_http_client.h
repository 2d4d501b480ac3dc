// RawHttpClient: speaks HTTP/1.1 by hand over a POSIX socket so tests see
// exactly what a server sends (status line, headers, body), with a receive
// timeout so a hung server fails the test instead of hanging it.
#pragma once

#include <cstdint>
#include <string>

namespace polytrace::testing {

struct RawResponse {
  int status = 0;
  std::string headers;  // the raw header block
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive, "" if absent
};

class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port);
  ~RawHttpClient();
  bool connected() const { return connected_; }
  void Send(const std::string& data);
  // Reads one response with a Content-Length body; status 0 on EOF/timeout.
  RawResponse Read();
  RawResponse Post(const std::string& path, const std::string& content_type,
                   const std::string& body, const std::string& extra_headers = "");

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace polytrace::testing
