#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "store/segment/segment_reader.h"
#include "store/segment/segment_writer.h"
#include "testing/kitchen_sink.h"
#include "testing/traces_compare.h"
#include "testing/traces_sink.h"

namespace polytrace::store {
namespace {

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("segment_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / SegmentFileName(1)).string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

Traces ReadAll(const SegmentReader& reader) {
  Traces out;
  for (size_t g = 0; g < reader.footer().row_groups.size(); ++g) {
    auto table = reader.ReadRowGroup(g);
    EXPECT_TRUE(table.ok()) << table.status().message();
    std::vector<uint32_t> rows(table->rows());
    for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
    EXPECT_TRUE(table->Materialize(rows, &out));
  }
  return out;
}

TEST_F(SegmentTest, RoundTripsEveryFieldAcrossRowGroups) {
  Traces in = testing::MakeKitchenSinkTraces();
  for (uint8_t seed = 2; seed < 40; ++seed)
    in.Append(testing::MakeTraces("svc" + std::to_string(seed % 3), 7, seed));
  SpanTable table;
  table.Append(in);
  std::vector<uint32_t> order = SortedRowOrder(table);
  SegmentMeta meta;
  meta.id = 1;
  meta.max_wal_seq = 9;
  auto size = WriteSegment(path_, table, order, meta, {.row_group_rows = 16});
  ASSERT_TRUE(size.ok()) << size.status().message();
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_GT((*reader)->footer().row_groups.size(), 4u);
  EXPECT_EQ((*reader)->meta().spans, in.SpanCount());
  EXPECT_EQ((*reader)->meta().max_wal_seq, 9u);
  EXPECT_TRUE((*reader)->Check().ok());
  EXPECT_EQ(testing::CanonicalSpans(ReadAll(**reader)), testing::CanonicalSpans(in));
  for (const Span& s : in.resource_spans()[0].scope_spans[0].spans) {
    EXPECT_TRUE((*reader)->MayContain(s.trace_id));
  }
}

TEST_F(SegmentTest, SearchReadsDecodeOnlyTheirColumnsAndLookupsOnlyTheirTrace) {
  Traces in = testing::MakeKitchenSinkTraces();
  for (uint8_t seed = 2; seed < 12; ++seed) in.Append(testing::MakeTraces("svc", 5, seed));
  SpanTable table;
  table.Append(in);
  std::vector<uint32_t> order = SortedRowOrder(table);
  ASSERT_TRUE(WriteSegment(path_, table, order, {}).ok());
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto full = (*reader)->ReadRowGroup(0);
  auto search = (*reader)->ReadRowGroup(0, nullptr, kSearchColumns);
  ASSERT_TRUE(full.ok() && search.ok()) << search.status().message();
  ASSERT_EQ(search->rows(), full->rows());
  EXPECT_EQ(search->start, full->start);
  EXPECT_EQ(search->end, full->end);
  EXPECT_EQ(search->service, full->service);
  EXPECT_EQ(search->name, full->name);
  EXPECT_EQ(search->status, full->status);
  EXPECT_TRUE(search->attr_key.empty());  // attributes were not decoded
  EXPECT_TRUE(search->span_id[0].IsZero());
  const TraceId wanted = full->trace_id[full->rows() / 2];
  auto one = (*reader)->ReadRowGroup(0, &wanted);
  ASSERT_TRUE(one.ok());
  size_t expected = std::count(full->trace_id.begin(), full->trace_id.end(), wanted);
  ASSERT_EQ(one->rows(), expected);
  for (uint32_t r = 0; r < one->rows(); ++r) EXPECT_EQ(one->trace_id[r], wanted);
}

TEST_F(SegmentTest, FlippedBitIsReportedWithItsPlace) {
  SpanTable table;
  table.Append(testing::MakeKitchenSinkTraces());
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}).ok());
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(20);
    char c = static_cast<char>(f.get());
    f.seekp(20);
    f.put(static_cast<char>(c ^ 0x10));
  }
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  Status check = (*reader)->Check();
  EXPECT_FALSE(check.ok());
  EXPECT_NE(check.message().find("checksum mismatch in row group 0 column"), std::string::npos)
      << check.message();
}

TEST_F(SegmentTest, DamagedFooterRefusesToOpen) {
  SpanTable table;
  table.Append(testing::MakeKitchenSinkTraces());
  auto size = WriteSegment(path_, table, SortedRowOrder(table), {});
  ASSERT_TRUE(size.ok());
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(*size - kSegmentTrailerSize - 3));
    f.put('\x7f');
  }
  auto reader = SegmentReader::Open(path_);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("footer checksum mismatch"), std::string::npos)
      << reader.status().message();
}

}  // namespace
}  // namespace polytrace::store
