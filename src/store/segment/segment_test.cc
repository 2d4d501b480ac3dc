#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/segment/segment_reader.h"
#include "store/segment/segment_writer.h"
#include "store/table/value_codec.h"
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

// Damages a file on disk: the bits `mask` of the byte at `offset` flipped.
void FlipBits(const std::string& path, uint64_t offset, uint8_t mask) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ mask));
}

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

// Four threads reading every row group of `reader` at once each read what
// one thread alone read (`expected`).
void ExpectFourThreadsReadAlike(const SegmentReader& reader,
                                const decltype(testing::CanonicalSpans(Traces()))& expected) {
  std::vector<decltype(testing::CanonicalSpans(Traces()))> seen(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] { seen[t] = testing::CanonicalSpans(ReadAll(reader)); });
  }
  for (auto& th : threads) th.join();
  for (const auto& s : seen) EXPECT_EQ(s, expected);
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
  auto search = (*reader)->ReadRowGroup(0, {}, kSearchColumns);
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
  auto one = (*reader)->ReadRowGroup(0, {&wanted, 1});
  ASSERT_TRUE(one.ok());
  size_t expected = std::count(full->trace_id.begin(), full->trace_id.end(), wanted);
  ASSERT_EQ(one->rows(), expected);
  for (uint32_t r = 0; r < one->rows(); ++r) EXPECT_EQ(one->trace_id[r], wanted);
}

// A thread keeps the decompressed columns of the last groups it read: a
// read of the same group reuses them, a read of another segment's group at
// the same index never does (the file at a path changes when compaction
// replaces it), and more groups than are kept still read right.
TEST_F(SegmentTest, ReadsReuseOnlyTheSameSegmentsGroup) {
  std::vector<std::shared_ptr<SegmentReader>> readers;
  std::vector<std::vector<TraceId>> first_traces;
  for (uint8_t seed = 1; seed <= 6; ++seed) {
    SpanTable table;
    table.Append(testing::MakeTraces("svc" + std::to_string(seed), 5, seed));
    std::string path = (dir_ / SegmentFileName(10 + seed)).string();
    ASSERT_TRUE(WriteSegment(path, table, SortedRowOrder(table), {}).ok());
    auto reader = SegmentReader::Open(path);
    ASSERT_TRUE(reader.ok());
    std::vector<TraceId> written;  // what group 0 must hold: the table in segment order
    for (uint32_t row : SortedRowOrder(table)) written.push_back(table.trace_id[row]);
    written.resize(std::min<size_t>(written.size(), (*reader)->footer().row_groups[0].rows));
    first_traces.push_back(written);
    readers.push_back(*reader);
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < readers.size(); ++i) {
      // A search's columns first, then every column (the hits' read).
      auto search = readers[i]->ReadRowGroup(0, {}, kSearchColumns);
      auto full = readers[i]->ReadRowGroup(0);
      ASSERT_TRUE(search.ok() && full.ok());
      EXPECT_EQ(full->trace_id, first_traces[i]) << "segment " << i << ", round " << round;
      EXPECT_EQ(full->dicts().services.Get(full->service[0]), "svc" + std::to_string(i + 1));
      EXPECT_FALSE(full->span_id[0].IsZero());
    }
  }
}

TEST_F(SegmentTest, FlippedBitIsReportedWithItsPlace) {
  SpanTable table;
  table.Append(testing::MakeKitchenSinkTraces());
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}).ok());
  FlipBits(path_, 20, 0x10);
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

// Found by fuzzing: a trailer claiming a 4 GB footer was allocated before
// anything was checked. The size must be what the footer's zstd frame says.
TEST_F(SegmentTest, TrailerSizeThatDisagreesWithTheFooterRefusesToOpen) {
  SpanTable table;
  table.Append(testing::MakeKitchenSinkTraces());
  auto size = WriteSegment(path_, table, SortedRowOrder(table), {});
  ASSERT_TRUE(size.ok());
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(*size - kSegmentTrailerSize + 12));  // raw_size
    f.write("\xf0\xff\xff\xff", 4);
  }
  auto reader = SegmentReader::Open(path_);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("footer size does not match its frame"),
            std::string::npos)
      << reader.status().message();
}

