#include "core/traces.h"

#include <gtest/gtest.h>

namespace polytrace {
namespace {

Traces Make(size_t scopes, size_t spans_per_scope) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, KeyValue{"service.name", AnyValue::String("svc")});
  for (size_t s = 0; s < scopes; ++s) {
    ScopeSpans& ss = rs.scope_spans.Append(a);
    for (size_t i = 0; i < spans_per_scope; ++i) {
      Span& span = ss.spans.Append(a);
      span.span_id.bytes[0] = static_cast<uint8_t>(s);
      span.span_id.bytes[1] = static_cast<uint8_t>(i);
    }
  }
  return t;
}

TEST(TracesTest, SplitFrontTakesSpansInOrder) {
  Traces t = Make(3, 4);
  Traces front = t.SplitFront(6);
  EXPECT_EQ(front.SpanCount(), 6u);
  EXPECT_EQ(t.SpanCount(), 6u);
  EXPECT_EQ(front.resource_spans()[0].scope_spans.size(), 2u);
  EXPECT_EQ(t.resource_spans()[0].scope_spans[0].spans[0].span_id.bytes[0], 1);
  EXPECT_EQ(t.resource_spans()[0].scope_spans[0].spans[0].span_id.bytes[1], 2);
  Traces second = t.SplitFront(100);
  EXPECT_EQ(second.SpanCount(), 6u);
  EXPECT_TRUE(t.empty());
}

TEST(TracesTest, SplitKeepsBothHalvesAliveAfterOriginalDies) {
  Traces front;
  {
    Traces t = Make(1, 10);
    front = t.SplitFront(5);
  }
  EXPECT_EQ(front.resource_spans()[0].resource.attributes[0].value.string_value, "svc");
}

TEST(TracesTest, AppendMovesEverything) {
  Traces a = Make(1, 3);
  a.Append(Make(2, 2));
  EXPECT_EQ(a.SpanCount(), 7u);
  EXPECT_EQ(a.resource_spans().size(), 2u);
}

TEST(TracesTest, CloneIsIndependent) {
  Traces a = Make(1, 2);
  Traces b = a.Clone();
  b.resource_spans()[0].scope_spans[0].spans[0].name = "changed";
  EXPECT_EQ(a.resource_spans()[0].scope_spans[0].spans[0].name, "");
  EXPECT_EQ(b.SpanCount(), 2u);
}

TEST(TracesTest, ShareAppendDoesNotTouchOriginal) {
  Traces a = Make(1, 2);
  Traces b = a.Share();
  b.Append(Make(1, 1));
  EXPECT_EQ(a.SpanCount(), 2u);
  EXPECT_EQ(b.SpanCount(), 3u);
}

// The wire form (Traces::wire) must never outlive a change to the spans:
// exporters and the WAL would send the old bytes.
TEST(TracesTest, WireFormIsKeptOnlyWhileTheSpansAreTheRequest) {
  Traces empty;
  ASSERT_NE(empty.wire(), nullptr);  // zero spans: zero bytes
  EXPECT_TRUE(empty.wire()->empty());

  Traces a = Make(1, 2);
  EXPECT_EQ(a.wire(), nullptr);  // built in memory
  a.SetWire("AA");
  Traces b = Make(1, 1);
  b.SetWire("B");
  const Traces& ca = a;
  EXPECT_EQ(ca.resource_spans().size(), 1u);  // read-only access keeps it
  ASSERT_NE(a.wire(), nullptr);

  Traces merged;
  merged.Append(std::move(a));
  merged.Append(std::move(b));
  ASSERT_NE(merged.wire(), nullptr);
  EXPECT_EQ(*merged.wire(), (std::vector<std::string_view>{"AA", "B"}));
  Traces shared = merged.Share();
  ASSERT_NE(shared.wire(), nullptr);
  EXPECT_EQ(shared.wire()->size(), 2u);

  Traces unknown = Make(1, 1);
  shared.Append(std::move(unknown));  // one part without a wire form
  EXPECT_EQ(shared.wire(), nullptr);
  EXPECT_NE(merged.wire(), nullptr);  // the original is not affected

  merged.resource_spans()[0].scope_spans[0].spans[0].name = "changed";
  EXPECT_EQ(merged.wire(), nullptr);

  Traces whole = Make(2, 2);
  whole.SetWire("WHOLE");
  Traces front = whole.SplitFront(2);
  EXPECT_EQ(front.wire(), nullptr);
  EXPECT_EQ(whole.wire(), nullptr);

  Traces moved_from = Make(1, 1);
  moved_from.SetWire("X");
  Traces to = std::move(moved_from);
  ASSERT_NE(to.wire(), nullptr);
  ASSERT_NE(moved_from.wire(), nullptr);  // NOLINT: a moved-from batch is empty and usable
  EXPECT_TRUE(moved_from.wire()->empty());
}

