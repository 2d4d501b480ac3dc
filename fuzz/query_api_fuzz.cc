// The query server's whole request path (Jaeger v1/v3, Tempo, TraceQL, the
// analysis, service-map and back-link APIs) over a small real store: any
// target gets an answer, never a crash.
#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "query/query_service.h"
#include "scratch_path.h"

using namespace polytrace;

namespace {

store::Store* OpenSampleStore() {
  static const fuzz::ScratchPath dir("query_api_fuzz");
  store::StoreOptions options;
  options.directory = dir.str();
  options.fsync = store::FsyncPolicy::kNever;
  options.retention_max_age = std::chrono::milliseconds(0);
  auto logger =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto opened = store::Store::Open(options, logger);
  if (!opened.ok()) __builtin_trap();
  store::Store* s = opened->release();
  for (uint8_t trace = 1; trace <= 3; ++trace) {
    Traces t;
    Arena& a = t.arena();
    ResourceSpans& rs = t.resource_spans().Append(a);
    rs.resource.attributes.Append(
        a, {kServiceNameKey, AnyValue::String(trace == 2 ? "payments" : "gateway")});
    ScopeSpans& ss = rs.scope_spans.Append(a);
    for (uint8_t id = 1; id <= 3; ++id) {
      Span& sp = ss.spans.Append(a);
      sp.trace_id.bytes[15] = trace;
      sp.span_id.bytes[7] = id;
      sp.parent_span_id.bytes[7] = id - 1;
      sp.name = id == 1 ? "GET /checkout" : "charge";
      sp.kind = id == 1 ? SpanKind::kServer : SpanKind::kClient;
      sp.start_time_unix_nano = 1'700'000'000'000'000'000ull + trace * 1'000'000'000ull + id;
      sp.end_time_unix_nano = sp.start_time_unix_nano + 5'000'000ull * id;
      sp.attributes.Append(a, {"http.status_code", AnyValue::Int(200 * id)});
    }
    if (!s->Append(std::move(t)).ok()) __builtin_trap();
    if (trace == 2 && !s->SealHead().ok()) __builtin_trap();
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static store::Store* store = OpenSampleStore();
  static query::QueryService* service = new query::QueryService([] { return store; });
  if (size > 8192) return 0;
  HttpRequest request;
  request.method = "GET";
  request.target.assign(reinterpret_cast<const char*>(data), size);
  if (request.target.empty() || request.target[0] != '/') request.target.insert(0, "/api/");
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);
  HttpResponse response = service->Handle(request);
  if (response.status < 200 || response.status > 599) __builtin_trap();
  // A streamed answer is made as the server would send it.
  if (!response.DrainStream()) __builtin_trap();
  return 0;
}
