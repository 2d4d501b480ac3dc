// A minimal keep-alive HTTP/1.1 client for the load generator (one
// connection, one request at a time, protobuf bodies).
#pragma once

#include <memory>
#include <string>

namespace polytrace::bench {

class HttpClient {
 public:
  explicit HttpClient(const std::string& host_port);
  ~HttpClient();
  // Returns the HTTP status, or 0 on a connection error (it reconnects next time).
  int Post(const std::string& path, const std::string& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace polytrace::bench