// Stands in for otlp::DecodeTracesProto: one span per byte, named by it.
Status DecodeOneSpanPerByte(std::string_view bytes, Traces* out) {
  Arena& a = out->arena();
  ScopeSpans& ss = out->resource_spans().Append(a).scope_spans.Append(a);
  for (char c : bytes) ss.spans.Append(a).name = a.Copy(std::string(1, c));
  return Status::Ok();
}

std::string Names(const Traces& t) {
  std::string out;
  for (const ResourceSpans& rs : t.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& s : ss.spans) out += s.name;
    }
  }
  return out;
}

TEST(TracesTest, UndecodedBatchesMergeAsBytesAndDecodeWhenRead) {
  Traces batch;  // what a batch processor starts from
  for (std::string_view request : {"ab", "c", "de"}) {
    Traces t;
    t.SetUndecoded(t.Adopt(std::string(request)), request.size(), &DecodeOneSpanPerByte);
    batch.Append(std::move(t));
  }
  EXPECT_FALSE(batch.decoded());
  EXPECT_EQ(batch.SpanCount(), 5u);
  ASSERT_NE(batch.wire(), nullptr);
  EXPECT_EQ(*batch.wire(), (std::vector<std::string_view>{"ab", "c", "de"}));

  Traces shared = batch.Share();
  EXPECT_EQ(Names(shared), "abcde");  // reading decodes, the copy only
  EXPECT_TRUE(shared.decoded());
  EXPECT_FALSE(batch.decoded());
  EXPECT_NE(shared.wire(), nullptr);  // read-only: still the request

  Traces decoded = Make(1, 2);  // mixing in a decoded batch decodes both
  batch.Append(std::move(decoded));
  EXPECT_TRUE(batch.decoded());
  EXPECT_EQ(batch.SpanCount(), 7u);
  EXPECT_EQ(batch.wire(), nullptr);  // Make's batch has no wire form

  Traces split;
  split.SetUndecoded(split.Adopt("xyz"), 3, &DecodeOneSpanPerByte);
  Traces front = split.SplitFront(1);
  EXPECT_EQ(Names(front), "x");
  EXPECT_EQ(Names(split), "yz");
}

TEST(TracesTest, ACloneHasNoWireForm) {
  Traces a = Make(1, 2);
  a.SetWire("AA");
  Traces b = a.Clone();
  EXPECT_EQ(b.wire(), nullptr);  // not "zero bytes": it has two spans
  ASSERT_NE(a.wire(), nullptr);
  EXPECT_EQ(*a.wire(), std::vector<std::string_view>{"AA"});
}

TEST(TracesTest, ValueToStringMatchesCollectorForms) {
  EXPECT_EQ(ValueToString(AnyValue::Bool(true)), "true");
  EXPECT_EQ(ValueToString(AnyValue::Int(-42)), "-42");
  EXPECT_EQ(ValueToString(AnyValue::Bytes("hi!")), "aGkh");
  EXPECT_EQ(ValueToString(AnyValue::Bytes("h")), "aA==");
}

}  // namespace
}  // namespace polytrace