// Spans with attributes of every type and cardinality (a key with more
// values than the index keeps, so it is indexed by presence only), events
// and links, over several services, in random order of arrival. Arrays
// only `with_arrays`: a row group holding one is never ruled out by its
// dictionary, so without them the dictionaries are put to the test.
Traces MakeVariedTraces(uint64_t seed, size_t spans, bool with_arrays = true) {
  std::mt19937_64 rng(seed);
  Traces t;
  Arena& a = t.arena();
  std::vector<ScopeSpans*> scopes;
  for (const char* service : {"gateway", "auth", "payment"}) {
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(service)});
    scopes.push_back(&rs.scope_spans.Append(a));
  }
  for (size_t i = 0; i < spans; ++i) {
    size_t service = rng() % scopes.size();
    Span& s = scopes[service]->spans.Append(a);
    s.trace_id.bytes[0] = static_cast<uint8_t>(rng() % 40);
    s.trace_id.bytes[15] = 1;
    uint64_t span_id = rng();
    std::memcpy(s.span_id.bytes.data(), &span_id, 8);
    s.name = (rng() % 2) ? "GET /a" : "POST /b";
    s.kind = static_cast<SpanKind>(rng() % 6);
    s.status.code = static_cast<StatusCodeValue>(rng() % 3);
    s.start_time_unix_nano = 1'700'000'000'000'000'000ULL + rng() % 1'000'000'000;
    s.end_time_unix_nano = s.start_time_unix_nano + rng() % 50'000'000;
    Attributes& at = s.attributes;
    at.Append(a, {"user.id", AnyValue::String(a.Copy(fmt::format("u-{}", rng() % 3000)))});
    at.Append(a, {"http.route", AnyValue::String(rng() % 2 ? "/a" : "/b/{id}")});
    at.Append(a, {"http.response.status_code", AnyValue::Int(rng() % 5 ? 200 : 500)});
    if (service == 2) at.Append(a, {"card.type", AnyValue::String("visa")});  // payment's only
    if (rng() % 3 == 0) at.Append(a, {"ratio", AnyValue::Double(double(rng() % 4) / 4)});
    if (rng() % 3 == 0) at.Append(a, {"cache.hit", AnyValue::Bool(rng() % 2 == 0)});
    if (with_arrays && rng() % 7 == 0) {
      AnyValue array;
      array.type = ValueType::kArray;
      array.array_value.Append(a, AnyValue::String(rng() % 2 ? "x" : "y"));
      at.Append(a, {"tags", array});
    }
    if (rng() % 4 == 0) {
      SpanEvent& e = s.events.Append(a);
      e.time_unix_nano = s.start_time_unix_nano;
      e.name = "exception";
      e.attributes.Append(a, {"exception.type", AnyValue::String(rng() % 2 ? "Timeout" : "Oom")});
    }
    if (rng() % 9 == 0) {
      SpanLink& l = s.links.Append(a);
      l.trace_id.bytes[3] = static_cast<uint8_t>(rng());
      l.span_id.bytes[0] = 1;
    }
  }
  return t;
}

