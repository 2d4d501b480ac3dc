// OTLP codec benchmark: polytrace's zero-copy decoder into Traces against
// libprotobuf's generated ExportTraceServiceRequest parsed on an Arena (a
// fresh arena per request, and a reused initial block), on the same bytes,
// for tiny (2 attributes) and realistic (20 attributes, 2 events) spans.
// Counters: bytes/s and spans/s. Encoding and JSON decoding are measured too.
//
//   scripts/fetch-otlp-protos.sh build/protos
//   cmake --preset bench -DPOLYTRACE_OTLP_PROTO_DIR=$PWD/build/protos && cmake --build build/bench
//   build/bench/bench/otlp_codec_bench
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"
#include "span_shapes.h"

namespace {

using polytrace::bench::MakeBatch;
using polytrace::bench::SpanShape;
using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr size_t kSpans = 3000;

const std::string& Payload(SpanShape shape) {
  static const std::string tiny =
      polytrace::otlp::EncodeTracesProto(MakeBatch(SpanShape::kTiny, kSpans, 7));
  static const std::string real =
      polytrace::otlp::EncodeTracesProto(MakeBatch(SpanShape::kRealistic, kSpans, 7));
  return shape == SpanShape::kTiny ? tiny : real;
}

void Report(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kSpans),
                                                 benchmark::Counter::kIsRate);
}

void BM_DecodePolytrace(benchmark::State& state) {
  const std::string& payload = Payload(static_cast<SpanShape>(state.range(0)));
  for (auto _ : state) {
    polytrace::Traces t;
    benchmark::DoNotOptimize(polytrace::otlp::DecodeTracesProto(payload, &t));
    benchmark::DoNotOptimize(t.resource_spans().data());
  }
  Report(state, payload.size());
}

// Checking a request without building its spans (what a forwarding
// pipeline does: otlp -> batch -> otlphttp).
void BM_ScanPolytrace(benchmark::State& state) {
  const std::string& payload = Payload(static_cast<SpanShape>(state.range(0)));
  polytrace::otlp::TracesScan scan;
  for (auto _ : state) {
    benchmark::DoNotOptimize(polytrace::otlp::ScanTracesProto(payload, &scan));
  }
  Report(state, payload.size());
}

void BM_DecodeLibprotobufArena(benchmark::State& state) {
  const std::string& payload = Payload(static_cast<SpanShape>(state.range(0)));
  for (auto _ : state) {
    google::protobuf::Arena arena;
    Request* r = google::protobuf::Arena::CreateMessage<Request>(&arena);
    benchmark::DoNotOptimize(r->ParseFromString(payload));
  }
  Report(state, payload.size());
}

void BM_DecodeLibprotobufReusedArenaBlock(benchmark::State& state) {
  const std::string& payload = Payload(static_cast<SpanShape>(state.range(0)));
  std::vector<char> block(8 << 20);
  google::protobuf::ArenaOptions options;
  options.initial_block = block.data();
  options.initial_block_size = block.size();
  for (auto _ : state) {
    google::protobuf::Arena arena(options);
    Request* r = google::protobuf::Arena::CreateMessage<Request>(&arena);
    benchmark::DoNotOptimize(r->ParseFromString(payload));
  }
  Report(state, payload.size());
}

void BM_EncodePolytrace(benchmark::State& state) {
  polytrace::Traces t = MakeBatch(static_cast<SpanShape>(state.range(0)), kSpans, 7);
  std::string out;
  for (auto _ : state) {
    out.clear();
    polytrace::otlp::EncodeTracesProto(t, &out);
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, out.size());
}

void BM_EncodeLibprotobuf(benchmark::State& state) {
  const std::string& payload = Payload(static_cast<SpanShape>(state.range(0)));
  google::protobuf::Arena arena;
  Request* r = google::protobuf::Arena::CreateMessage<Request>(&arena);
  r->ParseFromString(payload);
  std::string out;
  for (auto _ : state) {
    out.clear();
    r->SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, out.size());
}

void BM_DecodeJsonPolytrace(benchmark::State& state) {
  std::string json = polytrace::otlp::EncodeTracesJson(
      MakeBatch(static_cast<SpanShape>(state.range(0)), kSpans, 7));
  for (auto _ : state) {
    polytrace::Traces t;
    benchmark::DoNotOptimize(polytrace::otlp::DecodeTracesJson(json, &t));
  }
  Report(state, json.size());
}

// Arg 0: tiny, 1: realistic.
BENCHMARK(BM_DecodePolytrace)->Arg(0)->Arg(1);
BENCHMARK(BM_ScanPolytrace)->Arg(0)->Arg(1);
BENCHMARK(BM_DecodeLibprotobufArena)->Arg(0)->Arg(1);
BENCHMARK(BM_DecodeLibprotobufReusedArenaBlock)->Arg(0)->Arg(1);
BENCHMARK(BM_EncodePolytrace)->Arg(0)->Arg(1);
BENCHMARK(BM_EncodeLibprotobuf)->Arg(0)->Arg(1);
BENCHMARK(BM_DecodeJsonPolytrace)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
