#include "testing/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <utility>

namespace polytrace::testing {

std::string RawResponse::Header(const std::string& name) const {
  size_t pos = 0;
  while ((pos = headers.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    size_t colon = headers.find(':', pos);
    size_t eol = headers.find("\r\n", pos);
    if (colon == std::string::npos || colon > eol) continue;
    if (strncasecmp(headers.c_str() + pos, name.c_str(), name.size()) == 0 &&
        colon - pos == name.size()) {
      size_t v = headers.find_first_not_of(' ', colon + 1);
      return headers.substr(v, eol - v);
    }
  }
  return "";
}

RawHttpClient::RawHttpClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{15, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // A server that stops reading fails a sending test instead of hanging it.
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

RawHttpClient::~RawHttpClient() {
  if (fd_ >= 0) close(fd_);
}

void RawHttpClient::Send(const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    // MSG_NOSIGNAL: a server that closes early must fail the test, not kill it.
    ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

bool PeerClosesWithin(int fd, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    if (recv(fd, buf, sizeof(buf), 0) <= 0) return true;
  }
  return false;
}

bool RawHttpClient::Fill() {
  char buf[65536];
  ssize_t n = read(fd_, buf, sizeof(buf));
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

bool RawHttpClient::ReceivesWithin(const std::string& bytes, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  size_t at;
  while ((at = buffer_.find(bytes)) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0 || !Fill()) {
      return false;
    }
  }
  buffer_.erase(0, at + bytes.size());
  return true;
}

RawResponse RawHttpClient::Read(bool head_only) {
  RawResponse r;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill()) return RawResponse{};
  }
  r.headers = buffer_.substr(0, end + 2);
  r.status = std::stoi(buffer_.substr(9, 3));
  buffer_.erase(0, end + 4);
  if (head_only) return r;
  if (strcasecmp(r.Header("Transfer-Encoding").c_str(), "chunked") == 0) {
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return r;
      }
      size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      while (buffer_.size() < eol + 2 + size + 2) {
        if (!Fill()) return r;
      }
      buffer_.erase(0, eol + 2);
      if (size == 0) {
        buffer_.erase(0, 2);  // no trailers are sent
        r.complete_chunks = true;
        return r;
      }
      r.body.append(buffer_, 0, size);
      ++r.chunks;
      buffer_.erase(0, size + 2);
    }
  }
  std::string cl = r.Header("Content-Length");
  if (cl.empty() && r.status >= 200 && r.status != 204 && r.status != 304) {
    // Neither a length nor chunks (HTTP/1.0): the server's close ends the body.
    while (Fill()) {
    }
    r.body = std::move(buffer_);
    buffer_.clear();
    return r;
  }
  size_t len = cl.empty() ? 0 : std::stoul(cl);
  while (buffer_.size() < len) {
    if (!Fill()) return RawResponse{};
  }
  r.body = buffer_.substr(0, len);
  buffer_.erase(0, len);
  return r;
}

void RawHttpClient::Close() {
  close(fd_);
  fd_ = -1;
}

RawResponse RawHttpClient::Post(const std::string& path, const std::string& content_type,
                                const std::string& body, const std::string& extra_headers) {
  Send("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + content_type +
       "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
       body);
  return Read();
}

}  // namespace polytrace::testing
