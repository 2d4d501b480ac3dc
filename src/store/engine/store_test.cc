#include "store/engine/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "store/engine/head_block.h"
#include "store/engine/store_inspector.h"
#include "store/format/file_util.h"
#include "store/segment/segment_reader.h"
#include "store/segment/segment_writer.h"
#include "store/table/value_codec.h"
#include "testing/kitchen_sink.h"
#include "testing/traces_compare.h"
#include "testing/traces_sink.h"

// Filters below name only the fields they set (designated initializers).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace polytrace::store {
namespace {

// Waits for the wall clock itself (retention counts from it), not for an event.
void wait_until_clock(uint64_t unix_nanos) {
  while (UnixNanosNow() < unix_nanos) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::shared_ptr<spdlog::logger> NullLogger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// One span; `parent` may be zero.
Traces OneSpan(std::string_view service, const TraceId& trace, uint8_t span, uint8_t parent,
               std::string_view name, uint64_t start, uint64_t duration) {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String(a.Copy(service))});
  rs.resource.attributes.Append(a, {"host.name", AnyValue::String("h1")});
  Span& s = rs.scope_spans.Append(a).spans.Append(a);
  s.trace_id = trace;
  s.span_id.bytes[7] = span;
  s.parent_span_id.bytes[7] = parent;
  s.name = a.Copy(name);
  s.kind = parent == 0 ? SpanKind::kServer : SpanKind::kClient;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + duration;
  s.attributes.Append(a, {"http.status_code", AnyValue::Int(200 + span)});
  SpanEvent& e = s.events.Append(a);
  e.name = "log";
  e.attributes.Append(a, {"event.id", AnyValue::String(a.Copy("e" + std::to_string(span)))});
  return t;
}

TraceId Tid(uint8_t n) {
  TraceId id;
  id.bytes[0] = n;
  id.bytes[15] = 0xab;
  return id;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.directory = dir_.string();
    options_.fsync = FsyncPolicy::kNever;
    options_.maintenance_interval = std::chrono::hours(1);  // tests drive maintenance
    options_.retention_max_age = std::chrono::milliseconds(0);
    options_.row_group_rows = 4;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    auto store = Store::Open(options_, NullLogger());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  size_t SpansOf(const TraceId& id) {
    auto t = store_->GetTrace(id);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? t->SpanCount() : 0;
  }

  void ExpectOlderFormatReadable(const std::string& fixture, int version);

  std::filesystem::path dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, SpansAreReadableFromTheHeadAndAfterSealing) {
  Open();
  Traces in = testing::MakeKitchenSinkTraces();
  ASSERT_TRUE(store_->Append(in).ok());
  const TraceId id = in.resource_spans()[0].scope_spans[0].spans[0].trace_id;
  auto expected = [&] {
    Traces only;
    for (const ResourceSpans& rs : in.resource_spans()) {
      for (const ScopeSpans& ss : rs.scope_spans) {
        for (const Span& s : ss.spans) {
          if (s.trace_id != id) continue;
          ResourceSpans& r = only.resource_spans().Append(only.arena(), rs);
          r.scope_spans = {};
          ScopeSpans& sc = r.scope_spans.Append(only.arena(), ss);
          sc.spans = {};
          sc.spans.Append(only.arena(), s);
        }
      }
    }
    return testing::CanonicalSpans(only);
  }();
  auto from_head = store_->GetTrace(id);
  ASSERT_TRUE(from_head.ok());
  EXPECT_EQ(testing::CanonicalSpans(*from_head), expected);
  ASSERT_TRUE(store_->SealHead().ok());
  EXPECT_EQ(store_->Stats().segments, 1u);
  EXPECT_EQ(store_->Stats().head_spans, 0u);
  auto from_segment = store_->GetTrace(id);
  ASSERT_TRUE(from_segment.ok());
  EXPECT_EQ(testing::CanonicalSpans(*from_segment), expected);
}

// `store stats` says where the bytes go, compressed and decompressed, per
// column: span IDs are stored as they are (eight bytes a span either way),
// and the decompressed bytes of every column add up to what reading every
// row group holds.
TEST_F(StoreTest, DirectoryStatsGiveEachColumnsBytesCompressedAndNot) {
  Open();
  ASSERT_TRUE(store_->Append(testing::MakeKitchenSinkTraces()).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  store_.reset();
  Result<DirectoryStats> stats = InspectStoreDirectory(dir_.string());
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  ASSERT_EQ(stats->column_raw_bytes.size(), stats->column_bytes.size());
  std::map<std::string, uint64_t> raw(stats->column_raw_bytes.begin(),
                                      stats->column_raw_bytes.end());
  EXPECT_EQ(raw["span_ids"], 8 * stats->segment_spans);
  uint64_t total = 0;
  for (const auto& [name, bytes] : stats->column_raw_bytes) total += bytes;
  uint64_t read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "segments")) {
    auto reader = SegmentReader::Open(entry.path().string());
    ASSERT_TRUE(reader.ok());
    for (const RowGroupInfo& rg : (*reader)->footer().row_groups) {
      for (const ColumnBlock& c : rg.columns) read += c.raw_size;
    }
    for (const ValueTable& t : (*reader)->footer().value_tables) {
      for (const ValueChunk& c : t.chunks) read += c.block.raw_size;
    }
    read += (*reader)->footer().attribute_index.raw_size;
  }
  EXPECT_EQ(total, read);
  EXPECT_GT(total, 0u);
}

