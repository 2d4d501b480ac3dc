// polytrace-loadgen: sends OTLP traces as fast as a collector accepts them
// (or at a fixed rate) over gRPC or HTTP, from pre-encoded requests so that
// the generator spends little CPU. Prints one JSON summary line.
//
//   polytrace-loadgen --protocol grpc --endpoint 127.0.0.1:4317 --shape tiny
//       --spans-per-request 500 --total-spans 1000000 --workers 4
#include <fmt/format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include "http_client.h"
#include "otlp/proto_codec.h"
#include "span_shapes.h"

namespace polytrace::bench {
namespace {

constexpr char kExportMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

struct Options {
  std::string protocol = "grpc";
  std::string endpoint = "127.0.0.1:4317";
  std::string shape = "tiny";
  size_t spans_per_request = 500;
  uint64_t total_spans = 1'000'000;
  int workers = 4;
  double rate = 0;  // spans per second over all workers; 0 = as fast as possible
  // Build every request afresh (distinct IDs, current timestamps) instead of
  // cycling 16 pre-encoded ones: for stores, where repeats would deduplicate.
  bool unique = false;
  // gRPC over TLS, trusting this CA bundle (the benchmark's own CA).
  std::string ca_file;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Counters {
  std::atomic<uint64_t> next_request{0};
  std::atomic<uint64_t> acked_spans{0};
  std::atomic<uint64_t> failed_requests{0};
};

grpc::Status SendGrpc(grpc::GenericStub& stub, const std::string& payload) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(payload);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, kExportMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

void Worker(const Options& o, const std::vector<std::string>& payloads, uint64_t requests,
            Counters& c, std::chrono::steady_clock::time_point start) {
  std::unique_ptr<grpc::GenericStub> stub;
  std::unique_ptr<HttpClient> http;
  if (o.protocol == "grpc") {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (!o.ca_file.empty()) {
      grpc::SslCredentialsOptions tls;
      tls.pem_root_certs = ReadFile(o.ca_file);
      creds = grpc::SslCredentials(tls);
    }
    stub = std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(o.endpoint, creds, args));
  } else {
    http = std::make_unique<HttpClient>(o.endpoint);
  }
  while (true) {
    uint64_t n = c.next_request.fetch_add(1);
    if (n >= requests) return;
    if (o.rate > 0) {
      auto due = start + std::chrono::duration<double>(n * o.spans_per_request / o.rate);
      std::this_thread::sleep_until(due);
    }
    std::string fresh;
    if (o.unique) {
      SpanShape shape = o.shape == "tiny"   ? SpanShape::kTiny
                        : o.shape == "demo" ? SpanShape::kDemo
                                            : SpanShape::kRealistic;
      fresh = polytrace::otlp::EncodeTracesProto(
          o.shape == "bigtrace" ? MakeBigTraceBatch(o.spans_per_request, n * o.spans_per_request)
                                : MakeBatch(shape, o.spans_per_request, 1000 + n));
    }
    const std::string& payload = o.unique ? fresh : payloads[n % payloads.size()];
    bool ok = o.protocol == "grpc" ? SendGrpc(*stub, payload).ok()
                                   : http->Post("/v1/traces", payload) == 200;
    if (ok) {
      c.acked_spans.fetch_add(o.spans_per_request);
    } else {
      c.failed_requests.fetch_add(1);
    }
  }
}

}  // namespace
}  // namespace polytrace::bench

int main(int argc, char** argv) {
  using namespace polytrace::bench;
  Options o;
  CLI::App app{"OTLP load generator"};
  app.add_option("--protocol", o.protocol)->check(CLI::IsMember({"grpc", "http"}));
  app.add_option("--ca-file", o.ca_file, "gRPC over TLS, trusting this CA (PEM)");
  app.add_option("--endpoint", o.endpoint, "host:port");
  app.add_option("--shape", o.shape)
      ->check(CLI::IsMember({"tiny", "realistic", "demo", "bigtrace"}));
  app.add_flag("--unique", o.unique, "Build each request afresh: distinct IDs, current times");
  app.add_option("--spans-per-request", o.spans_per_request);
  app.add_option("--total-spans", o.total_spans);
  app.add_option("--workers", o.workers);
  app.add_option("--rate", o.rate, "spans/s (0 = unlimited)");
  CLI11_PARSE(app, argc, argv);
  if (o.shape == "bigtrace" && !o.unique) {
    fmt::print(stderr, "--shape bigtrace needs --unique (each request its own spans)\n");
    return 2;
  }

  SpanShape shape = o.shape == "tiny"   ? SpanShape::kTiny
                    : o.shape == "demo" ? SpanShape::kDemo
                                        : SpanShape::kRealistic;
  std::vector<std::string> payloads;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    payloads.push_back(
        polytrace::otlp::EncodeTracesProto(MakeBatch(shape, o.spans_per_request, seed)));
  }
  uint64_t requests = (o.total_spans + o.spans_per_request - 1) / o.spans_per_request;
  Counters c;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < o.workers; ++i) {
    threads.emplace_back([&] { Worker(o, payloads, requests, c, start); });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "{{\"protocol\":\"{}\",\"shape\":\"{}\",\"bytes_per_request\":{},\"acked_spans\":{},"
      "\"failed_requests\":{},\"seconds\":{:.3f},\"spans_per_second\":{:.0f}}}\n",
      o.protocol, o.shape, payloads[0].size(), c.acked_spans.load(), c.failed_requests.load(),
      seconds, c.acked_spans.load() / seconds);
  return c.failed_requests.load() == 0 ? 0 : 1;
}
