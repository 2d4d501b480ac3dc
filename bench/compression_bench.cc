// Export compression benchmark: polytrace's gzip (ISA-L, level 1) against
// zlib's deflate at level 1 (the speed setting the Collector's exporters use
// with Go's compress/gzip) on the same batches of the collector benchmark's
// span shapes. Counters: bytes/s of input and the compressed/input ratio.
//
//   cmake --build build/bench --target compression_bench
//   build/bench/bench/compression_bench
#include <benchmark/benchmark.h>
#include <zlib.h>

#include "compression/compression.h"
#include "otlp/proto_codec.h"
#include "span_shapes.h"

namespace {

using polytrace::bench::MakeBatch;
using polytrace::bench::SpanShape;

// A batch as the batch processor sends it: 16 requests of 500 spans.
const std::string& Payload(SpanShape shape) {
  static const auto build = [](SpanShape s) {
    std::string out;
    for (uint64_t seed = 1; seed <= 16; ++seed)
      out += polytrace::otlp::EncodeTracesProto(MakeBatch(s, 500, seed));
    return out;
  };
  static const std::string tiny = build(SpanShape::kTiny);
  static const std::string real = build(SpanShape::kRealistic);
  return shape == SpanShape::kTiny ? tiny : real;
}

void Report(benchmark::State& state, size_t in, size_t out) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in));
  state.counters["ratio"] = double(out) / double(in);
}

void BM_GzipPolytrace(benchmark::State& state) {
  const std::string& in = Payload(static_cast<SpanShape>(state.range(0)));
  size_t out = 0;
  for (auto _ : state) out = polytrace::Compress(polytrace::Compression::kGzip, in).size();
  Report(state, in.size(), out);
}

void BM_GzipZlibLevel1(benchmark::State& state) {
  const std::string& in = Payload(static_cast<SpanShape>(state.range(0)));
  std::string buffer;
  size_t out = 0;
  for (auto _ : state) {
    z_stream zs{};
    deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    buffer.resize(deflateBound(&zs, in.size()));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(buffer.data());
    zs.avail_out = static_cast<uInt>(buffer.size());
    deflate(&zs, Z_FINISH);
    out = zs.total_out;
    deflateEnd(&zs);
  }
  Report(state, in.size(), out);
}

constexpr int kTiny = static_cast<int>(SpanShape::kTiny);
constexpr int kRealistic = static_cast<int>(SpanShape::kRealistic);
BENCHMARK(BM_GzipPolytrace)->Arg(kTiny)->Arg(kRealistic);
BENCHMARK(BM_GzipZlibLevel1)->Arg(kTiny)->Arg(kRealistic);

}  // namespace

BENCHMARK_MAIN();
