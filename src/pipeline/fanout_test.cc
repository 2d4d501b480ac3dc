#include "pipeline/fanout.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace {
namespace {

class MutatingSink : public testing::TracesSink {
 public:
  bool MutatesData() const override { return true; }
  Status ConsumeTraces(Traces traces) override {
    traces.resource_spans()[0].scope_spans[0].spans[0].name = "mutated";
    return TracesSink::ConsumeTraces(std::move(traces));
  }
};

TEST(FanOutTest, EveryConsumerGetsEverySpan) {
  testing::TracesSink a, b;
  FanOut fan({&a, &b});
  ASSERT_TRUE(fan.ConsumeTraces(testing::MakeTraces("svc", 3)).ok());
  EXPECT_EQ(a.SpanCount(), 3u);
  EXPECT_EQ(b.SpanCount(), 3u);
}

TEST(FanOutTest, MutatingConsumerGetsAPrivateCopy) {
  MutatingSink m;
  testing::TracesSink plain;
  FanOut fan({&m, &plain});
  ASSERT_TRUE(fan.ConsumeTraces(testing::MakeTraces("svc", 1)).ok());
  plain.Inspect([](const std::vector<Traces>& batches) {
    EXPECT_EQ(batches[0].resource_spans()[0].scope_spans[0].spans[0].name, "span-0");
  });
}

TEST(FanOutTest, ReportsFailureButStillFeedsTheOthers) {
  testing::TracesSink a, b;
  a.SetResponse(Status::Unavailable("down"));
  FanOut fan({&a, &b});
  Status st = fan.ConsumeTraces(testing::MakeTraces("svc", 2));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(b.SpanCount(), 2u);
}

}  // namespace
}  // namespace polytrace
