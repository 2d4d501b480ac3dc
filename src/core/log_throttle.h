// LogThrottle: lets at most `burst` messages through per interval, so a
// flood of bad clients (failed handshakes, wrong credentials) cannot flood
// the log, while a few distinct failures in a row are all reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace polytrace {

class LogThrottle {
 public:
  explicit LogThrottle(int burst = 5,
                       std::chrono::steady_clock::duration interval = std::chrono::seconds(1))
      : burst_(burst), interval_(interval) {}
  // Whether this message may be logged. Thread-safe.
  bool Allow() {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (now - window_start_ >= interval_) {
      window_start_ = now;
      count_ = 0;
    }
    return count_++ < burst_;
  }

 private:
  const int burst_;
  const std::chrono::steady_clock::duration interval_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point window_start_{};
  int count_ = 0;
};

}  // namespace polytrace
