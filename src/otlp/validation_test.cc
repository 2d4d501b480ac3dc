#include "otlp/validation.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace::otlp {
namespace {

TEST(ValidationTest, RemovesSpansWithZeroIdsAndNamesThem) {
  Traces t = testing::MakeTraces("svc", 4);
  auto& spans = t.resource_spans()[0].scope_spans[0].spans;
  spans[1].trace_id = TraceId();
  spans[3].span_id = SpanId();
  Rejection r = RemoveInvalidSpans(&t);
  EXPECT_EQ(r.rejected_spans, 2);
  EXPECT_EQ(t.SpanCount(), 2u);
  EXPECT_EQ(
      r.error_message,
      "2 invalid spans rejected: span \"span-1\" (resource_spans[0].scope_spans[0].spans[1]): "
      "trace_id is all zero or missing; span \"span-3\" "
      "(resource_spans[0].scope_spans[0].spans[3]): span_id is all zero or missing");
}

TEST(ValidationTest, ValidBatchIsUntouched) {
  Traces t = testing::MakeTraces("svc", 3);
  Rejection r = RemoveInvalidSpans(&t);
  EXPECT_EQ(r.rejected_spans, 0);
  EXPECT_TRUE(r.error_message.empty());
  EXPECT_EQ(t.SpanCount(), 3u);
}

TEST(ValidationTest, AllInvalidLeavesAnEmptyBatch) {
  Traces t = testing::MakeTraces("svc", 2);
  for (Span& s : t.resource_spans()[0].scope_spans[0].spans) s.trace_id = TraceId();
  RemoveInvalidSpans(&t);
  EXPECT_TRUE(t.resource_spans().empty());
}

}  // namespace
}  // namespace polytrace::otlp
