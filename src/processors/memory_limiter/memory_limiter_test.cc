#include "processors/memory_limiter/memory_limiter.h"

#include <gtest/gtest.h>

#include "telemetry/logging.h"
#include "testing/test_host.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

TEST(MemoryLimiterTest, RefusesAboveSoftLimitAndRecovers) {
  MemoryLimiterConfig c;
  c.check_interval = std::chrono::hours(1);  // the test drives CheckNow itself
  c.limit_mib = 100;
  c.spike_limit_mib = 20;
  std::atomic<uint64_t> usage{50 * kMiB};
  testing::TracesSink sink;
  Settings s;
  s.id = {"memory_limiter", ""};
  s.logger = MakeLogger("processor/memory_limiter-test");
  MemoryLimiter m(s, c, &sink, [&] { return usage.load(); });
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