// GetTraces reads the traces of one row group in one pass: each answer is
// what GetTrace gives for that ID, in the order asked, absent and repeated
// IDs included, from a head, from segments and from both at once.
TEST_F(StoreTest, GetTracesAnswersAsGetTraceDoesForEachId) {
  options_.row_group_rows = 16;
  Open();
  for (uint8_t t = 1; t <= 40; ++t) {
    for (uint8_t s = 1; s <= 3; ++s) {
      ASSERT_TRUE(
          store_->Append(OneSpan("svc", Tid(t), s, s == 1 ? 0 : 1, "op", 1000 * t + s, 10)).ok());
    }
    if (t == 25) {  // traces 1-25 in a segment, the rest in the head
      ASSERT_TRUE(store_->SealHead().ok());
    }
  }
  // Trace 3 in both places.
  ASSERT_TRUE(store_->Append(OneSpan("svc", Tid(3), 9, 1, "late", 99'000, 10)).ok());
  std::vector<TraceId> asked = {Tid(7), Tid(3), Tid(200), Tid(7), Tid(30), Tid(1), Tid(25)};
  for (int round = 0; round < 2; ++round) {
    auto batch = store_->GetTraces(asked);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    ASSERT_EQ(batch->size(), asked.size());
    for (size_t i = 0; i < asked.size(); ++i) {
      auto one = store_->GetTrace(asked[i]);
      ASSERT_TRUE(one.ok());
      EXPECT_EQ(testing::CanonicalSpans((*batch)[i]), testing::CanonicalSpans(*one)) << i;
    }
    EXPECT_EQ((*batch)[1].SpanCount(), 4u);  // three sealed, one in the head
    EXPECT_EQ((*batch)[2].SpanCount(), 0u);  // never stored
    // A span budget: the asked traces hold 3 + 4 + 0 + 3 + 3 + 3 + 3 = 19
    // spans; one fewer is refused before the spans are made.
    auto within = store_->GetTraces(asked, nullptr, 19);
    ASSERT_TRUE(within.ok()) << within.status().message();
    EXPECT_EQ((*within)[1].SpanCount(), 4u);
    auto over = store_->GetTraces(asked, nullptr, 18);
    EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted) << round;
    ASSERT_TRUE(store_->SealHead().ok());  // round 2: all in segments
  }
}

// A trace that arrived in many batches is gathered into one entry per
// origin with each span copied once: appended piece by piece, its spans
// were copied again at every piece (quadratic: a million-span trace asked
// by ID took 24 GB, and the kernel killed the process).
TEST_F(StoreTest, ATraceFromManyBatchesIsGatheredInLinearMemory) {
  Open();
  constexpr int kBatches = 2000;
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_TRUE(store_->Append(OneSpan("svc", Tid(1), uint8_t(i), 0, "op", 1000 + i, 10)).ok());
  }
  for (int round = 0; round < 2; ++round) {  // from the head, then from a segment
    Result<Traces> trace = store_->GetTrace(Tid(1));
    ASSERT_TRUE(trace.ok());
    ASSERT_EQ(trace->SpanCount(), size_t(kBatches));
    ASSERT_EQ(trace->resource_spans().size(), 1u);
    // Each span holds a few strings, an attribute and an event: well under
    // 2 KiB of arena a span, where copying at every piece took ~200 KiB.
    EXPECT_LT(trace->arena().bytes_allocated(), size_t(kBatches) * 2048) << round;
    ASSERT_TRUE(store_->SealHead().ok());
  }
}

// A search for a value of a varied key (a user ID, one per trace) reads the
// traces it finds whole and keeps them (SearchReads); fetched through them,
// each is what a fresh read gives: every span, of every tier.
TEST_F(StoreTest, TracesASearchReadWholeAreFetchedAsReadAfresh) {
  options_.row_group_rows = 16;
  Open();
  auto id_of = [](int t) {
    TraceId id;
    id.bytes[0] = uint8_t(t >> 8);
    id.bytes[1] = uint8_t(t);
    id.bytes[15] = 0xcd;
    return id;
  };
  auto with_user = [](Traces t, int user) {
    for (ResourceSpans& rs : t.resource_spans()) {
      for (ScopeSpans& ss : rs.scope_spans) {
        for (Span& s : ss.spans) {
          s.attributes.Append(
              t.arena(), {"user.id", AnyValue::String(t.arena().Copy(fmt::format("u-{}", user)))});
        }
      }
    }
    return t;
  };
  constexpr int kTraces = 400;  // a user per trace: too varied to index by value
  for (int t = 0; t < kTraces; ++t) {
    uint64_t start = 1'000'000 + uint64_t(t) * 1000;
    ASSERT_TRUE(
        store_->Append(with_user(OneSpan("gw", id_of(t), 1, 0, "GET /", start, 50), t)).ok());
    ASSERT_TRUE(
        store_->Append(with_user(OneSpan("auth", id_of(t), 2, 1, "check", start + 1, 9), t)).ok());
    ASSERT_TRUE(store_->Append(OneSpan("db", id_of(t), 3, 2, "select", start + 2, 5)).ok());
  }
  ASSERT_TRUE(store_->SealHead().ok());
  // A late span of trace 123 in the head: the fetch must still find it.
  ASSERT_TRUE(store_->Append(OneSpan("db", id_of(123), 4, 2, "late", 9'000'000, 5)).ok());
  size_t kept = 0;
  for (int user : {0, 5, 123, 250, 399}) {
    SpanFilter filter;
    filter.service = "gw";
    filter.tags.emplace_back("user.id", fmt::format("u-{}", user));
    SearchReads reads;
    auto hits = store_->FindTraces(filter, 20, &reads);
    ASSERT_TRUE(hits.ok()) << hits.status().message();
    ASSERT_EQ(hits->size(), 1u) << user;
    EXPECT_EQ(hits->front().trace_id, id_of(user));
    kept += reads.size();
    std::vector<TraceId> ids = TraceIdsOf(*hits);
    auto through = store_->GetTraces(ids, &reads);
    auto fresh = store_->GetTraces(ids);
    ASSERT_TRUE(through.ok() && fresh.ok());
    EXPECT_EQ(testing::CanonicalSpans(through->front()), testing::CanonicalSpans(fresh->front()));
    EXPECT_EQ(through->front().SpanCount(), user == 123 ? 4u : 3u) << user;
  }
  EXPECT_GE(kept, 5u);  // each search read its trace's group whole
}

// A head's summary of its attributes rules out a search no row can match
// (by key, type, int range, string, per service), never one a row matches.
TEST(TagSummaryTest, RulesOutOnlyWhatNoRowHolds) {
  HeadBlock head;
  head.Append(OneSpan("a", Tid(1), 1, 0, "op", 1000, 10), 1);  // http.status_code 201
  head.Append(OneSpan("b", Tid(1), 5, 1, "op", 2000, 10), 2);  // 205
  auto possible = [&](std::string service, std::string key, std::string value) {
    SpanFilter filter;
    filter.service = std::move(service);
    filter.tags.emplace_back(std::move(key), std::move(value));
    return SpanMatcher(filter, head.table(), &head.tag_summary()).Possible();
  };
  EXPECT_TRUE(possible("", "http.status_code", "201"));
  EXPECT_TRUE(possible("a", "http.status_code", "201"));
  EXPECT_FALSE(possible("b", "http.status_code", "201"));  // only a's span has it
  EXPECT_TRUE(possible("b", "http.status_code", "205"));
  EXPECT_FALSE(possible("", "http.status_code", "500"));  // outside every span's range
  EXPECT_FALSE(possible("", "no.such.key", "1"));
  EXPECT_TRUE(possible("", "event.id", "e1"));   // event fields: not ruled out
  EXPECT_TRUE(possible("", "host.name", "h1"));  // a resource attribute
  EXPECT_FALSE(possible("", "http.status_code", "two hundred"));
}

// The head's per-block filters admit every cell a block's rows hold, in
// every type (a block ruled out that holds a match is a wrong answer), and
// rule out most blocks for a value only one row has.
TEST(TagSummaryTest, BlocksAdmitEveryCellTheirRowsHold) {
  HeadBlock head;
  constexpr uint32_t kRows = TagSummary::kBlockRows * 3 + 100;
  Traces batch;
  Arena& a = batch.arena();
  ResourceSpans& rs = batch.resource_spans().Append(a);
  rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("svc")});
  ScopeSpans& ss = rs.scope_spans.Append(a);
  for (uint32_t i = 0; i < kRows; ++i) {
    Span& s = ss.spans.Append(a);
    s.trace_id.bytes[0] = uint8_t(i);
    s.trace_id.bytes[1] = uint8_t(i >> 8);
    s.span_id.bytes[0] = 1;
    s.name = "op";
    s.start_time_unix_nano = 1000 + i;
    s.end_time_unix_nano = 2000 + i;
    s.attributes.Append(a, {"user.id", AnyValue::String(a.Copy(fmt::format("u-{}", i)))});
    s.attributes.Append(a, {"n", AnyValue::Int(int64_t(i) * 7 - 3000)});
    s.attributes.Append(a, {"flag", i % 3 == 0 ? AnyValue::Bool(true) : AnyValue::Bool(false)});
    if (i % 1000 == 7) s.attributes.Append(a, {"ratio", AnyValue::Double(i / 3.0)});
  }
  head.Append(batch, 1);
  ASSERT_EQ(head.tag_summary().blocks.size(), 4u);
  const SpanTable& t = head.table();
  auto block_possible = [&](std::string key, std::string value, uint32_t block) {
    SpanFilter filter;
    filter.tags.emplace_back(std::move(key), std::move(value));
    return SpanMatcher(filter, t, &head.tag_summary()).BlockPossible(block);
  };
  for (uint32_t row = 0; row < t.rows(); ++row) {
    for (uint32_t c = t.AttrBegin(row); c < t.AttrEnd(row); ++c) {
      Arena scratch;
      std::string key(t.dicts().keys.Get(t.attr_key[c]));
      std::string value = ValueToString(t.CellValue(c, scratch));
      ASSERT_TRUE(block_possible(key, value, row / TagSummary::kBlockRows))
          << key << "=" << value << " in row " << row;
    }
  }
  size_t admitted = 0;
  for (uint32_t i = 0; i < kRows; i += 97) {
    for (uint32_t b = 0; b < 4; ++b) {
      if (b != i / TagSummary::kBlockRows)
        admitted += block_possible("user.id", fmt::format("u-{}", i), b);
    }
  }
  EXPECT_LT(admitted, 3 * (kRows / 97) / 5);  // ~5% of the other blocks
  // A search finds the one row (HitCollector skips the other blocks).
  SpanFilter filter;
  filter.tags.emplace_back("user.id", "u-9000");
  SpanMatcher matcher(filter, t, &head.tag_summary());
  uint32_t found = 0;
  for (uint32_t row = 0; row < t.rows(); ++row) found += matcher.Matches(row) ? 1 : 0;
  EXPECT_EQ(found, 1u);
  EXPECT_TRUE(matcher.BlockPossible(9000 / TagSummary::kBlockRows));
}

