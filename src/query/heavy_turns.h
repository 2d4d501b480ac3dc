// The answers that read much of the store (searches, analyses, the service
// map, tag values under a query) run a few at a time. The query API's
// handlers run on its event loop's thread and a chain of standby threads
// (net/loop_standby.h); a slow handler holds its thread, and with every
// thread held by one nothing was left to answer the rest: with 20 TraceQL
// searches of half a second asked at once, /api/services waited 2.7 s. Past
// `running` at once, a heavy answer waits its turn (holding a thread, and
// `waiting` of them at most); past that it is refused with a retryable
// status (503 and Retry-After). With running + waiting below the threads,
// one is always left for the quick answers (the services list, a trace by
// ID), served at once whatever the load.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>

#include "core/status.h"

namespace polytrace::query {

class HeavyTurns {
 public:
  HeavyTurns(int running, int waiting) : max_running_(running), max_waiting_(waiting) {}
  HeavyTurns(const HeavyTurns&) = delete;
  HeavyTurns& operator=(const HeavyTurns&) = delete;

  // Held while a heavy answer is worked out; gives the turn back when
  // destroyed. Empty (holding nothing) when default-constructed.
  class Turn {
   public:
    Turn() = default;
    explicit Turn(HeavyTurns* turns) : turns_(turns) {}
    Turn(Turn&& other) noexcept : turns_(std::exchange(other.turns_, nullptr)) {}
    Turn& operator=(Turn&& other) noexcept {
      std::swap(turns_, other.turns_);
      return *this;
    }
    ~Turn() {
      if (turns_ != nullptr) turns_->Release();
    }

   private:
    HeavyTurns* turns_ = nullptr;
  };

  // A turn: at once while fewer than `running` hold one, else after waiting
  // for one (checking `gone` every `poll`: a client that went away stops
  // waiting). Unavailable, naming the bound, when `waiting` wait already,
  // after `patience`, or when the client went away.
  Result<Turn> Take(const std::function<bool()>& gone,
                    std::chrono::milliseconds patience = std::chrono::seconds(30),
                    std::chrono::milliseconds poll = std::chrono::milliseconds(100));

  int running() const;
  int waiting() const;

 private:
  void Release();

  const int max_running_, max_waiting_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  int running_ = 0, waiting_ = 0;
};

}  // namespace polytrace::query
