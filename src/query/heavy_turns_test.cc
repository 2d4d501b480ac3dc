// HeavyTurns: a few at once, a few more waiting, the rest refused; a turn
// given back lets a waiter in; a waiter whose client went away, or whose
// patience ran out, stops waiting. And which of the query API's answers
// take turns.
#include "query/heavy_turns.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "query/query_service.h"

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

// With no turn to give, every answer that reads much of the store is a 503
// and every quick one is served.
TEST(HeavyTurnsTest, SearchesAndAnalysesTakeTurnsQuickAnswersDoNot) {
  QueryService service([] { return nullptr; }, std::nullopt,
                       QueryOptions{.heavy_running = 0, .heavy_waiting = 0});
  auto status = [&](std::string target) {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    HttpResponse answer = service.Handle(r);
    if (answer.status == 503 && answer.body.find("searches or analyses") == std::string::npos) {
      return 0;  // the store's own 503 (not open): the request was let through
    }
    return answer.status;
  };
  for (const char* heavy :
       {"/api/traces?service=gw", "/api/traces?traceID=1", "/api/search?q=%7B%7D",
        "/api/v3/trace-summaries?query.serviceName=gw", "/api/analysis/traces/1",
        "/api/backlinks/traces/1", "/api/dependencies", "/api/servicemap",
        "/api/v2/search/tag/span.x/values?q=%7B%7D"}) {
    EXPECT_EQ(status(heavy), 503) << heavy;
  }
  for (const char* quick :
       {"/api/services", "/api/traces/1", "/api/v2/traces/1", "/api/v3/services",
        "/api/v2/search/tag/span.x/values", "/api/search/tags", "/api/echo"}) {
    EXPECT_EQ(status(quick), 0) << quick;
  }
}

}  // namespace
}  // namespace polytrace::query