// Every pruning structure of a segment (trace ID filter, row-group ranges,
// statistics, string dictionaries, attribute index, extras probe) admits
// every row group for every value one of its spans holds: a structure that
// rules out a group holding a match is a wrong answer, not a slow one.
TEST_F(SegmentTest, PruningNeverRulesOutARowGroupHoldingAMatch) {
  // Value tables of any size: 1 byte leaves the first group's strings in
  // the tables and every later group's in a dictionary of its own.
  // Seed 2 with room for 500 postings only and nowhere to spill: the
  // writer drops them all.
  for (auto [seed, table_bytes] :
       {std::pair<uint64_t, size_t>{1, 64 << 20}, {2, 64 << 20}, {3, 64 << 20}, {1, 1}, {3, 0}}) {
    SCOPED_TRACE(fmt::format("seed {}, value tables of {} bytes", seed, table_bytes));
    size_t postings = seed == 2 ? 500 : ValueTablesWriter::kMaxPostings;
    Traces in = MakeVariedTraces(seed, 3000, /*with_arrays=*/seed != 2);
    if (seed != 2) in.Append(testing::MakeKitchenSinkTraces());
    SpanTable table;
    table.Append(in);
    ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {},
                             {.row_group_rows = 64,
                              .value_table_bytes = table_bytes,
                              .posting_block_rows = seed == 1 ? 64u : 256u,
                              .value_postings = postings,
                              .spill_postings = seed != 2})
                    .ok());
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    const SegmentReader& seg = **reader;
    auto index = seg.ReadAttributeIndex();
    ASSERT_TRUE(index.ok() && *index != nullptr);
    EXPECT_GT((*index)->indexed_keys(), 0u);
    EXPECT_LT((*index)->indexed_keys(), (*index)->keys());  // user.id: presence only
    ASSERT_TRUE(seg.Check().ok()) << seg.Check().message();
    size_t checked = 0, with_postings = 0;
    for (uint32_t g = 0; g < seg.footer().row_groups.size(); ++g) {
      const RowGroupInfo& rg = seg.footer().row_groups[g];
      auto rows = seg.ReadRowGroup(g);
      ASSERT_TRUE(rows.ok());
      const SpanTable& t = *rows;
      for (uint32_t r = 0; r < t.rows(); ++r) {
        EXPECT_TRUE(seg.MayContain(t.trace_id[r]));
        EXPECT_TRUE(rg.first_trace <= t.trace_id[r] && t.trace_id[r] <= rg.last_trace);
        EXPECT_TRUE(rg.min_start <= t.start[r] && t.end[r] <= rg.max_end);
        EXPECT_LE(t.end[r] - t.start[r], rg.max_duration);
        EXPECT_TRUE(rg.statuses & (1u << t.status[r]));
        EXPECT_TRUE(rg.kinds & (1u << t.kind[r]));
        EXPECT_EQ(ExtrasPresence(t.Extras(r)) & ~rg.extras, 0);
        EXPECT_NE(std::find(rg.services.begin(), rg.services.end(), t.service[r]),
                  rg.services.end());
        std::vector<std::pair<std::string, AnyValue>> values;
        Arena scratch;
        for (uint32_t c = t.AttrBegin(r); c < t.AttrEnd(r); ++c) {
          values.emplace_back(t.dicts().keys.Get(t.attr_key[c]), t.CellValue(c, scratch));
        }
        Span span;
        span.start_time_unix_nano = t.start[r];
        ASSERT_TRUE(DecodeSpanExtras(t.Extras(r), scratch, &span));
        for (const SpanEvent& e : span.events) {
          for (const KeyValue& kv : e.attributes) {
            values.emplace_back(kv.key, kv.value);
            auto c = (*index)->Find(kv.key, "");
            EXPECT_TRUE(std::binary_search(c.on_events.begin(), c.on_events.end(), g))
                << "index says no event of group " << g << " has " << kv.key;
          }
        }
        for (const SpanLink& l : span.links) {
          auto may = seg.ExtrasMayContain(g, l.trace_id.AsBytes());
          EXPECT_TRUE(may.ok() && *may);
        }
        const std::string service(t.dicts().services.Get(t.service[r]));
        const size_t own = t.AttrEnd(r) - t.AttrBegin(r);  // the span's; events' after
        for (size_t v = 0; v < values.size(); ++v) {
          const auto& [key, value] = values[v];
          std::string form = ValueToString(value);
          auto c = (*index)->Find(key, form);
          EXPECT_TRUE(std::binary_search(c.groups.begin(), c.groups.end(), g))
              << "index rules out group " << g << " for " << key << "=" << form;
          c = (*index)->FindForService(service, key, form);
          EXPECT_TRUE(std::binary_search(c.groups.begin(), c.groups.end(), g))
              << "index rules out group " << g << " for " << key << "=" << form << " on " << service
              << "'s spans";
          ++checked;
          if (value.type != ValueType::kString) continue;  // dictionaries hold strings only
          auto may = seg.MayHaveStringValue(g, key, form);
          EXPECT_TRUE(may.ok() && *may) << "dictionary rules out " << key << "=" << form;
          if (v >= own) continue;  // an event's: postings are of span attributes
          for (std::string_view of : {std::string_view(service), std::string_view()}) {
            auto held = seg.ValueGroups(key, form, of);
            ASSERT_TRUE(held.ok()) << held.status().message();
            if (!*held) continue;
            ++with_postings;
            EXPECT_TRUE(std::binary_search((*held)->begin(), (*held)->end(), g))
                << "value postings rule out group " << g << " for " << key << "=" << form << " on "
                << (of.empty() ? "any service" : service) << "'s spans";
          }
        }
      }
    }
    EXPECT_GT(checked, 3000u * 3);
    if (seed == 2) {
      EXPECT_EQ(with_postings, 0u);  // dropped past the writer's bound
    } else if (table_bytes > 0) {
      EXPECT_GT(with_postings, 3000u);  // user.id has postings
    }
  }
}

// Value postings (format 7) narrow a search for a varied key to the groups
// where the service's spans hold the string.
// Held in memory, or spilled to disk in many runs while written (room for
// 700 postings at a time): the same postings.
class ValuePostingsTest : public SegmentTest, public ::testing::WithParamInterface<size_t> {};
INSTANTIATE_TEST_SUITE_P(HeldOrSpilled, ValuePostingsTest,
                         ::testing::Values(ValueTablesWriter::kMaxPostings, 700));

