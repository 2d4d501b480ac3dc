// RawHttpClient: speaks HTTP/1.1 by hand over a POSIX socket so tests see
// exactly what a server sends (status line, headers, body), with a receive
// timeout so a hung server fails the test instead of hanging it.
#pragma once

#include <cstdint>
#include <string>

namespace polytrace::testing {

struct RawResponse {
  int status = 0;
  std::string headers;           // the raw header block
  std::string body;              // chunked bodies decoded
  size_t chunks = 0;             // how many chunks a chunked body came in
  bool complete_chunks = false;  // a chunked body ended with its last (0) chunk
  std::string Header(const std::string& name) const;  // case-insensitive, "" if absent
};

// Whether the peer of socket `fd` closes the connection within `ms` (what it
// sends meanwhile is read and dropped).
bool PeerClosesWithin(int fd, int ms);

class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port);
  ~RawHttpClient();
  bool connected() const { return connected_; }
  void Send(const std::string& data);
  // Reads one response with a Content-Length or chunked body (a HEAD's:
  // `head_only`); status 0 on EOF/timeout before the head. A chunked body
  // cut short comes back as far as it got, complete_chunks false.
  RawResponse Read(bool head_only = false);
  // Closes the connection now (a client that went away).
  void Close();
  bool ClosedByServerWithin(int ms) { return PeerClosesWithin(fd_, ms); }
  // Reads until `bytes` came (in what was read since the last match) or `ms`
  // passed; what came up to the match is dropped.
  bool ReceivesWithin(const std::string& bytes, int ms);
  RawResponse Post(const std::string& path, const std::string& content_type,
                   const std::string& body, const std::string& extra_headers = "");

 private:
  bool Fill();  // one read into buffer_; false on EOF/timeout
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

}  // namespace polytrace::testing