// A trace comes back in one shape whichever tiers hold it: one entry per
// resource, spans by start. Before OrderTrace, the spans still in the head
// came back first, in arrival order, under a resource entry of their own.
TEST_F(StoreTest, ATraceHasTheSameShapeFromEveryTier) {
  Open();
  auto shape = [&] {
    auto got = store_->GetTrace(Tid(1));
    EXPECT_TRUE(got.ok());
    std::vector<std::string> out;
    for (const ResourceSpans& rs : got->resource_spans()) {
      out.push_back("resource " + std::string(rs.resource.attributes[0].value.string_value));
      for (const ScopeSpans& ss : rs.scope_spans) {
        for (const Span& sp : ss.spans) out.push_back(std::string(sp.name));
      }
    }
    return out;
  };
  // Arrival order differs from start order, and the trace spans a seal.
  ASSERT_TRUE(store_->Append(OneSpan("b", Tid(1), 3, 1, "b-late", 3'000, 10)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 1, 0, "a-root", 1'000, 9'000)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->Append(OneSpan("b", Tid(1), 2, 1, "b-early", 2'000, 10)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 4, 1, "a-last", 4'000, 10)).ok());
  const std::vector<std::string> want = {"resource a", "a-root",  "a-last",
                                         "resource b", "b-early", "b-late"};
  EXPECT_EQ(shape(), want) << "segment + head";
  ASSERT_TRUE(store_->SealHead().ok());
  EXPECT_EQ(shape(), want) << "two segments";
  ASSERT_TRUE(store_->CompactAllWindows().ok());
  EXPECT_EQ(shape(), want) << "compacted";
  Open();
  EXPECT_EQ(shape(), want) << "reopened";
}

// "inf", "-inf" and "nan" are doubles' string forms too: a sealed group
// whose string dictionary lacks them still holds a match (found by the
// differential test: a value that did not look like a number was pruned).
TEST_F(StoreTest, NonFiniteDoublesAreFoundAfterSealing) {
  Open();
  const double values[] = {std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN()};
  for (uint8_t i = 0; i < 3; ++i) {
    Traces t = OneSpan("svc", Tid(i + 1), 1, 0, "op", 1000, 10);
    Span& s = t.resource_spans()[0].scope_spans[0].spans[0];
    s.attributes.Append(t.arena(), {"score", AnyValue::Double(values[i])});
    ASSERT_TRUE(store_->Append(t).ok());
  }
  // Enough other values that the index keeps `score` by presence only, and
  // a group's dictionary is what is left to look into.
  for (int i = 0; i < 400; ++i) {
    Traces t = OneSpan("svc", Tid(10), uint8_t(i), 0, "op", 2000 + i, 10);
    t.resource_spans()[0].scope_spans[0].spans[0].attributes.Append(
        t.arena(), {"score", AnyValue::Double(i + 0.5)});
    ASSERT_TRUE(store_->Append(t).ok());
  }
  for (int sealed = 0; sealed < 2; ++sealed) {
    for (const char* form : {"inf", "-inf", "nan"}) {
      SpanFilter filter;
      filter.tags.push_back({"score", form});
      auto hits = store_->FindTraces(filter, 10);
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ(hits->size(), 1u) << form << (sealed ? " sealed" : " in the head");
    }
    ASSERT_TRUE(store_->SealHead().ok());
  }
}

TEST_F(StoreTest, ReplaysTheWalAfterACrashAndTruncatesATornTail) {
  options_.seal_on_close = false;
  Open();
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 1, 0, "op", 1000, 10)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 2, 1, "op", 1001, 5)).ok());
  store_.reset();  // no seal: the spans live only in the WAL
  auto wal_files = ListWalFiles(dir_.string() + "/wal");
  ASSERT_FALSE(wal_files.empty());
  std::string wal = dir_.string() + "/wal/" + WalFileName(wal_files.front());
  ASSERT_TRUE(TruncateFile(wal, std::filesystem::file_size(wal) - 2).ok());  // torn last record
  Open();
  EXPECT_EQ(SpansOf(Tid(1)), 1u);
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 3, 1, "op", 1002, 5)).ok());
  store_.reset();
  Open();
  EXPECT_EQ(SpansOf(Tid(1)), 2u);
}

