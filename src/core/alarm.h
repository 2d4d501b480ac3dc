// Alarm: a deadline one thread sleeps on that other threads set, move or
// clear without waking it (Linux timerfd and eventfd, waited on with poll).
//
// Why not a condition variable's wait_until: to move or cancel that
// deadline the sleeper has to be woken, and on a VM whose idle CPUs halt a
// wake-up of an idle CPU costs ~45 µs (bench/wake_cost.cc). The batch
// processor's flusher sleeps on an Alarm so that a receiver's thread, which
// sends a batch itself when that spares the flusher its timeout
// (BatchProcessor::ConsumeTraces), can clear the timeout at no cost.
//
// Thread-safe: any thread may Set, Clear and Ring; one thread Waits.
#pragma once

#include <chrono>

namespace polytrace {

class Alarm {
 public:
  Alarm();
  ~Alarm();
  Alarm(const Alarm&) = delete;
  Alarm& operator=(const Alarm&) = delete;

  // The sleeper wakes at `when` (at once if it has passed), unless the
  // alarm is set again or cleared before. Does not wake the sleeper.
  void SetAt(std::chrono::steady_clock::time_point when);
  // No deadline: the sleeper sleeps until rung. Does not wake the sleeper.
  void Clear();
  // Wakes the sleeper now (or its next Wait, if it is not waiting).
  void Ring();
  // Sleeps until the deadline passes or the alarm is rung; spurious returns
  // are possible, so the caller re-checks its own state.
  void Wait();

 private:
  int timer_fd_ = -1;
  int event_fd_ = -1;
};

}  // namespace polytrace
