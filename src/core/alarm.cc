#include "core/alarm.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace polytrace {

namespace {

// Failing to create or use these descriptors means the process ran out of
// them or the kernel lacks timerfd: nothing sensible goes on from there.
void CheckOk(int rc) {
  if (rc < 0 && errno != EINTR && errno != EAGAIN) std::abort();
}

}  // namespace

Alarm::Alarm()
    : timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (timer_fd_ < 0 || event_fd_ < 0) std::abort();
}

Alarm::~Alarm() {
  close(timer_fd_);
  close(event_fd_);
}

// std::chrono::steady_clock is CLOCK_MONOTONIC on Linux (libstdc++), so its
// time points are absolute times for the timerfd.
void Alarm::SetAt(std::chrono::steady_clock::time_point when) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // zero would disarm
  itimerspec spec{};
  spec.it_value.tv_sec = ns / 1'000'000'000;
  spec.it_value.tv_nsec = ns % 1'000'000'000;
  CheckOk(timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr));
}

void Alarm::Clear() {
  itimerspec spec{};
  CheckOk(timerfd_settime(timer_fd_, 0, &spec, nullptr));
}

void Alarm::Ring() {
  uint64_t one = 1;
  CheckOk(static_cast<int>(write(event_fd_, &one, sizeof one)));
}

void Alarm::Wait() {
  pollfd fds[2] = {{timer_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
  CheckOk(poll(fds, 2, -1));
  uint64_t count;
  // Drain both: an expiry or a ring is consumed by this return.
  if (fds[0].revents & POLLIN) CheckOk(static_cast<int>(read(timer_fd_, &count, sizeof count)));
  if (fds[1].revents & POLLIN) CheckOk(static_cast<int>(read(event_fd_, &count, sizeof count)));
}

}  // namespace polytrace