TEST_P(ValuePostingsTest, NarrowToTheGroupsHoldingAString) {
  Traces in = MakeVariedTraces(8, 6000, /*with_arrays=*/false);
  SpanTable table;
  table.Append(in);
  // A posting per group, so the groups listed are exactly those that hold it.
  ASSERT_TRUE(
      WriteSegment(path_, table, SortedRowOrder(table), {},
                   {.row_group_rows = 64, .posting_block_rows = 64, .value_postings = GetParam()})
          .ok());
  // The spill file is unlinked from the start: nothing is left beside the segment.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  const SegmentReader& seg = **reader;
  ASSERT_TRUE(seg.Check().ok()) << seg.Check().message();
  size_t groups = seg.footer().row_groups.size();
  // Where each user is, by service, from the spans themselves.
  std::map<std::pair<std::string, std::string>, std::set<uint32_t>> where;
  for (uint32_t g = 0; g < groups; ++g) {
    auto t = seg.ReadRowGroup(g);
    ASSERT_TRUE(t.ok());
    for (uint32_t r = 0; r < t->rows(); ++r) {
      for (uint32_t c = t->AttrBegin(r); c < t->AttrEnd(r); ++c) {
        if (t->dicts().keys.Get(t->attr_key[c]) != "user.id") continue;
        std::string user(t->strings.Get(uint32_t(t->attr_value[c])));
        where[{user, std::string(t->dicts().services.Get(t->service[r]))}].insert(g);
        where[{user, ""}].insert(g);
      }
    }
  }
  size_t asked = 0;
  for (const auto& [at, expected] : where) {
    auto held = seg.ValueGroups("user.id", at.first, at.second);
    ASSERT_TRUE(held.ok() && *held);
    EXPECT_EQ(std::set<uint32_t>((*held)->begin(), (*held)->end()), expected)
        << at.first << " on " << at.second;
    ++asked;
  }
  EXPECT_GT(asked, 3000u);
  auto none = seg.ValueGroups("user.id", "u-nobody", "");
  ASSERT_TRUE(none.ok() && *none);
  EXPECT_TRUE((*none)->empty());
  auto other = seg.ValueGroups("user.id", "u-1", "no-such-service");
  ASSERT_TRUE(other.ok() && *other);
  EXPECT_TRUE((*other)->empty());
  // A route is on every group: no postings, the attribute index answers it.
  auto route = seg.ValueGroups("http.route", "/a", "");
  ASSERT_TRUE(route.ok());
  EXPECT_FALSE(*route);
  EXPECT_GT(groups, 50u);
}

// Format 8: each value-table chunk's filter admits every string of the
// chunk (a search for it would otherwise find nothing) and rules out most
// others, so a lookup decompresses about one chunk, not all before it.
TEST_F(SegmentTest, ValueChunkFiltersLeadALookupToItsChunk) {
  SpanTable table;
  table.Append(MakeVariedTraces(5, 20000, /*with_arrays=*/false));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 512}).ok());
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Check().ok()) << (*reader)->Check().message();
  const SegmentFooter& f = (*reader)->footer();
  size_t strings = 0, admitted_elsewhere = 0, elsewhere = 0;
  for (const ValueTable& t : f.value_tables) {
    if (t.chunks.size() < 2) continue;
    std::string_view key = f.dicts->keys.Get(t.key);
    for (uint32_t id = 0; id < t.values; ++id) {
      std::string_view value;
      ASSERT_TRUE((*reader)->value_tables().Get(t.key, id, &value));
      std::string copy(value);
      uint64_t h1, h2;
      BloomFilter::StringHashes(copy, &h1, &h2);
      for (size_t c = 0; c < t.chunks.size(); ++c) {
        bool own =
            id >= t.chunks[c].first && (c + 1 == t.chunks.size() || id < t.chunks[c + 1].first);
        bool admits = t.chunks[c].filter.MayContain(h1, h2);
        if (own) {
          ASSERT_TRUE(admits) << key << "=" << copy << " in chunk " << c;
        } else {
          ++elsewhere;
          admitted_elsewhere += admits ? 1 : 0;
        }
      }
      std::optional<uint32_t> found;
      ASSERT_TRUE((*reader)->value_tables().Find(t.key, copy, &found));
      ASSERT_EQ(found, std::optional<uint32_t>(id)) << key << "=" << copy;
      ++strings;
    }
  }
  EXPECT_GT(strings, 2000u);  // user IDs over several chunks
  EXPECT_GT(elsewhere, 2000u);
  EXPECT_LT(admitted_elsewhere * 25, elsewhere);  // ~2.3% false positives, under 4%
  // A string in no chunk: found nowhere.
  std::optional<uint32_t> none;
  std::optional<uint32_t> key = f.dicts->keys.Find("user.id");
  ASSERT_TRUE(key);
  ASSERT_TRUE((*reader)->value_tables().Find(*key, "u-nobody", &none));
  EXPECT_FALSE(none);
}

// Format 6 keeps a key's strings once per segment; a key whose strings do
// not repeat, and every key once the tables reach their budget, falls back
// to a dictionary per row group. Either way every span comes back.
// Value-table chunks are shared by every thread: readers on four threads
// at once read the same rows as one alone (ThreadSanitizer runs this in
// CI); warming puts a segment's chunks in the shared cache, and closing the
// segment takes them out.
TEST_F(SegmentTest, ThreadsShareValueTableChunks) {
  SpanTable table;
  table.Append(MakeVariedTraces(9, 3000, /*with_arrays=*/false));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 128}).ok());
  const size_t before = SegmentReader::SharedValueBytes();
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    ASSERT_FALSE((*reader)->footer().value_tables.empty());
    const auto expected = testing::CanonicalSpans(ReadAll(**reader));
    ExpectFourThreadsReadAlike(**reader, expected);
    EXPECT_GT(SegmentReader::SharedValueBytes(), before);
    EXPECT_EQ((*reader)->WarmValueTables(), 0u);  // every chunk already there
  }
  EXPECT_EQ(SegmentReader::SharedValueBytes(), before);
  auto reopened = SegmentReader::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_GT((*reopened)->WarmValueTables(), 0u);
  EXPECT_GT(SegmentReader::SharedValueBytes(), before);
}

