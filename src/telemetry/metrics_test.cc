#include "telemetry/metrics.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

TEST(MetricsTest, RendersCountersWithLabels) {
  MetricsRegistry r;
  r.GetCounter("otelcol_receiver_accepted_spans", "Spans accepted.",
               {{"receiver", "otlp"}, {"transport", "http"}})
      .Add(5);
  std::string text = r.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE otelcol_receiver_accepted_spans counter"), std::string::npos);
  EXPECT_NE(text.find("otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"http\"} 5"),
            std::string::npos);
}

TEST(MetricsTest, SameNameAndLabelsGiveTheSameHandle) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("c", "h", {{"k", "v"}});
  Counter& b = r.GetCounter("c", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  Histogram& h = r.GetHistogram("batch_size", "h", {10, 100});
  h.Observe(5);
  h.Observe(50);
  h.Observe(500);
  std::string text = r.RenderPrometheus();
  EXPECT_NE(text.find("batch_size_bucket{le=\"10\"} 1"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"100\"} 2"), std::string::npos);
  EXPECT_NE(text.find("batch_size_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("batch_size_count 3"), std::string::npos);
}

TEST(MetricsTest, RssIsPositive) { EXPECT_GT(ProcessRssBytes(), 0u); }

}  // namespace
}  // namespace polytrace
