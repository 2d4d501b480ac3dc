// HeavyTurns: a few at once, a few more waiting, the rest refused; a turn
// given back lets a waiter in; a waiter whose client went away, or whose
// patience ran out, stops waiting. (Which answers take turns: query_api_test.)
#include "query/heavy_turns.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

namespace polytrace::query {
namespace {

// Waits (up to 10 s) for `condition`.
bool Eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(HeavyTurnsTest, AFewRunAFewWaitTheRestAreRefused) {
  HeavyTurns turns(1, 1);
  std::optional<HeavyTurns::Turn> first;
  {
    Result<HeavyTurns::Turn> t = turns.Take(nullptr);
    ASSERT_TRUE(t.ok());
    first.emplace(std::move(*t));
  }
  EXPECT_EQ(turns.running(), 1);
  std::atomic<bool> second_ran{false};
  std::thread waiter([&] {
    Result<HeavyTurns::Turn> t = turns.Take(nullptr);
    EXPECT_TRUE(t.ok()) << t.status().message();
    second_ran = true;
  });
  ASSERT_TRUE(Eventually([&] { return turns.waiting() == 1; }));
  Result<HeavyTurns::Turn> third = turns.Take(nullptr);
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(third.status().message().find("1 searches or analyses are being worked out and 1 wait"),
            std::string::npos)
      << third.status().message();
  EXPECT_FALSE(second_ran);
  first.reset();  // its turn goes to the waiter
  waiter.join();
  EXPECT_TRUE(second_ran);
  EXPECT_EQ(turns.running(), 0);  // the waiter's turn ended with its thread's Take result
  EXPECT_EQ(turns.waiting(), 0);
}

TEST(HeavyTurnsTest, AWaiterWhoseClientLeftOrWhosePatienceRanOutStops) {
  HeavyTurns turns(1, 2);
  Result<HeavyTurns::Turn> held = turns.Take(nullptr);
  ASSERT_TRUE(held.ok());
  std::atomic<bool> gone{false};
  Result<HeavyTurns::Turn> left = Status::Ok();
  std::thread waiter([&] {
    left = turns.Take([&] { return gone.load(); }, std::chrono::seconds(60),
                      std::chrono::milliseconds(1));
  });
  ASSERT_TRUE(Eventually([&] { return turns.waiting() == 1; }));
  gone = true;
  waiter.join();
  EXPECT_EQ(left.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(left.status().message(), "client closed the request");
  Result<HeavyTurns::Turn> tired =
      turns.Take(nullptr, std::chrono::milliseconds(20), std::chrono::milliseconds(1));
  EXPECT_EQ(tired.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(tired.status().message().find("waited 20 ms for a turn"), std::string::npos);
  EXPECT_EQ(turns.waiting(), 0);
  EXPECT_EQ(turns.running(), 1);
}

}  // namespace
}  // namespace polytrace::query
