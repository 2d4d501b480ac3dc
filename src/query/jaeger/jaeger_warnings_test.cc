#include "query/jaeger/jaeger_warnings.h"

#include <gtest/gtest.h>

#include "analysis/trace_assembly.h"

namespace polytrace::query {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kT0 = 1796600000ull * 1'000'000'000;

// Go's own answers (time.Duration.String, time.Time.String in UTC).
TEST(JaegerWarningsTest, TimesAndDurationsAreWrittenAsGoWritesThem) {
  EXPECT_EQ(GoDurationString(0), "0s");
  EXPECT_EQ(GoDurationString(800), "800ns");
  EXPECT_EQ(GoDurationString(1'500), "1.5\u00b5s");
  EXPECT_EQ(GoDurationString(12'500'000), "12.5ms");
  EXPECT_EQ(GoDurationString(-2'000'000'000), "-2s");
  EXPECT_EQ(GoDurationString(90'500'000'000), "1m30.5s");
  EXPECT_EQ(GoDurationString(3'600'000'000'000), "1h0m0s");
  EXPECT_EQ(GoDurationString(3'723'000'000'001), "1h2m3.000000001s");
  EXPECT_EQ(GoTimeString(kT0), "2026-12-06 23:33:20 +0000 UTC");
  EXPECT_EQ(GoTimeString(kT0 + 480'074'620), "2026-12-06 23:33:20.48007462 +0000 UTC");
  EXPECT_EQ(NegativeDurationWarning(kT0 + 5, kT0),
            "Negative duration detected, sanitizing end timestamp. Original end timestamp: "
            "2026-12-06 23:33:20 +0000 UTC, adjusted to: 2026-12-06 23:33:20.000000006 +0000 UTC");
}

class ClockSkewTest : public ::testing::Test {
 protected:
  // A span on host `host` ("": a resource without one); `parent` 0: a root.
  void Add(const std::string& host, uint8_t id, uint8_t parent, uint64_t start_ms,
           uint64_t end_ms) {
    ResourceSpans& rs = traces_.resource_spans().Append(traces_.arena());
    if (!host.empty()) {
      rs.resource.attributes.Append(traces_.arena(),
                                    {"host.name", AnyValue::String(traces_.arena().Copy(host))});
    }
    Span& s = rs.scope_spans.Append(traces_.arena()).spans.Append(traces_.arena());
    s.trace_id.bytes[15] = 1;
    s.span_id.bytes[7] = id;
    s.parent_span_id.bytes[7] = parent;
    s.start_time_unix_nano = kT0 + start_ms * kMs;
    s.end_time_unix_nano = kT0 + end_ms * kMs;
  }
  // Span ID -> its delta, ms.
  std::map<int, double> Deltas() {
    analysis::AssembledTrace trace = analysis::AssembleTrace(traces_);
    std::vector<int64_t> delta = JaegerClockSkewDeltas(trace);
    std::map<int, double> out;
    for (size_t i = 0; i < trace.spans.size(); ++i) {
      if (delta[i] != 0) out[trace.spans[i].span->span_id.bytes[7]] = double(delta[i]) / kMs;
    }
    return out;
  }
  Traces traces_;
};

TEST_F(ClockSkewTest, AChildOnAnotherHostIsCenteredInItsParentAndItsHostFollows) {
  Add("gw", 1, 0, 0, 100);
  Add("gw", 2, 1, 10, 80);  // same host as its parent: never compared
  Add("wk", 3, 2, 5, 60);   // starts before its parent: (70 - 55) / 2 = 7.5 after it, 12.5 later
  Add("wk", 4, 3, 6, 7);    // the worker's clock: the same delta
  Add("db", 5, 3, 20, 30);  // fits inside its parent: 0, and none below it
  Add("db", 6, 5, 21, 22);
  EXPECT_EQ(Deltas(), (std::map<int, double>{{3, 12.5}, {4, 12.5}}));
}

TEST_F(ClockSkewTest, ALongerChildOnlyMustNotStartFirstAndNoHostIsAlwaysAnother) {
  Add("", 1, 0, 10, 20);
  Add("", 2, 1, 5, 40);    // longer than its parent, starts 5 ms early
  Add("", 3, 2, 30, 50);   // no host: compared with its parent, though both have none
  Add("x", 4, 1, 12, 50);  // longer, starts after its parent: 0
  EXPECT_EQ(Deltas(), (std::map<int, double>{{2, 5}, {3, -17.5}}));  // 5 + (35 - 20) / 2 - 30
}

}  // namespace
}  // namespace polytrace::query
