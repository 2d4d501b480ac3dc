#include "net/loop_standby.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdint>

#include "core/thread_name.h"

namespace polytrace {

LoopStandby::LoopStandby(boost::asio::io_context& io, std::chrono::milliseconds after,
                         std::string name, int chain)
    : io_(io),
      after_(after),
      name_(std::move(name)),
      timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) {
  if (chain > 1) next_ = std::make_unique<LoopStandby>(io, after, name_, chain - 1);
}

LoopStandby::~LoopStandby() {
  Stop();
  if (timer_fd_ >= 0) close(timer_fd_);
}

namespace {
thread_local const LoopStandby* watched = nullptr;  // the standby watching this thread
}  // namespace

void LoopStandby::MarkLoopThread() { watched = this; }

void LoopStandby::Start() {
  if (timer_fd_ < 0) return;  // no timer: handlers hold the loop, as with one thread
  if (next_) next_->Start();
  thread_ = std::thread([this] {
    SetThreadName(name_);
    if (next_) next_->MarkLoopThread();  // the next standby watches this thread
    Run();
  });
}

LoopStandby* LoopStandby::WatchingThisThread() {
  for (LoopStandby* s = this; s != nullptr; s = s->next_.get()) {
    if (s == watched) return s->timer_fd_ >= 0 ? s : nullptr;
  }
  return nullptr;
}

void LoopStandby::Arm(std::chrono::nanoseconds in) {
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(in.count() / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(in.count() % 1'000'000'000);
  timerfd_settime(timer_fd_, 0, &spec, nullptr);  // zero disarms
}

void LoopStandby::HandlerStarts() {
  LoopStandby* s = WatchingThisThread();
  if (s == nullptr) return;
  s->loop_in_handler_.store(true);
  s->Arm(s->after_);
}

void LoopStandby::HandlerEnds() {
  LoopStandby* s = WatchingThisThread();
  if (s == nullptr) return;
  s->loop_in_handler_.store(false);
  s->Arm(std::chrono::nanoseconds(0));
}

void LoopStandby::Stop() {
  if (!stopping_.exchange(true) && thread_.joinable()) {
    Arm(std::chrono::nanoseconds(1));  // wakes the standby to see it stop
    thread_.join();
  }
  if (next_) next_->Stop();
}

void LoopStandby::Run() {
  while (true) {
    uint64_t expirations = 0;
    ssize_t n = read(timer_fd_, &expirations, sizeof expirations);
    if (stopping_.load()) return;
    if (n != static_cast<ssize_t>(sizeof expirations)) {
      if (n < 0 && errno == EINTR) continue;
      return;  // the timer is gone: handlers hold the loop, as with one thread
    }
    // The loop's thread is held up: run the loop until it is back (a
    // handler that ended just as the timer fired leaves nothing to do).
    bool ran = false;
    while (loop_in_handler_.load() && !stopping_.load() && !io_.stopped()) {
      io_.run_one_for(after_);
      ran = true;
    }
    // Leaving, the standby may have held the loop's poll while the loop's
    // thread, back from its handler, waited for work: asio wakes a waiting
    // thread when work is posted, not when a thread leaves. A no-op posted
    // hands the loop back (without it, a lookup after a slow search hung).
    if (ran) boost::asio::post(io_, [] {});
  }
}

}  // namespace polytrace