// The WAL writes a batch's wire form when it has one; a batch changed after
// decoding (a resource processor's upsert) must be logged as changed.
TEST_F(StoreTest, WalLogsTheWireFormOnlyOfUnchangedBatches) {
  options_.seal_on_close = false;
  Open();
  std::string request = otlp::EncodeTracesProto(OneSpan("as-sent", Tid(1), 1, 0, "op", 1000, 10));
  Traces unchanged;
  std::string_view bytes = unchanged.Adopt(request);
  ASSERT_TRUE(otlp::DecodeTracesProto(bytes, &unchanged).ok());
  unchanged.SetWire(bytes);
  ASSERT_TRUE(store_->Append(unchanged).ok());

  Traces changed;
  bytes = changed.Adopt(request);
  ASSERT_TRUE(otlp::DecodeTracesProto(bytes, &changed).ok());
  changed.SetWire(bytes);
  changed.resource_spans()[0].resource.attributes[0].value = AnyValue::String("upserted");
  changed.resource_spans()[0].scope_spans[0].spans[0].trace_id = Tid(2);
  ASSERT_TRUE(store_->Append(changed).ok());

  store_.reset();  // no seal: what is read back comes from the WAL
  Open();
  auto first = store_->GetTrace(Tid(1));
  auto second = store_->GetTrace(Tid(2));
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ(first->SpanCount(), 1u);
  ASSERT_EQ(second->SpanCount(), 1u);
  EXPECT_EQ(ServiceNameOf(first->resource_spans()[0].resource), "as-sent");
  EXPECT_EQ(ServiceNameOf(second->resource_spans()[0].resource), "upserted");
}

TEST_F(StoreTest, SecondProcessOnTheSameDirectoryIsRefused) {
  Open();
  auto second = Store::Open(options_, NullLogger());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another polytrace process"),
            std::string::npos);
}

TEST_F(StoreTest, SearchMatchesJaegerSemantics) {
  Open();
  // trace 1: a/root (100ns) -> b/child; trace 2: a/root (50ns) later.
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 1, 0, "root", 1000, 100)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("b", Tid(1), 2, 1, "child", 1010, 20)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(2), 1, 0, "root", 5000, 50)).ok());
  auto ids = [&](SpanFilter f, size_t limit = 10) {
    std::vector<TraceId> out;
    auto hits = store_->FindTraces(f, limit);
    EXPECT_TRUE(hits.ok());
    for (const TraceHit& h : *hits) out.push_back(h.trace_id);
    return out;
  };
  using V = std::vector<TraceId>;
  EXPECT_EQ(ids({.service = "a"}), (V{Tid(2), Tid(1)}));  // newest first
  EXPECT_EQ(ids({.service = "a"}, 1), (V{Tid(2)}));
  EXPECT_EQ(ids({.service = "b"}), (V{Tid(1)}));
  EXPECT_EQ(ids({.service = "a", .operation = "child"}), V{});
  EXPECT_EQ(ids({.service = "nope"}), V{});
  EXPECT_EQ(ids({.service = "a", .min_duration_nanos = 60}), (V{Tid(1)}));
  EXPECT_EQ(ids({.service = "a", .max_duration_nanos = 60}), (V{Tid(2)}));
  EXPECT_EQ(ids({.tags = {{"http.status_code", "202"}}}), (V{Tid(1)}));          // span attribute
  EXPECT_EQ(ids({.service = "b", .tags = {{"host.name", "h1"}}}), (V{Tid(1)}));  // resource
  EXPECT_EQ(ids({.tags = {{"event.id", "e2"}}}), (V{Tid(1)}));                   // event field
  EXPECT_EQ(ids({.tags = {{"event.id", "e9"}}}), V{});
  EXPECT_EQ(ids({.start_min_nanos = 2000}), (V{Tid(2)}));
  EXPECT_EQ(ids({.start_max_nanos = 2000}), (V{Tid(1)}));
  EXPECT_EQ(store_->Services(), (std::vector<std::string>{"a", "b"}));
  auto ops = store_->Operations("a");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].name, "root");
  EXPECT_EQ(ops[0].kind, SpanKind::kServer);
  auto deps = store_->Dependencies(0, UINT64_MAX);
  ASSERT_TRUE(deps.ok());
  ASSERT_EQ(deps->size(), 1u);
  EXPECT_EQ((*deps)[0].parent, "a");
  EXPECT_EQ((*deps)[0].child, "b");
  EXPECT_EQ((*deps)[0].call_count, 1u);
}

// A span whose clock is skewed ends before it starts. A search by its start,
// for a time after its end, finds it in a segment as in the head: row
// groups record their latest start (format 11; before, their latest end
// stood for it and ruled the group out).
TEST_F(StoreTest, ASkewedSpanIsFoundByItsStartOnceSealed) {
  Open();
  Traces skewed = OneSpan("a", Tid(1), 1, 0, "root", 5'000, 0);
  skewed.resource_spans()[0].scope_spans[0].spans[0].end_time_unix_nano = 4'000;
  ASSERT_TRUE(store_->Append(skewed).ok());
  const SpanFilter after_its_end{.start_min_nanos = 4'500, .start_max_nanos = 6'000};
  for (SearchOrder order : {SearchOrder::kNewest, SearchOrder::kFirstFound}) {
    auto hits = store_->FindTraces(after_its_end, 10, nullptr, order);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 1u) << "in the head";
  }
  ASSERT_TRUE(store_->SealHead().ok());
  for (SearchOrder order : {SearchOrder::kNewest, SearchOrder::kFirstFound}) {
    auto hits = store_->FindTraces(after_its_end, 10, nullptr, order);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 1u) << "in a segment";
  }
}

TEST_F(StoreTest, CompactionGathersATraceAndSurvivesACrashMidSwap) {
  Open();
  for (uint8_t span = 1; span <= 3; ++span) {
    ASSERT_TRUE(store_
                    ->Append(OneSpan("svc" + std::to_string(span), Tid(7), span, span - 1, "op",
                                     1000 + span, 10))
                    .ok());
    ASSERT_TRUE(store_->SealHead().ok());
  }
  EXPECT_EQ(store_->Stats().segments, 3u);
  // Keep copies of the inputs, as if the process died before deleting them.
  std::filesystem::create_directories(dir_ / "saved");
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "segments")) {
    std::filesystem::copy(e.path(), dir_ / "saved" / e.path().filename());
  }
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->Stats().segments, 1u);
  EXPECT_EQ(SpansOf(Tid(7)), 3u);
  store_.reset();
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "saved")) {
    std::filesystem::copy(e.path(), dir_ / "segments" / e.path().filename());
  }
  Open();
  EXPECT_EQ(store_->Stats().segments, 1u);
  EXPECT_EQ(SpansOf(Tid(7)), 3u);  // exactly once, not four or six times
}