// Decompressed column blocks are shared by every thread too: readers on
// four threads at once read the same rows as one alone; private reads (a
// check) neither add to nor take from the shared blocks, and a damaged
// block is reported by a check even after searches read the group; closing
// the segment takes its blocks out.
TEST_F(SegmentTest, ThreadsShareDecompressedColumns) {
  SpanTable table;
  table.Append(MakeVariedTraces(11, 3000, /*with_arrays=*/true));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 128}).ok());
  const size_t before = SegmentReader::SharedColumnBytes();
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    {
      SegmentReader::PrivateReads private_reads;
      ASSERT_TRUE((*reader)->Check().ok());
      EXPECT_EQ(SegmentReader::SharedColumnBytes(), before);
    }
    const auto expected = testing::CanonicalSpans(ReadAll(**reader));
    const size_t shared = SegmentReader::SharedColumnBytes();
    EXPECT_GT(shared, before);
    ExpectFourThreadsReadAlike(**reader, expected);
    EXPECT_EQ(SegmentReader::SharedColumnBytes(), shared);  // read once, shared since
    // The memory_limiter's reclaim empties the caches; reads go on.
    EXPECT_GE(SegmentReader::DropSharedCaches(), shared - before);
    EXPECT_EQ(SegmentReader::SharedColumnBytes(), 0u);
    EXPECT_EQ(SegmentReader::SharedValueBytes(), 0u);
    EXPECT_EQ(testing::CanonicalSpans(ReadAll(**reader)), expected);
    FlipBits(path_, 20, 0x10);  // in row group 0, which every thread read
    Status check = (*reader)->Check();
    EXPECT_NE(check.message().find("checksum mismatch in row group 0 column"), std::string::npos)
        << check.message();
  }
  EXPECT_EQ(SegmentReader::SharedColumnBytes(), 0u);
}

// Blocks the file holds as they are (a zstd frame of one raw block: random
// span IDs) are read in place from its mapping: not copied into the shared
// cache, verified on a first read (damage reported with its place) and by a
// check every time, even after reads verified them.
TEST_F(SegmentTest, BlocksStoredAsTheyAreAreReadInPlace) {
  SpanTable table;
  table.Append(MakeVariedTraces(12, 3000, /*with_arrays=*/false));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 256}).ok());
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  const auto& groups = (*reader)->footer().row_groups;
  ASSERT_GE(groups.size(), 3u);
  auto ids = (*reader)->InPlace(0, kSpanIds);
  ASSERT_TRUE(ids.ok() && *ids) << "random span IDs are not one raw zstd block";
  auto rows = (*reader)->ReadRowGroup(0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ((*ids)->size(), rows->rows() * 8);
  for (size_t i = 0; i < rows->rows(); ++i) {
    EXPECT_EQ((*ids)->substr(8 * i, 8), rows->span_id[i].AsBytes()) << "row " << i;
  }
  // A block zstd shrank is decompressed, not read in place.
  size_t raw_bytes = 0;
  for (int c = 0; c < kColumnCount; ++c) {
    const ColumnBlock& block = groups[1].columns[c];
    raw_bytes += block.raw_size;
    auto in_place = (*reader)->InPlace(1, c);
    ASSERT_TRUE(in_place.ok());
    if (block.size < block.raw_size) {
      EXPECT_FALSE(*in_place) << kColumnNames[c];
    }
  }
  const size_t before = SegmentReader::SharedColumnBytes();
  ASSERT_TRUE((*reader)->ReadRowGroup(1).ok());
  EXPECT_LE(SegmentReader::SharedColumnBytes() - before,
            raw_bytes - groups[1].columns[kSpanIds].raw_size);
  // Damage in a block no read has verified yet is found by the first read.
  const ColumnBlock& damaged = groups[2].columns[kSpanIds];
  FlipBits(path_, damaged.offset + damaged.size / 2, 0x04);
  auto read = (*reader)->ReadRowGroup(2);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("checksum mismatch in row group 2 column span_ids"),
            std::string::npos)
      << read.status().message();
  // Damage in a block reads verified is still found by a check.
  FlipBits(path_, groups[0].columns[kSpanIds].offset + 9, 0x01);
  Status check = (*reader)->Check();
  EXPECT_NE(check.message().find("checksum mismatch in row group 0 column span_ids"),
            std::string::npos)
      << check.message();
}

