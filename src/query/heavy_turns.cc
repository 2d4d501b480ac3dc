#include "query/heavy_turns.h"

#include <fmt/format.h>

namespace polytrace::query {

Result<HeavyTurns::Turn> HeavyTurns::Take(const std::function<bool()>& gone,
                                          std::chrono::milliseconds patience,
                                          std::chrono::milliseconds poll) {
  std::unique_lock lock(mu_);
  if (running_ < max_running_) {
    ++running_;
    return Turn(this);
  }
  if (waiting_ >= max_waiting_) {
    return Status::Unavailable(
        fmt::format("{} searches or analyses are being worked out and {} wait, the most this "
                    "server takes at once; retry shortly",
                    running_, waiting_));
  }
  ++waiting_;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (running_ >= max_running_) {
    bool timed_out = std::chrono::steady_clock::now() >= deadline;
    if (timed_out || (gone && gone())) {
      --waiting_;
      return Status::Unavailable(timed_out ? fmt::format("waited {} ms for a turn among the {} "
                                                         "searches or analyses being worked out; "
                                                         "retry shortly",
                                                         patience.count(), running_)
                                           : std::string("client closed the request"));
    }
    freed_.wait_for(lock, poll);
  }
  --waiting_;
  ++running_;
  return Turn(this);
}

void HeavyTurns::Release() {
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  freed_.notify_one();
}

int HeavyTurns::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int HeavyTurns::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace polytrace::query