// `count` spans of trace `trace`, IDs from `first`, over three services,
// each with its parent the span a quarter of its ID (a wide tree).
Traces SpanRange(const TraceId& trace, uint64_t first, uint64_t count) {
  Traces t;
  Arena& a = t.arena();
  for (uint64_t i = first; i < first + count; ++i) {
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(
        a, {kServiceNameKey, AnyValue::String(a.Copy("svc" + std::to_string(i % 3)))});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.trace_id = trace;
    for (int b = 0; b < 8; ++b) s.span_id.bytes[b] = uint8_t((i + 1) >> (56 - 8 * b));
    for (int b = 0; b < 8; ++b) s.parent_span_id.bytes[b] = uint8_t((i / 4) >> (56 - 8 * b));
    s.name = a.Copy("op" + std::to_string(i % 7));
    s.start_time_unix_nano = 1'000'000 + i * 10;
    s.end_time_unix_nano = s.start_time_unix_nano + 5;
    s.attributes.Append(a, {"i", AnyValue::Int(int64_t(i))});
  }
  return t;
}

// A trace read a piece at a time holds exactly what GetTrace returns, from
// every tier at once, and what the store held when the reader was made:
// spans appended later are not read, and segments compacted away meanwhile
// still are.
// A big trace streamed passes over its row groups once: its column blocks
// are not added to the shared cache (they would push out what searches
// use, and hold 64 MiB as the answer's own); a small trace's are.
TEST_F(StoreTest, ABigTraceStreamedLeavesTheSharedColumnCacheAlone) {
  Open();
  ASSERT_TRUE(store_->Append(SpanRange(Tid(9), 0, 400)).ok());  // 100 groups of 4
  ASSERT_TRUE(store_->Append(OneSpan("small", Tid(1), 1, 0, "root", 5, 1)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  const size_t before = SegmentReader::SharedColumnBytes();
  std::unique_ptr<TraceReader> reader = store_->ReadTrace(Tid(9), 64);
  Traces piece;
  size_t spans = 0;
  for (;;) {
    Result<bool> more = reader->Next(&piece);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    spans += piece.SpanCount();
  }
  EXPECT_EQ(spans, 400u);
  EXPECT_EQ(SegmentReader::SharedColumnBytes(), before);
  std::unique_ptr<TraceReader> small = store_->ReadTrace(Tid(1), 64);
  ASSERT_TRUE(small->Next(&piece).ok());
  EXPECT_EQ(piece.SpanCount(), 1u);
  EXPECT_GT(SegmentReader::SharedColumnBytes(), before);
}

TEST_F(StoreTest, TraceReaderReadsEveryTierInBoundedPieces) {
  Open();
  ASSERT_TRUE(store_->Append(SpanRange(Tid(9), 0, 1200)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("other", Tid(2), 1, 0, "x", 5, 1)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->Append(SpanRange(Tid(9), 1200, 800)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->Append(SpanRange(Tid(9), 2000, 500)).ok());  // stays in the head
  ASSERT_TRUE(store_->Append(OneSpan("small", Tid(1), 1, 0, "root", 5, 1)).ok());
  Result<Traces> whole = store_->GetTrace(Tid(9));
  ASSERT_TRUE(whole.ok());
  ASSERT_EQ(whole->SpanCount(), 2500u);

  constexpr size_t kPiece = 256;
  std::unique_ptr<TraceReader> reader = store_->ReadTrace(Tid(9), kPiece);
  ASSERT_TRUE(store_->Append(SpanRange(Tid(9), 2500, 100)).ok());  // after the reader: not read
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->CompactAllWindows().ok());  // the reader's segment files are deleted

  std::multiset<std::string> read;
  size_t pieces = 0;
  uint64_t previous_last = 0;
  Traces piece;
  for (;;) {
    Result<bool> more = reader->Next(&piece);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
    ++pieces;
    EXPECT_GT(piece.SpanCount(), 0u);
    // A head's rows are cut at the piece size; a row group is read whole (it
    // holds up to twice the target: cut at the end of a trace).
    EXPECT_LT(piece.SpanCount(), kPiece + 2 * options_.row_group_rows) << "piece " << pieces;
    read.merge(testing::CanonicalSpans(piece));
    // Earliest first: the pieces' spans start in order (this trace's spans
    // start one after another, the head's last).
    uint64_t first = UINT64_MAX, last = 0;
    for (const ResourceSpans& rs : piece.resource_spans())
      for (const ScopeSpans& ss : rs.scope_spans)
        for (const Span& sp : ss.spans) {
          first = std::min(first, sp.start_time_unix_nano);
          last = std::max(last, sp.start_time_unix_nano);
        }
    EXPECT_GE(first, previous_last) << "piece " << pieces << " starts before the one before it";
    previous_last = last;
  }
  EXPECT_GE(pieces, 2500 / (kPiece + 2 * options_.row_group_rows));
  EXPECT_TRUE(read == testing::CanonicalSpans(*whole)) << read.size() << " spans read";

  reader->Rewind();
  std::vector<std::pair<SpanId, SpanId>> ids, want;
  for (;;) {
    Result<bool> more = reader->NextIds(&ids);
    ASSERT_TRUE(more.ok()) << more.status().message();
    if (!*more) break;
  }
  for (const ResourceSpans& rs : whole->resource_spans())
    for (const ScopeSpans& ss : rs.scope_spans)
      for (const Span& sp : ss.spans) want.emplace_back(sp.span_id, sp.parent_span_id);
  std::sort(ids.begin(), ids.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);

  // A trace that fits in one piece reads exactly as GetTrace returns it.
  std::unique_ptr<TraceReader> small = store_->ReadTrace(Tid(1));
  ASSERT_TRUE(small->Next(&piece).ok());
  Result<Traces> small_whole = store_->GetTrace(Tid(1));
  ASSERT_TRUE(small_whole.ok());
  EXPECT_EQ(otlp::EncodeTracesProto(piece), otlp::EncodeTracesProto(*small_whole));
  Result<bool> more = small->Next(&piece);
  EXPECT_TRUE(more.ok() && !*more) << "one piece only";
  more = store_->ReadTrace(Tid(77))->Next(&piece);
  EXPECT_TRUE(more.ok() && !*more) << "no such trace";
}

TEST(HeadBlockTest, SortedRowsIsTheSegmentOrder) {
  HeadBlock head;
  std::mt19937 rng(3);
  for (int batch = 0; batch < 20; ++batch) {
    Traces t;
    for (int i = 0; i < 50; ++i) {
      // Traces recur across batches; equal starts are ordered by span ID.
      t.Append(OneSpan("s" + std::to_string(rng() % 3), Tid(uint8_t(rng() % 40)),
                       uint8_t(rng() % 200), 0, "op", 1000 + rng() % 5, 10));
    }
    head.Append(t, 1);
  }
  head.Append(testing::MakeKitchenSinkTraces(), 2);
  ASSERT_EQ(head.table().rows(), 1000u + testing::MakeKitchenSinkTraces().SpanCount());
  EXPECT_EQ(head.SortedRows(), SortedRowOrder(head.table()));
}

// Segments written by an older format version stay readable, and
// compaction rewrites them in the current one.
// A fixture segment of an older format (testdata/v<N>/: the segment and its
// spans as OTLP JSON): every span comes back and every tag search answers as
// the spans say, before and after compaction rewrites it as the current
// version (with an attribute index from version 4 on).
void StoreTest::ExpectOlderFormatReadable(const std::string& fixture, int version) {
  const std::filesystem::path& dir = dir_;
  const std::filesystem::path testdata = std::string(POLYTRACE_STORE_TESTDATA "/") + fixture;
  std::filesystem::create_directories(dir / "segments");
  std::filesystem::copy_file(testdata / "seg-0000000001.pts",
                             dir / "segments" / "seg-0000000001.pts");
  std::ifstream file(testdata / "spans.json");
  std::string json((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Traces expected;
  ASSERT_TRUE(otlp::DecodeTracesJson(json, &expected).ok());
  std::set<TraceId> ids;
  // Each span attribute and event attribute as a tag, and the traces holding
  // it: on any service's spans, and on each service's.
  std::map<std::pair<std::string, std::string>, std::set<TraceId>> tags;
  std::map<std::string, std::map<std::pair<std::string, std::string>, std::set<TraceId>>>
      tags_by_service;
  for (const ResourceSpans& rs : expected.resource_spans()) {
    std::string service(FindAttribute(rs.resource.attributes, kServiceNameKey)->string_value);
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& s : ss.spans) {
        ids.insert(s.trace_id);
        auto add = [&](const KeyValue& kv) {
          std::pair<std::string, std::string> tag{std::string(kv.key), ValueToString(kv.value)};
          tags[tag].insert(s.trace_id);
          tags_by_service[service][tag].insert(s.trace_id);
        };
        for (const KeyValue& kv : s.attributes) add(kv);
        for (const SpanEvent& e : s.events)
          for (const KeyValue& kv : e.attributes) add(kv);
      }
    }
  }
  ASSERT_GE(tags_by_service.size(), 3u);
  ASSERT_GE(ids.size(), 5u);
  ASSERT_GE(tags.size(), 10u);
  const std::unique_ptr<Store>& store = store_;
  auto stored = [&] {
    Traces all;
    for (const TraceId& id : ids) {
      auto t = store->GetTrace(id);
      EXPECT_TRUE(t.ok()) << t.status().message();
      if (t.ok()) all.Append(std::move(*t));
    }
    return testing::CanonicalSpans(all);
  };
  auto expect_searches = [&] {
    for (const auto& [tag, traces] : tags) {
      SpanFilter filter;
      filter.tags.push_back(tag);
      auto hits = store->FindTraces(filter, 1000);
      ASSERT_TRUE(hits.ok());
      std::set<TraceId> got;
      for (const TraceHit& h : *hits) got.insert(h.trace_id);
      EXPECT_EQ(got, traces) << tag.first << "=" << tag.second;
    }
    // With a service, as Jaeger asks: every tag of the fixture, each service.
    for (const auto& [service, its_tags] : tags_by_service) {
      for (const auto& [tag, unused] : tags) {
        SpanFilter filter;
        filter.service = service;
        filter.tags.push_back(tag);
        auto hits = store->FindTraces(filter, 1000);
        ASSERT_TRUE(hits.ok());
        std::set<TraceId> got;
        for (const TraceHit& h : *hits) got.insert(h.trace_id);
        auto want = its_tags.find(tag);
        EXPECT_EQ(got, want == its_tags.end() ? std::set<TraceId>() : want->second)
            << service << ": " << tag.first << "=" << tag.second;
      }
    }
  };
  auto segment_version = [&] {
    for (const auto& e : std::filesystem::directory_iterator(dir / "segments")) {
      auto seg = SegmentReader::Open(e.path().string());
      EXPECT_TRUE(seg.ok()) << seg.status().message();
      if (seg.ok()) return int((*seg)->footer().version);
    }
    return 0;
  };
  Open();
  EXPECT_EQ(segment_version(), version);
  EXPECT_EQ(stored(), testing::CanonicalSpans(expected));
  expect_searches();
  ASSERT_TRUE(store->CompactAllWindows().ok());
  EXPECT_EQ(segment_version(), int(kSegmentVersion));
  EXPECT_EQ(stored(), testing::CanonicalSpans(expected));
  expect_searches();
}

TEST_F(StoreTest, ReadsFormatVersion1AndRewritesIt) { ExpectOlderFormatReadable("v1", 1); }

TEST_F(StoreTest, ReadsFormatVersion3AndRewritesIt) { ExpectOlderFormatReadable("v3", 3); }

TEST_F(StoreTest, ReadsFormatVersion4AndRewritesIt) { ExpectOlderFormatReadable("v4", 4); }

TEST_F(StoreTest, ReadsFormatVersion5AndRewritesIt) { ExpectOlderFormatReadable("v5", 5); }

TEST_F(StoreTest, ReadsFormatVersion6AndRewritesIt) { ExpectOlderFormatReadable("v6", 6); }
TEST_F(StoreTest, ReadsFormatVersion7AndRewritesIt) { ExpectOlderFormatReadable("v7", 7); }
// Bit-packed codes inside the strings column (version 9 moved them out).
TEST_F(StoreTest, ReadsFormatVersion8AndRewritesIt) { ExpectOlderFormatReadable("v8", 8); }
// Attribute keys and types cell by cell (version 10 stores row shapes).
TEST_F(StoreTest, ReadsFormatVersion9AndRewritesIt) { ExpectOlderFormatReadable("v9", 9); }
// Row groups bounding their starts by max_end only (version 11 records max_start).
TEST_F(StoreTest, ReadsFormatVersion10AndRewritesIt) { ExpectOlderFormatReadable("v10", 10); }

// A segment of format 10 holding a span whose clock is skewed
// (testdata/v10-skewed): trace 2222… starts 10 s after the fixture's first
// span and ends at 5 s, after every other span of its row group has ended.
// The group recorded its latest end only, and a search by start after that
// end ruled the group out; the reader now reads such a segment's starts at
// open. Found in every order, as read and once compaction rewrote it.
TEST_F(StoreTest, ASkewedSpanInAFormat10SegmentIsFoundByItsStart) {
  const std::filesystem::path testdata = POLYTRACE_STORE_TESTDATA "/v10-skewed";
  std::filesystem::create_directories(dir_ / "segments");
  std::filesystem::copy_file(testdata / "seg-0000000001.pts",
                             dir_ / "segments" / "seg-0000000001.pts");
  Open();
  constexpr uint64_t kFirstStart = 1796600000ull * 1'000'000'000;
  constexpr uint64_t kSecond = 1'000'000'000;
  const SpanFilter after_its_end{.start_min_nanos = kFirstStart + 8 * kSecond,
                                 .start_max_nanos = kFirstStart + 12 * kSecond};
  const TraceId skewed = *TraceId::FromHex(std::string(32, '2'));
  auto expect_found = [&](const char* where) {
    for (SearchOrder order : {SearchOrder::kNewest, SearchOrder::kFirstFound}) {
      auto hits = store_->FindTraces(after_its_end, 10, nullptr, order);
      ASSERT_TRUE(hits.ok()) << hits.status().message();
      ASSERT_EQ(hits->size(), 1u) << where;
      EXPECT_EQ((*hits)[0].trace_id, skewed) << where;
    }
  };
  expect_found("as written in format 10");
  store_.reset();
  Open();
  expect_found("after a restart");
  ASSERT_TRUE(store_->CompactAllWindows().ok());
  expect_found("rewritten");
}

// While sealing cannot keep up (here: no sealer runs until the end), the
// spans not yet on disk stay bounded: a full head joins the frozen ones at
// once, producers wait for room (seal_wait), then are refused. Before, a
// head the sealer had not frozen yet grew without bound while it wrote
// another (1.5 GB in a 100M-span ingest). Nothing acknowledged is lost.
TEST_F(StoreTest, SpansNotYetOnDiskStayBoundedWhileSealingFallsBehind) {
  options_.segment_max_bytes = 256 << 10;
  options_.seal_wait = std::chrono::milliseconds(100);
  options_.background_sealing = false;
  auto trace_id = [](uint32_t n) {
    TraceId id = Tid(0x70);
    std::memcpy(id.bytes.data() + 4, &n, sizeof(n));
    return id;
  };
  auto batch = [&](uint32_t n) {
    Traces t;
    for (uint8_t span = 1; span <= 20; ++span) {
      t.Append(OneSpan("bounded", trace_id(n), span, span - 1, "op", 1'000'000 + span, 10));
    }
    return t;
  };
  // How many spans a full head holds.
  HeadBlock head(1024);
  uint64_t per_head = 0;
  for (uint32_t n = 0; head.MemoryBytes() < options_.segment_max_bytes; ++n, per_head += 20) {
    head.Append(batch(n), n + 1);
  }
  Open();
  uint32_t acked = 0;
  bool refused = false;
  for (uint32_t n = 0; n < 20'000 && !refused; ++n) {
    Status st = store_->Append(batch(n));
    refused = st.code() == StatusCode::kResourceExhausted;
    ASSERT_TRUE(st.ok() || refused) << st.message();
    if (st.ok()) acked = n + 1;
  }
  ASSERT_TRUE(refused) << "never refused: " << acked << " batches taken in memory";
  const uint64_t bound = (Store::kMaxFrozenHeads + 1) * (per_head + 20);
  EXPECT_LE(store_->Stats().head_spans, bound) << per_head << " spans a head";
  EXPECT_GE(store_->Stats().head_spans, Store::kMaxFrozenHeads * per_head);
  // The sealer catches up: every batch taken is there, and more are taken.
  ASSERT_TRUE(store_->SealHead().ok());
  EXPECT_EQ(store_->Stats().head_spans, 0u);
  ASSERT_TRUE(store_->Append(batch(acked)).ok());
  for (uint32_t n = 0; n <= acked; n += std::max<uint32_t>(1, acked / 50)) {
    auto trace = store_->GetTrace(trace_id(n));
    ASSERT_TRUE(trace.ok()) << trace.status().message();
    EXPECT_EQ(trace->SpanCount(), 20u) << "batch " << n;
  }
}

TEST_F(StoreTest, CompactAllWindowsMakesFinalSegmentsThatStay) {
  Open();
  uint64_t now = UnixNanosNow();
  for (uint8_t t = 1; t <= 3; ++t) {
    ASSERT_TRUE(store_->Append(OneSpan("a", Tid(t), 1, 0, "op", now + t, 10)).ok());
    ASSERT_TRUE(store_->SealHead().ok());
  }
  ASSERT_TRUE(store_->CompactAllWindows().ok());  // the open window, merged as if closed
  EXPECT_EQ(store_->Stats().segments, 1u);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "segments")) {
    files.push_back(e.path().filename().string());
  }
  ASSERT_EQ(files.size(), 1u);
  // A final segment is never merged again, even when its window is still open.
  ASSERT_TRUE(store_->RunMaintenance().ok());
  ASSERT_TRUE(store_->CompactAllWindows().ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "segments" / files[0]));
  for (uint8_t t = 1; t <= 3; ++t) EXPECT_EQ(SpansOf(Tid(t)), 1u);
}

