// Trace-by-ID micro-benchmark: the server's own work for one lookup of a
// stored trace, without the HTTP exchange around it (bench/store_bench.py
// measures the whole request beside Jaeger's; this splits polytrace's part
// into its steps so that each can be measured alone):
//   - Read: Store::ReadTrace and its first piece (the spans, materialized)
//   - Answer: query::AnswerTrace's whole Jaeger JSON body (Read + writing)
// each on a store of the loadgen's demo spans, compacted and reopened (the
// restarted case), asking a different trace each time, spread over every row
// group (as the newest traces a search returns are). "cold": the shared
// column cache is dropped before each asking (a group no lookup read since
// the restart); "warm": every group was read once before.
// polytrace-internal: there is no peer figure here.
//
//   cmake --build build/release --target trace_lookup_bench
//   build/release/bench/trace_lookup_bench [--benchmark_filter=...]
//   (POLYTRACE_LOOKUP_SPANS=1000000 for the store benchmark's size; default 200,000)
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "query/trace_answer.h"
#include "span_shapes.h"
#include "store/engine/store.h"
#include "store/segment/segment_reader.h"

namespace {

using polytrace::TraceId;
using polytrace::Traces;
using polytrace::store::Store;

struct Fixture {
  std::string directory;
  std::unique_ptr<Store> store;
  std::vector<TraceId> ids;  // one trace of every kBatch spans: every row group
};

constexpr size_t kBatch = 1000;

std::shared_ptr<spdlog::logger> Quiet() {
  return std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
}

Fixture& Stored() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    const char* env = std::getenv("POLYTRACE_LOOKUP_SPANS");
    const size_t spans = env != nullptr ? std::strtoull(env, nullptr, 10) : 200'000;
    f->directory = std::filesystem::temp_directory_path() /
                   ("trace_lookup_bench_" + std::to_string(::getpid()));
    polytrace::store::StoreOptions options;
    options.directory = f->directory;
    options.fsync = polytrace::store::FsyncPolicy::kNever;
    {
      auto store = Store::Open(options, Quiet());
      if (!store.ok()) std::abort();
      for (size_t i = 0; i < spans / kBatch; ++i) {
        Traces batch = polytrace::bench::MakeDemoBatch(kBatch, i + 1);
        f->ids.push_back(batch.resource_spans()[0].scope_spans[0].spans[0].trace_id);
        if (!(*store)->Append(batch).ok()) std::abort();
      }
      if (!(*store)->CompactAllWindows().ok()) std::abort();
      (*store)->Close();
    }
    auto reopened = Store::Open(options, Quiet());  // restarted: nothing in memory
    if (!reopened.ok()) std::abort();
    f->store = std::move(*reopened);
    return f;
  }();
  return *fixture;
}

void Lookups(benchmark::State& state, bool cold, bool answer) {
  Fixture& f = Stored();
  if (!cold) {  // every group read once
    for (const TraceId& id : f.ids) benchmark::DoNotOptimize(f.store->GetTrace(id));
  }
  size_t next = 0, spans = 0, bytes = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      polytrace::store::SegmentReader::DropSharedCaches();
      state.ResumeTiming();
    }
    const TraceId& id = f.ids[next++ % f.ids.size()];
    if (answer) {
      auto response =
          polytrace::query::AnswerTrace(*f.store, id, polytrace::query::TraceForm::kJaegerJson);
      if (!response.ok() || !*response) {
        state.SkipWithError("a trace was not found");
        return;
      }
      bytes += (*response)->body.size();
    } else {
      Traces piece;
      auto reader = f.store->ReadTrace(id);
      auto found = reader->Next(&piece);
      if (!found.ok() || !*found) {
        state.SkipWithError("a trace was not found");
        return;
      }
      spans += piece.SpanCount();
    }
  }
  // What came back: a lookup that found nothing is not fast, it is wrong.
  const double n = double(state.iterations());
  if (spans > 0) state.counters["spans/lookup"] = double(spans) / n;
  if (bytes > 0) state.counters["bytes/answer"] = double(bytes) / n;
  state.counters["traces"] = double(f.ids.size());
}

void BM_ReadCold(benchmark::State& s) { Lookups(s, /*cold=*/true, /*answer=*/false); }
void BM_ReadWarm(benchmark::State& s) { Lookups(s, /*cold=*/false, /*answer=*/false); }
void BM_AnswerJaegerCold(benchmark::State& s) { Lookups(s, /*cold=*/true, /*answer=*/true); }
void BM_AnswerJaegerWarm(benchmark::State& s) { Lookups(s, /*cold=*/false, /*answer=*/true); }

BENCHMARK(BM_ReadCold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReadWarm)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnswerJaegerCold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AnswerJaegerWarm)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (auto* f = &Stored(); f->store) {
    f->store->Close();
    std::filesystem::remove_all(f->directory);
  }
  return 0;
}
