#include "core/alarm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace polytrace {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(AlarmTest, WakesTheSleeperAtItsDeadline) {
  Alarm alarm;
  auto start = Clock::now();
  alarm.SetAt(start + milliseconds(30));
  alarm.Wait();
  EXPECT_GE(Clock::now() - start, milliseconds(30));
}

TEST(AlarmTest, ADeadlineThatPassedWakesAtOnce) {
  Alarm alarm;
  alarm.SetAt(Clock::now() - milliseconds(5));
  alarm.Wait();  // would hang the test (and fail by its timeout) otherwise
}

TEST(AlarmTest, RingingWakesASleeperWithNoDeadline) {
  Alarm alarm;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    alarm.Wait();
    woke = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(woke.load());
  alarm.Ring();
  sleeper.join();
  EXPECT_TRUE(woke.load());
}

// What the Alarm is for: a deadline cleared or moved by another thread does
// not wake the sleeper (a condition variable's would have to).
TEST(AlarmTest, ClearingOrMovingTheDeadlineDoesNotWakeTheSleeper) {
  Alarm alarm;
  std::atomic<int> wakeups{0};
  alarm.SetAt(Clock::now() + milliseconds(40));
  std::thread sleeper([&] {
    alarm.Wait();
    ++wakeups;
  });
  std::this_thread::sleep_for(milliseconds(10));
  alarm.Clear();
  std::this_thread::sleep_for(milliseconds(80));  // past the cleared deadline
  EXPECT_EQ(wakeups.load(), 0);
  auto moved = Clock::now() + milliseconds(30);
  alarm.SetAt(moved);
  sleeper.join();
  EXPECT_EQ(wakeups.load(), 1);
  EXPECT_GE(Clock::now(), moved);
}

TEST(AlarmTest, ARingBeforeTheWaitIsKept) {
  Alarm alarm;
  alarm.Ring();
  alarm.Wait();  // returns at once
  alarm.SetAt(Clock::now() + milliseconds(20));
  auto start = Clock::now();
  alarm.Wait();  // the ring was consumed: this one waits for the deadline
  EXPECT_GE(Clock::now() - start, milliseconds(15));
}

}  // namespace
}  // namespace polytrace