// The resident pages of `path`'s mappings in this process, KiB
// (/proc/self/smaps: a mapping's header line names its file, its Rss line
// follows).
static uint64_t MappedResidentKiB(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  uint64_t total = 0;
  bool ours = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.find('-') < line.find(' ') && line.find(' ') != std::string::npos &&
        std::isxdigit(static_cast<unsigned char>(line[0]))) {
      ours = line.size() >= path.size() &&
             line.compare(line.size() - path.size(), path.size(), path) == 0;
    } else if (ours && line.rfind("Rss:", 0) == 0) {
      total += std::stoull(line.substr(4));
    }
  }
  return total;
}

// Compactions and checks read every block of a segment once (under
// PrivateReads), a big trace streamed passes over many groups (under
// PassingReads): they read the file, not its mapping, whose pages would
// stay in the process's resident set while the segment is open (a 100M-span
// store's final merge held 1 GB of them). A query's read maps what it reads
// in place.
TEST_F(SegmentTest, ReadsOfEveryBlockLeaveTheMappingUntouched) {
  SpanTable table;
  table.Append(MakeVariedTraces(12, 3000, /*with_arrays=*/false));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 256}).ok());
  const std::string path = std::filesystem::absolute(path_).string();
  auto reader = SegmentReader::Open(path);
  ASSERT_TRUE(reader.ok());
  const size_t groups = (*reader)->footer().row_groups.size();
  ASSERT_GE(groups, 3u);
  EXPECT_EQ(MappedResidentKiB(path), 0u);
  {
    SegmentReader::PrivateReads compaction;
    for (size_t g = 0; g < groups; ++g) ASSERT_TRUE((*reader)->ReadRowGroup(g).ok());
    ASSERT_TRUE((*reader)->Check().ok());
  }
  EXPECT_EQ(MappedResidentKiB(path), 0u) << "a compaction's reads";
  {
    SegmentReader::PassingReads streamed;
    for (size_t g = 0; g < groups; ++g) ASSERT_TRUE((*reader)->ReadRowGroup(g).ok());
  }
  EXPECT_EQ(MappedResidentKiB(path), 0u) << "a streamed trace's reads";
  // Another reader: this thread's front holds the groups just read.
  reader = SegmentReader::Open(path);
  ASSERT_TRUE(reader.ok());
  for (size_t g = 0; g < groups; ++g) ASSERT_TRUE((*reader)->ReadRowGroup(g).ok());
  EXPECT_GT(MappedResidentKiB(path), 0u) << "a query's reads";
}

TEST_F(SegmentTest, ValueTablesKeepRepeatedStringsOnceAndGiveWayToDictionaries) {
  Traces in = MakeVariedTraces(5, 20000, /*with_arrays=*/false);
  std::set<std::string> users;
  for (ResourceSpans& rs : in.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      for (Span& s : ss.spans) {
        users.emplace(FindAttribute(s.attributes, "user.id")->string_value);
        std::string id = fmt::format("req-{}", s.span_id.ToHex());
        s.attributes.Append(in.arena(), {"request.id", AnyValue::String(in.arena().Copy(id))});
      }
    }
  }
  SpanTable table;
  table.Append(in);
  auto write = [&](size_t table_bytes) -> uint64_t {
    auto size = WriteSegment(path_, table, SortedRowOrder(table), {},
                             {.row_group_rows = 512, .value_table_bytes = table_bytes});
    EXPECT_TRUE(size.ok());
    auto reader = SegmentReader::Open(path_);
    EXPECT_TRUE(reader.ok());
    EXPECT_TRUE((*reader)->Check().ok()) << (*reader)->Check().message();
    EXPECT_EQ(testing::CanonicalSpans(ReadAll(**reader)), testing::CanonicalSpans(in));
    const SegmentFooter& f = (*reader)->footer();
    std::map<std::string, uint32_t> values;
    for (const ValueTable& t : f.value_tables)
      values[std::string(f.dicts->keys.Get(t.key))] = t.values;
    if (table_bytes == 0) {
      EXPECT_TRUE(values.empty());
    } else {
      EXPECT_EQ(values["http.route"], 2u);
      EXPECT_EQ(values["user.id"], users.size());  // each once
      // Nine in ten a string of its own: closed once judged, well before 20,000.
      EXPECT_GE(values["request.id"], ValueTablesWriter::kMinCellsToJudge);
      EXPECT_LT(values["request.id"], 20000u);
    }
    uint64_t dictionaries = 0;  // the bytes of the groups' own dictionaries
    for (const RowGroupInfo& rg : f.row_groups) dictionaries += rg.columns[kStringDict].size;
    return dictionaries;
  };
  uint64_t with_tables = write(size_t(64) << 20);
  uint64_t without = write(0);
  EXPECT_LT(with_tables * 2, without);  // only request.id's last groups keep dictionaries
}