TEST_F(StoreTest, OpenWindowsCompactInTiersOfEight) {
  Open();
  uint64_t now = UnixNanosNow();
  auto seal_one = [&](uint8_t t) {
    ASSERT_TRUE(store_->Append(OneSpan("a", Tid(t), 1, 0, "op", now + t, 10)).ok());
    ASSERT_TRUE(store_->SealHead().ok());
  };
  for (uint8_t t = 1; t <= 7; ++t) seal_one(t);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->Stats().segments, 7u);  // seven level-0 segments: not yet a tier
  seal_one(8);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->Stats().segments, 1u);  // eight became one level-1 segment
  for (uint8_t t = 9; t <= 11; ++t) seal_one(t);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->Stats().segments, 4u);  // one level 1, three level 0
  for (uint8_t t = 1; t <= 11; ++t) EXPECT_EQ(SpansOf(Tid(t)), 1u);
}

TEST_F(StoreTest, RetentionBySizeDeletesTheOldestWholeSegments) {
  options_.compaction_window = std::chrono::milliseconds(1);  // 1 ms windows: nothing merges
  Open();
  for (uint8_t t = 1; t <= 4; ++t) {
    ASSERT_TRUE(
        store_->Append(OneSpan("a", Tid(t), 1, 0, "op", uint64_t(t) * 10'000'000, 10)).ok());
    ASSERT_TRUE(store_->SealHead().ok());
  }
  uint64_t one = store_->Stats().segment_bytes / 4;
  store_.reset();
  options_.retention_max_bytes = 2 * one + one / 2;
  Open();
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->Stats().segments, 2u);
  EXPECT_EQ(SpansOf(Tid(1)), 0u);
  EXPECT_EQ(SpansOf(Tid(2)), 0u);
  EXPECT_EQ(SpansOf(Tid(3)), 1u);
  EXPECT_EQ(SpansOf(Tid(4)), 1u);
}

