#include "store/table/span_table.h"

#include <gtest/gtest.h>

#include <numeric>

#include "testing/kitchen_sink.h"
#include "testing/traces_compare.h"
#include "testing/traces_sink.h"

namespace polytrace::store {
namespace {

std::vector<uint32_t> AllRows(const SpanTable& t) {
  std::vector<uint32_t> rows(t.rows());
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

TEST(SpanTable, MaterializesEveryFieldOfTheKitchenSink) {
  Traces in = testing::MakeKitchenSinkTraces();
  SpanTable table;
  table.Append(in);
  ASSERT_EQ(table.rows(), in.SpanCount());
  Traces out;
  ASSERT_TRUE(table.Materialize(AllRows(table), &out));
  EXPECT_EQ(testing::CanonicalSpans(out), testing::CanonicalSpans(in));
}

TEST(SpanTable, CopiesRowsBetweenTablesWithDifferentDictionaries) {
  Traces in = testing::MakeKitchenSinkTraces();
  SpanTable first, second;
  first.Append(testing::MakeTraces("other", 3));
  first.Append(in);
  for (uint32_t row = 3; row < first.rows(); ++row) second.AppendRowFrom(first, row);
  Traces out;
  ASSERT_TRUE(second.Materialize(AllRows(second), &out));
  EXPECT_EQ(testing::CanonicalSpans(out), testing::CanonicalSpans(in));
}

TEST(SpanTable, RecordsUnknownServiceWhenTheResourceHasNone) {
  Traces in = testing::MakeTraces("", 1);
  in.resource_spans()[0].resource.attributes = {};
  SpanTable table;
  table.Append(in);
  EXPECT_EQ(table.dicts().services.Get(table.service[0]), kUnknownService);
}

// The deepest value the OTLP decoders accept must come back from the store:
// the codec once refused levels 34-64, and such spans became unreadable.
TEST(SpanTable, KeepsValuesNestedAsDeepAsTheDecodersAccept) {
  Traces in = testing::MakeTraces("deep", 1);
  Arena& arena = in.arena();
  AnyValue value = AnyValue::String("leaf");
  for (int level = 1; level < kMaxAnyValueDepth; ++level) {
    AnyValue outer;
    outer.type = level % 2 ? ValueType::kKvList : ValueType::kArray;
    if (outer.type == ValueType::kKvList) {
      outer.kvlist_value.Append(arena, KeyValue{"k", value});
    } else {
      outer.array_value.Append(arena) = value;
    }
    value = outer;
  }
  in.resource_spans()[0].scope_spans[0].spans[0].attributes.Append(arena, KeyValue{"deep", value});
  SpanTable table;
  table.Append(in);
  Traces out;
  ASSERT_TRUE(table.Materialize(AllRows(table), &out));
  EXPECT_EQ(testing::CanonicalSpans(out), testing::CanonicalSpans(in));
}

}  // namespace
}  // namespace polytrace::store