TEST_F(SegmentTest, DamagedValueTableIsReportedWithItsPlace) {
  SpanTable table;
  table.Append(MakeVariedTraces(6, 2000));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 256}).ok());
  uint64_t offset = 0;
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    ASSERT_FALSE((*reader)->footer().value_tables.empty());
    offset = (*reader)->footer().value_tables.back().chunks[0].block.offset;
  }
  FlipBits(path_, offset + 3, 0x10);
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  Status check = (*reader)->Check();
  EXPECT_FALSE(check.ok());
  EXPECT_NE(check.message().find("checksum mismatch in value table chunk 0"), std::string::npos)
      << check.message();
  bool failed = false;  // a read that meets the chunk fails; none crashes
  for (size_t g = 0; g < (*reader)->footer().row_groups.size(); ++g) {
    failed = failed || !(*reader)->ReadRowGroup(g).ok();
  }
  EXPECT_TRUE(failed);
}

// Format 9 keeps bit-packed codes (tables of 256 strings or more) as they
// are, not compressed: their CRC is still checked, by a read and by a probe,
// and damage is reported with its place.
TEST_F(SegmentTest, DamagedPackedCodesAreReportedWithTheirPlace) {
  SpanTable table;
  table.Append(MakeVariedTraces(6, 2000, /*with_arrays=*/false));  // arrays would admit any value
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 256}).ok());
  uint64_t offset = 0;
  size_t group = 0;
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    const auto& groups = (*reader)->footer().row_groups;
    while (group < groups.size() && groups[group].columns[kAttrPacked].size == 0) ++group;
    ASSERT_LT(group, groups.size()) << "no group has bit-packed codes";
    const ColumnBlock& block = groups[group].columns[kAttrPacked];
    EXPECT_EQ(block.raw_size, block.size);
    offset = block.offset + block.size / 2;
    // Undamaged, a probe finds a user ID of the group there.
    auto rows = (*reader)->ReadRowGroup(group);
    ASSERT_TRUE(rows.ok());
    std::optional<uint32_t> key = rows->dicts().keys.Find("user.id");
    ASSERT_TRUE(key);
    std::string user;
    for (size_t i = 0; i < rows->attr_key.size() && user.empty(); ++i) {
      if (rows->attr_key[i] == *key) user = rows->strings.Get(uint32_t(rows->attr_value[i]));
    }
    auto may = (*reader)->MayHaveStringValue(group, "user.id", user);
    ASSERT_TRUE(may.ok() && *may) << user;
  }
  FlipBits(path_, offset, 0x08);
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  Status check = (*reader)->Check();
  EXPECT_FALSE(check.ok());
  std::string place = fmt::format("checksum mismatch in row group {} column attr_packed", group);
  EXPECT_NE(check.message().find(place), std::string::npos) << check.message();
  EXPECT_FALSE((*reader)->ReadRowGroup(group).ok());
  auto may = (*reader)->MayHaveStringValue(group, "user.id", "anyone");
  ASSERT_FALSE(may.ok());
  EXPECT_NE(may.status().message().find(place), std::string::npos) << may.status().message();
}

// Format 8 keeps a chunk's postings in a block of their own: damage there
// is reported with its place, and a search meeting it fails, not crashes
// and not silently finds nothing; reading the strings is unaffected.
TEST_F(SegmentTest, DamagedPostingsAreReportedWithTheirPlace) {
  SpanTable table;
  table.Append(MakeVariedTraces(8, 6000, /*with_arrays=*/false));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {},
                           {.row_group_rows = 64, .posting_block_rows = 64})
                  .ok());
  uint64_t offset = 0;
  std::string user;
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    const SegmentFooter& f = (*reader)->footer();
    std::optional<uint32_t> key = f.dicts->keys.Find("user.id");
    ASSERT_TRUE(key);
    for (const ValueTable& t : f.value_tables) {
      if (t.key != *key) continue;
      ASSERT_NE(t.postings_shift, kNoPostings);
      ASSERT_GT(t.chunks[0].postings.size, 8u);
      offset = t.chunks[0].postings.offset;
      std::string_view v;
      ASSERT_TRUE((*reader)->value_tables().Get(t.key, 0, &v));
      user = std::string(v);
    }
  }
  ASSERT_GT(offset, 0u);
  FlipBits(path_, offset + 5, 0x20);
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  Status check = (*reader)->Check();
  EXPECT_FALSE(check.ok());
  EXPECT_NE(check.message().find("postings of value table chunk 0"), std::string::npos)
      << check.message();
  EXPECT_FALSE((*reader)->ValueGroups("user.id", user, "").ok());
  for (size_t g = 0; g < (*reader)->footer().row_groups.size(); ++g) {
    EXPECT_TRUE((*reader)->ReadRowGroup(g).ok()) << g;  // strings are in their own blocks
  }
}

