// SilentBackend: a peer that accepts connections, reads whatever is sent
// and never answers, for testing what a client does when its backend hangs
// (shutdown budgets, cancellation). Listens on 127.0.0.1, an ephemeral port.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace polytrace::testing {

class SilentBackend {
 public:
  SilentBackend();
  ~SilentBackend();
  SilentBackend(const SilentBackend&) = delete;
  SilentBackend& operator=(const SilentBackend&) = delete;

  std::string address() const;  // "127.0.0.1:port"
  // Whether any byte arrived within `timeout` (a request is in flight).
  bool WaitForBytes(std::chrono::milliseconds timeout) const;

 private:
  void Run();

  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> connections_;  // the backend thread's until join
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> received_{0};
  std::thread thread_;
};

}  // namespace polytrace::testing
