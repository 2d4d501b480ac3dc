// What this machine charges a process for waking up (issue #20, item 1).
//
// At a few thousand spans a second a collector sleeps between requests, so
// each request pays for the wake-ups it causes: its receiving thread's, the
// batch processor's tick, the exporter's wait for its backend's answer. On
// a virtual machine every halt of an idle CPU and every wake-up interrupt is
// a trip to the hypervisor, and part of that time is charged to the thread
// that wakes. This measures it, with no collector involved:
//   - a thread that sleeps 100 ms (or 1 ms) and wakes, many times: the CPU
//     time charged per sleep (its own work is a loop counter);
//   - two threads on one CPU handing a token back and forth with no sleep:
//     the CPU per hand-off when nothing goes idle;
//   - the same hand-off once after each 100 ms sleep.
// Pin it to one CPU (taskset) to see what a pinned collector sees.
//
//   cmake --build build/bench --target wake_cost
//   taskset -c 1 build/bench/bench/wake_cost
#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace {

double ProcessCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// CPU time charged per sleep of `gap` and the wake-up after it.
double SleepWake(std::chrono::microseconds gap, int rounds) {
  double start = ProcessCpuSeconds();
  for (int i = 0; i < rounds; ++i) std::this_thread::sleep_for(gap);
  return (ProcessCpuSeconds() - start) / rounds * 1e6;
}

// CPU time per round trip of a token between two threads (two hand-offs),
// each round after a sleep of `gap` (zero: back to back).
double HandOff(std::chrono::microseconds gap, int rounds) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 1: the partner's
  bool stop = false;
  std::thread partner([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return turn == 1 || stop; });
      if (stop) return;
      turn = 0;
      cv.notify_one();
    }
  });
  double start = ProcessCpuSeconds();
  for (int i = 0; i < rounds; ++i) {
    if (gap.count() > 0) std::this_thread::sleep_for(gap);
    std::unique_lock<std::mutex> lock(mu);
    turn = 1;
    cv.notify_one();
    cv.wait(lock, [&] { return turn == 0; });
  }
  double per_round = (ProcessCpuSeconds() - start) / rounds * 1e6;
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_one();
  partner.join();
  return per_round;
}

}  // namespace

int main() {
  using std::chrono::microseconds;
  double idle = SleepWake(microseconds(100'000), 50);
  double busy = SleepWake(microseconds(1'000), 1'000);
  double warm = HandOff(microseconds(0), 20'000);
  double cold = HandOff(microseconds(100'000), 50);
  std::printf("sleep 100 ms and wake:                 %6.1f us of CPU each (50 rounds)\n", idle);
  std::printf("sleep 1 ms and wake:                   %6.1f us of CPU each (1,000 rounds)\n", busy);
  std::printf("hand-off round trip, back to back:     %6.1f us of CPU each (20,000 rounds)\n",
              warm);
  std::printf(
      "hand-off round trip after 100 ms idle: %6.1f us of CPU each, the sleep included "
      "(50 rounds)\n",
      cold);
  std::printf("ratio, a round trip after idle / back to back: %.1f\n", cold / warm);
  return 0;
}