// A trace that crossed a compaction window has spans in two segments: age
// retention deletes them together, never one half.
TEST_F(StoreTest, RetentionByAgeLeavesNoTraceHalfDeleted) {
  options_.compaction_window = std::chrono::milliseconds(1);  // nothing merges
  constexpr uint64_t kMaxAgeNanos = 1'500'000'000;            // see the test below
  options_.retention_max_age = std::chrono::milliseconds(kMaxAgeNanos / 1'000'000);
  Open();
  ASSERT_TRUE(
      store_->Append(OneSpan("a", Tid(1), 1, 0, "op", 1'000'000, 10)).ok());  // A, first half
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(2), 1, 0, "op", 1'000'000, 10)).ok());  // B, whole
  ASSERT_TRUE(store_->SealHead().ok());
  uint64_t first_written = UnixNanosNow();
  ASSERT_TRUE(
      store_->Append(OneSpan("a", Tid(1), 2, 1, "op", 9'000'000, 10)).ok());  // A, second half
  ASSERT_TRUE(store_->SealHead().ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(3), 1, 0, "op", 20'000'000, 10)).ok());  // C, whole
  wait_until_clock(first_written + kMaxAgeNanos + 10'000'000);
  ASSERT_TRUE(store_->SealHead().ok());  // C's segment is young
  uint64_t young_written = UnixNanosNow();
  ASSERT_TRUE(store_->RunMaintenance().ok());
  ASSERT_LT(UnixNanosNow() - young_written, kMaxAgeNanos) << "maintenance took the whole age";
  // The first two segments are old, but the first shares trace A only with
  // the second, and the second nothing with C's: both go together.
  EXPECT_EQ(SpansOf(Tid(1)), 0u);
  EXPECT_EQ(SpansOf(Tid(2)), 0u);
  EXPECT_EQ(SpansOf(Tid(3)), 1u);
}

