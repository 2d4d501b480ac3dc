// Store ingest micro-benchmark: the CPU each step of a span's way into a
// segment costs, per span, on the loadgen's demo spans (the shape of
// bench/store_bench.py): appending decoded batches to a head, ordering a full
// head by trace, and encoding + compressing it into a segment — once from a
// head in arrival order (what sealing does) and once from rows already in
// trace order (what compaction does), which shows what the scattered reads
// of sealing cost. polytrace-internal: there is no peer figure; the store's
// end-to-end figures beside Jaeger's are bench/store_bench.py's.
//
//   cmake --build build/release --target store_ingest_bench
//   build/release/bench/store_ingest_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "span_shapes.h"
#include "store/engine/head_block.h"
#include "store/segment/segment_writer.h"

namespace {

using polytrace::Traces;
using polytrace::store::HeadBlock;

constexpr size_t kBatch = 1000;
constexpr size_t kHeadSpans = 256 * kBatch;  // about a sealed head (64 MiB)

const std::vector<Traces>& Batches() {
  static const auto* batches = [] {
    auto* b = new std::vector<Traces>;
    for (size_t i = 0; i < kHeadSpans / kBatch; ++i)
      b->push_back(polytrace::bench::MakeDemoBatch(kBatch, i + 1));
    return b;
  }();
  return *batches;
}

const HeadBlock& FullHead() {
  static const auto* head = [] {
    auto* h = new HeadBlock;
    for (const Traces& t : Batches()) h->Append(t, 1);
    return h;
  }();
  return *head;
}

void PerSpan(benchmark::State& state, size_t spans) {
  state.counters["ns/span"] =
      benchmark::Counter(double(state.iterations() * spans),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_HeadAppend(benchmark::State& state) {
  const std::vector<Traces>& batches = Batches();
  for (auto _ : state) {
    HeadBlock head;
    for (const Traces& t : batches) head.Append(t, 1);
    benchmark::DoNotOptimize(head.table().rows());
  }
  PerSpan(state, kHeadSpans);
}

void BM_SortHead(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(FullHead().SortedRows());
  PerSpan(state, kHeadSpans);
}

void WriteSegment(benchmark::State& state, const polytrace::store::SpanTable& table,
                  const std::vector<uint32_t>& order) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("store_ingest_bench_" + std::to_string(::getpid()) + ".pts");
  for (auto _ : state) {
    auto size = polytrace::store::WriteSegment(path, table, order, {});
    if (!size.ok()) state.SkipWithError(size.status().message().c_str());
  }
  std::filesystem::remove(path);
  PerSpan(state, order.size());
}

// Sealing: rows read in trace order from a head filled in arrival order.
void BM_SealFromArrivalOrder(benchmark::State& state) {
  WriteSegment(state, FullHead().table(), FullHead().SortedRows());
}

// The same rows, copied into trace order first (as compaction reads them).
void BM_SealFromTraceOrder(benchmark::State& state) {
  static const auto* sorted = [] {
    auto* t = new polytrace::store::SpanTable(FullHead().table().shared_dicts());
    for (uint32_t row : FullHead().SortedRows()) t->AppendRowFrom(FullHead().table(), row);
    return t;
  }();
  std::vector<uint32_t> order(sorted->rows());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  WriteSegment(state, *sorted, order);
}

BENCHMARK(BM_HeadAppend)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SortHead)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SealFromArrivalOrder)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SealFromTraceOrder)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
