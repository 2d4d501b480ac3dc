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
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <thread>

namespace polytrace {

class LoopStandby {
 public:
  // `after`: how long a handler may hold the loop before the standby takes
  // it over. Start from the loop's thread (it becomes the one watched).
  LoopStandby(boost::asio::io_context& io, std::chrono::milliseconds after, std::string name);
  ~LoopStandby();
  LoopStandby(const LoopStandby&) = delete;
  LoopStandby& operator=(const LoopStandby&) = delete;

  // Starts the standby thread.
  void Start();
  // Called on the loop's own thread before it runs the loop: the thread
  // whose handlers are watched.
  void MarkLoopThread();
  // Around a handler run on the loop: armed and disarmed only on the loop's
  // own thread (the standby's handlers need no standby of their own).
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

  boost::asio::io_context& io_;
  const std::chrono::milliseconds after_;
  const std::string name_;
  int timer_fd_ = -1;
  std::atomic<bool> loop_in_handler_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace polytrace
