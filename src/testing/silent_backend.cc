#include "testing/silent_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace polytrace::testing {

SilentBackend::SilentBackend() {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      listen(listener_, 16) == 0) {
    socklen_t len = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  thread_ = std::thread([this] { Run(); });
}

SilentBackend::~SilentBackend() {
  stop_ = true;
  thread_.join();
  for (int fd : connections_) close(fd);
  close(listener_);
}

std::string SilentBackend::address() const { return "127.0.0.1:" + std::to_string(port_); }

bool SilentBackend::WaitForBytes(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received_.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return received_.load() > 0;
}

void SilentBackend::Run() {
  char buffer[65536];
  while (!stop_) {
    std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
    for (int fd : connections_) fds.push_back({fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd >= 0) connections_.push_back(fd);
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) {
        ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) received_ += n;
      }
    }
  }
}

}  // namespace polytrace::testing
