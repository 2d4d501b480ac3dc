// A thread that runs an event loop only while the loop's own thread is held
// up in a handler (HttpServerOptions::standby_thread): the query API's one
// event loop runs its handlers inline, with no hand-over to another thread
// per request, yet a search that takes a second does not hold up the other
// connections. The loop's thread arms a kernel timer (timerfd) as a handler
// starts and disarms it as it ends: two system calls, no wake-up. Only a
// handler still running when the timer fires wakes the standby, which then
// runs the loop until that handler is done. Idle, nothing wakes at all.
//
// Two threads sharing one loop, as asio runs them, woke each other about 12
// times a request: a fifth of a lookup by ID's CPU.
//
// Standbys chain: while the standby itself is held up in a slow handler,
// the next one takes the loop over, so two slow searches at once (an
// analysis, a TraceQL search) do not hold up a quick lookup (with one
// standby it waited 0.5-0.6 s for them).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace polytrace {

class LoopStandby {
 public:
  // `after`: how long a handler may hold the loop before the standby takes
  // it over. `chain`: standbys in all, each watching the one before (the
  // first watches the loop's thread): `chain` slow handlers at once still
  // leave a thread answering the others.
  LoopStandby(boost::asio::io_context& io, std::chrono::milliseconds after, std::string name,
              int chain = 1);
  ~LoopStandby();
  LoopStandby(const LoopStandby&) = delete;
  LoopStandby& operator=(const LoopStandby&) = delete;

  // Starts the standby threads.
  void Start();
  // Called on the loop's own thread before it runs the loop: the thread
  // whose handlers are watched.
  void MarkLoopThread();
  // Around a handler run on the loop: arm and disarm the standby watching
  // the calling thread (the last standby's handlers have none).
  void HandlerStarts();
  void HandlerEnds();
  // Idempotent; the loop must be stopped first or soon after.
  void Stop();

  // RAII for HandlerStarts/HandlerEnds; null: nothing.
  class Watch {
   public:
    explicit Watch(LoopStandby* standby) : standby_(standby) {
      if (standby_ != nullptr) standby_->HandlerStarts();
    }
    ~Watch() {
      if (standby_ != nullptr) standby_->HandlerEnds();
    }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    LoopStandby* standby_;
  };

 private:
  void Arm(std::chrono::nanoseconds in);
  void Run();
  // The standby of this chain watching the calling thread, or null.
  LoopStandby* WatchingThisThread();

  boost::asio::io_context& io_;
  const std::chrono::milliseconds after_;
  const std::string name_;
  int timer_fd_ = -1;
  std::atomic<bool> loop_in_handler_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::unique_ptr<LoopStandby> next_;  // watches this standby's thread
};

}  // namespace polytrace