// A read with attribute conditions (RowPredicate::attributes) keeps every
// row whose own cells hold the value, in every type, and drops others.
TEST_F(SegmentTest, RowConditionsNeverDropARowHoldingTheValue) {
  Traces in = MakeVariedTraces(4, 2000, /*with_arrays=*/true);
  in.Append(testing::MakeKitchenSinkTraces());
  SpanTable table;
  table.Append(in);
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 64}).ok());
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  const SegmentReader& seg = **reader;
  size_t checked = 0, read = 0, kept = 0;
  for (uint32_t g = 0; g < seg.footer().row_groups.size(); ++g) {
    auto all = seg.ReadRowGroup(g);
    ASSERT_TRUE(all.ok());
    const SpanTable& t = *all;
    for (uint32_t r = 0; r < t.rows(); r += 5) {
      Arena scratch;
      for (uint32_t c = t.AttrBegin(r); c < t.AttrEnd(r); ++c) {
        std::string form = ValueToString(t.CellValue(c, scratch));
        RowPredicate rows;
        rows.attributes.push_back({t.attr_key[c], form});
        auto some = seg.ReadRowGroup(g, {}, kAllColumns, {}, &rows);
        ASSERT_TRUE(some.ok()) << some.status().message();
        bool found = false;
        for (uint32_t k = 0; k < some->rows() && !found; ++k) {
          found = some->span_id[k] == t.span_id[r] && some->trace_id[k] == t.trace_id[r];
        }
        EXPECT_TRUE(found) << "group " << g << " dropped a row holding "
                           << t.dicts().keys.Get(t.attr_key[c]) << "=" << form;
        ++checked;
        read += t.rows();
        kept += some->rows();
      }
    }
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_LT(kept, read / 2);  // the conditions do drop rows
}

// The index also rules groups out: a value absent from the segment has no
// candidates, a rare one only the groups that hold it.
TEST_F(SegmentTest, AttributeIndexNarrowsToTheGroupsHoldingAValue) {
  Traces in = MakeVariedTraces(7, 2000);
  SpanTable table;
  table.Append(in);
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 64}).ok());
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());
  auto index = (*reader)->ReadAttributeIndex();
  ASSERT_TRUE(index.ok() && *index != nullptr);
  size_t groups = (*reader)->footer().row_groups.size();
  EXPECT_TRUE((*index)->Find("http.route", "/nowhere").groups.empty());
  EXPECT_TRUE((*index)->Find("no.such.key", "x").groups.empty());
  EXPECT_EQ((*index)->Find("http.route", "/a").groups.size(), groups);
  auto timeouts = (*index)->Find("exception.type", "Timeout");
  EXPECT_TRUE(timeouts.exact);
  EXPECT_GT(timeouts.groups.size(), 0u);
  auto users = (*index)->Find("user.id", "u-17");
  EXPECT_FALSE(users.exact);  // too varied to index by value: the groups holding the key
  EXPECT_EQ(users.groups.size(), groups);
  // Per service: a value every group holds, but only on payment's spans,
  // rules out every group for the other services (version 5).
  ASSERT_TRUE((*index)->per_service());
  EXPECT_EQ((*index)->Find("card.type", "visa").groups.size(), groups);
  EXPECT_EQ((*index)->FindForService("payment", "card.type", "visa").groups.size(), groups);
  auto gateway = (*index)->FindForService("gateway", "card.type", "visa");
  EXPECT_TRUE(gateway.exact);
  EXPECT_TRUE(gateway.groups.empty());
  EXPECT_EQ((*index)->FindForService("gateway", "http.route", "/a").groups.size(), groups);
  EXPECT_TRUE((*index)->FindForService("nobody", "http.route", "/a").groups.empty());
  users = (*index)->FindForService("auth", "user.id", "u-17");
  EXPECT_FALSE(users.exact);
  EXPECT_EQ(users.groups.size(), groups);
}

// A damaged attribute index is reported with its place by the check and by
// the first search that reads it: never an answer from a wrong index.
TEST_F(SegmentTest, DamagedAttributeIndexIsReported) {
  SpanTable table;
  table.Append(MakeVariedTraces(5, 500));
  ASSERT_TRUE(WriteSegment(path_, table, SortedRowOrder(table), {}, {.row_group_rows = 64}).ok());
  uint64_t offset;
  {
    auto reader = SegmentReader::Open(path_);
    ASSERT_TRUE(reader.ok());
    ASSERT_EQ((*reader)->footer().version, kSegmentVersion);
    const ColumnBlock& index = (*reader)->footer().attribute_index;
    ASSERT_GT(index.size, 8u);
    offset = index.offset + index.size / 2;
  }
  FlipBits(path_, offset, 0x04);
  auto reader = SegmentReader::Open(path_);
  ASSERT_TRUE(reader.ok());  // the footer is intact: the index is read on first use
  Status check = (*reader)->Check();
  EXPECT_NE(check.message().find("checksum mismatch in attribute index"), std::string::npos)
      << check.message();
  auto index = (*reader)->ReadAttributeIndex();
  EXPECT_FALSE(index.ok());
}

}  // namespace
}  // namespace polytrace::store
