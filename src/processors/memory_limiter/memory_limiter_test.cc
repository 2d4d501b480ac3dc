#include "processors/memory_limiter/memory_limiter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "core/reclaimable.h"
#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

Settings LimiterSettings() {
  Settings s;
  s.id = {"memory_limiter", ""};
  s.logger = MakeLogger("processor/memory_limiter-test");
  return s;
}

// Limit 100 MiB, soft 80; the test drives CheckNow itself.
MemoryLimiterConfig DrivenConfig() {
  MemoryLimiterConfig c;
  c.check_interval = std::chrono::hours(1);
  c.limit_mib = 100;
  c.spike_limit_mib = 20;
  return c;
}

TEST(MemoryLimiterTest, RefusesAboveSoftLimitAndRecovers) {
  std::atomic<uint64_t> usage{50 * kMiB};
  testing::TracesSink sink;
  MemoryLimiter m(LimiterSettings(), DrivenConfig(), &sink, [&] { return usage.load(); });
  testing::TestHost host;
  ASSERT_TRUE(m.Start(host).ok());
  EXPECT_TRUE(m.ConsumeTraces(testing::MakeTraces("s", 2)).ok());

  usage = 81 * kMiB;  // soft limit is 80 MiB
  m.CheckNow();
  Status st = m.ConsumeTraces(testing::MakeTraces("s", 3));
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(st.retry_after().has_value());
  EXPECT_NE(st.message().find("above the soft limit 80 MiB"), std::string::npos);

  usage = 70 * kMiB;
  m.CheckNow();
  EXPECT_TRUE(m.ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  EXPECT_EQ(sink.SpanCount(), 3u);
  EXPECT_EQ(host.MetricValue("otelcol_processor_refused_spans{processor=\"memory_limiter\"}"), 3);
  m.Shutdown();
}

// Above the soft limit, caches are reclaimed before data is refused (the
// Collector forces a garbage collection there): when that brings usage
// under the limit, nothing is refused; when it does not, data is.
TEST(MemoryLimiterTest, ReclaimsCachesBeforeRefusing) {
  std::atomic<uint64_t> usage{50 * kMiB};
  uint64_t cache = 10 * kMiB;
  Reclaimable caches([&] {
    usage -= cache;
    return std::exchange(cache, 0);
  });
  testing::TracesSink sink;
  MemoryLimiter m(LimiterSettings(), DrivenConfig(), &sink, [&] { return usage.load(); });
  testing::TestHost host;
  ASSERT_TRUE(m.Start(host).ok());
  usage = 85 * kMiB;  // soft limit 80 MiB, 10 of the 85 a cache
  m.CheckNow();
  EXPECT_EQ(cache, 0u);
  EXPECT_TRUE(m.ConsumeTraces(testing::MakeTraces("s", 2)).ok());
  usage = 95 * kMiB;  // no cache left to give back
  m.CheckNow();
  EXPECT_EQ(m.ConsumeTraces(testing::MakeTraces("s", 1)).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sink.SpanCount(), 2u);
  m.Shutdown();
}

// Issue #12: measured by RSS, one 20 s burst left the limiter refusing every
// request for 150+ s: freed memory stays in RSS until the allocator returns
// it. Measured by the allocator, a single request 2 s after the burst is in.
TEST(MemoryLimiterTest, AcceptsAgainSoonAfterABurstIsFreed) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizer replaces the allocator whose statistics are measured";
#else
  uint64_t baseline = HeapInUseBytes();
  MemoryLimiterConfig c;
  c.check_interval = std::chrono::milliseconds(100);
  c.limit_mib = baseline / kMiB + 200;
  c.spike_limit_mib = 50;  // soft: baseline + 150 MiB
  testing::TracesSink sink;
  MemoryLimiter m(LimiterSettings(), c, &sink);  // the real probe
  testing::TestHost host;
  ASSERT_TRUE(m.Start(host).ok());

  // The burst: 250 MiB in small blocks, which the allocator keeps in its
  // heap when freed (large blocks would go straight back to the OS).
  std::vector<std::unique_ptr<char[]> > burst;
  for (size_t i = 0; i < (250 * kMiB) / 1024; ++i) {
    burst.emplace_back(new char[1024]);
    std::memset(burst.back().get(), 1, 1024);
  }
  // A block allocated after the burst and still alive: the heap's top cannot
  // shrink, so free() alone gives nothing back (as in a long-running process).
  std::unique_ptr<char[]> pin(new char[1024]);
  std::memset(pin.get(), 1, 1024);
  m.CheckNow();
  EXPECT_EQ(m.ConsumeTraces(testing::MakeTraces("s", 1)).code(), StatusCode::kResourceExhausted);
  burst.clear();

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (m.refusing() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(m.ConsumeTraces(testing::MakeTraces("s", 1)).ok());
  // And the freed memory went back to the OS: the checker returns it right
  // after it stops refusing, so that is waited for (a CI run once measured
  // RSS in between).
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (ProcessRssBytes() >= baseline + 150 * kMiB &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LT(ProcessRssBytes(), baseline + 150 * kMiB);
  m.Shutdown();
#endif
}

TEST(MemoryLimiterTest, SetsTheAdmissionGate) {
  std::atomic<uint64_t> usage{50 * kMiB};
  testing::TracesSink sink;
  MemoryLimiter m(LimiterSettings(), DrivenConfig(), &sink, [&] { return usage.load(); });
  testing::TestHost host;
  ASSERT_TRUE(m.Start(host).ok());
  // Soft limit 80 MiB, 50 in use: 25 fits, 35 does not.
  auto small = host.admission()->Admit(25 * kMiB);
  EXPECT_TRUE(small.ok());
  EXPECT_EQ(host.admission()->Admit(10 * kMiB).status().code(), StatusCode::kResourceExhausted);
  usage = 10 * kMiB;
  m.CheckNow();
  EXPECT_TRUE(host.admission()->Admit(35 * kMiB).ok());
  m.Shutdown();
}

TEST(MemoryLimiterTest, PercentagesUseTotalMemory) {
  MemoryLimiterConfig c;
  c.limit_percentage = 80;
  c.spike_limit_percentage = 25;
  uint64_t soft, hard;
  c.Limits(1000 * kMiB, &soft, &hard);
  EXPECT_EQ(hard, 800 * kMiB);
  EXPECT_EQ(soft, 550 * kMiB);
}

TEST(MemoryLimiterTest, DefaultSpikeIsTwentyPercent) {
  MemoryLimiterConfig c;
  c.limit_mib = 100;
  uint64_t soft, hard;
  c.Limits(0, &soft, &hard);
  EXPECT_EQ(soft, 80 * kMiB);
}

TEST(MemoryLimiterTest, ValidationMatchesTheCollector) {
  MemoryLimiterConfig c;
  c.limit_mib = 100;
  EXPECT_NE(c.Validate().message().find("check_interval must be greater than zero"),
            std::string::npos);
  c.check_interval = std::chrono::seconds(1);
  c.spike_limit_mib = 100;
  EXPECT_NE(c.Validate().message().find("must be smaller than limit_mib"), std::string::npos);
  c.spike_limit_mib = 10;
  EXPECT_TRUE(c.Validate().ok());
}

}  // namespace
}  // namespace polytrace