TEST_F(StoreTest, RetentionByAgeWaitsForTheYoungerHalfOfATrace) {
  options_.compaction_window = std::chrono::milliseconds(1);
  // Long enough that the young segment is still young when maintenance runs
  // on a slow (sanitized, shared) machine: 300 ms once was not.
  constexpr uint64_t kMaxAgeNanos = 1'500'000'000;
  options_.retention_max_age = std::chrono::milliseconds(kMaxAgeNanos / 1'000'000);
  Open();
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 1, 0, "op", 1'000'000, 10)).ok());
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(2), 1, 0, "op", 1'000'000, 10)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  uint64_t first_written = UnixNanosNow();
  wait_until_clock(first_written + kMaxAgeNanos + 10'000'000);
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 2, 1, "op", 9'000'000, 10)).ok());
  ASSERT_TRUE(store_->SealHead().ok());  // young, and holds the rest of trace 1
  uint64_t second_written = UnixNanosNow();
  ASSERT_TRUE(store_->RunMaintenance().ok());
  ASSERT_LT(UnixNanosNow() - second_written, kMaxAgeNanos) << "maintenance took the whole age";
  EXPECT_EQ(SpansOf(Tid(1)), 2u);  // the old segment waits for its partner
  EXPECT_EQ(SpansOf(Tid(2)), 1u);
  wait_until_clock(second_written + kMaxAgeNanos + 10'000'000);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(SpansOf(Tid(1)), 0u);  // then both go together
  EXPECT_EQ(SpansOf(Tid(2)), 0u);
  EXPECT_EQ(store_->Stats().segments, 0u);
}

TEST_F(StoreTest, DamagedSegmentIsSetAsideAndReported) {
  Open();
  ASSERT_TRUE(store_->Append(OneSpan("a", Tid(1), 1, 0, "op", 1000, 10)).ok());
  ASSERT_TRUE(store_->SealHead().ok());
  store_.reset();
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "segments")) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x01');
  }
  Open();
  StoreStats stats = store_->Stats();
  EXPECT_EQ(stats.segments, 0u);
  ASSERT_EQ(stats.damaged.size(), 1u);
  EXPECT_NE(stats.damaged[0].find("trailer damaged"), std::string::npos) << stats.damaged[0];
  EXPECT_EQ(SpansOf(Tid(1)), 0u);
}

// Random traces, random arrival order, random seals and compactions, a
// restart: every trace comes back exactly as sent.
TEST_F(StoreTest, PropertyRandomArrivalOrderSameTracesOut) {
  options_.row_group_rows = 7;
  for (int seed = 1; seed <= 5; ++seed) {
    std::filesystem::remove_all(dir_);
    Open();
    std::mt19937 rng(seed);
    std::vector<Traces> spans;
    std::map<TraceId, std::vector<size_t>> by_trace;
    for (uint8_t t = 1; t <= 20; ++t) {
      int n = 1 + int(rng() % 12);
      for (int s = 1; s <= n; ++s) {
        by_trace[Tid(t)].push_back(spans.size());
        spans.push_back(OneSpan("svc" + std::to_string(rng() % 4), Tid(t), uint8_t(s),
                                uint8_t(s == 1 ? 0 : 1 + rng() % (s - 1)),
                                "op" + std::to_string(rng() % 3), 1'000'000 + rng() % 100'000,
                                rng() % 5000));
        // Cells of every type, so a lookup that steps over other traces'
        // rows (SegmentReader) walks every kind of stream.
        Traces& t = spans.back();
        Arena& a = t.arena();
        Attributes& at = t.resource_spans()[0].scope_spans[0].spans[0].attributes;
        if (rng() % 2)
          at.Append(a, {"user.id", AnyValue::String(a.Copy(fmt::format("u{}", rng() % 9)))});
        if (rng() % 2) at.Append(a, {"ratio", AnyValue::Double(double(rng() % 100) / 7)});
        if (rng() % 3 == 0) at.Append(a, {"flag", AnyValue::Bool(rng() % 2)});
        if (rng() % 4 == 0) at.Append(a, {"raw", AnyValue::Bytes(a.Copy(std::to_string(rng())))});
        if (rng() % 2) at.Append(a, {"route", AnyValue::String(s % 2 ? "/a" : "/b")});
      }
    }
    std::vector<size_t> order(spans.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      ASSERT_TRUE(store_->Append(spans[i]).ok());
      if (rng() % 15 == 0) {
        ASSERT_TRUE(store_->SealHead().ok());
      }
      if (rng() % 40 == 0) {
        ASSERT_TRUE(store_->RunMaintenance().ok());
      }
    }
    if (seed % 2 == 0) Open();  // restart halfway through the seeds
    for (const auto& [id, members] : by_trace) {
      std::multiset<std::string> want;
      for (size_t i : members) want.merge(testing::CanonicalSpans(spans[i]));
      auto got = store_->GetTrace(id);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(testing::CanonicalSpans(*got), want) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace polytrace::store
