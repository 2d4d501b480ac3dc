#include "span_shapes.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

namespace polytrace::bench {
namespace {

void Put(Arena& a, Attributes& attrs, std::string_view key, AnyValue v) {
  attrs.Append(a, KeyValue{key, v});
}

void AddRealisticAttributes(Arena& a, Span& s, uint64_t i) {
  Attributes& at = s.attributes;
  Put(a, at, "http.request.method", AnyValue::String("GET"));
  Put(a, at, "http.route", AnyValue::String("/api/v1/checkout/{id}"));
  Put(a, at, "url.full",
      AnyValue::String(a.Copy(fmt::format("https://shop.example.com/api/v1/checkout/{}", i))));
  Put(a, at, "url.scheme", AnyValue::String("https"));
  Put(a, at, "http.response.status_code", AnyValue::Int(200));
  Put(a, at, "server.address", AnyValue::String("shop.example.com"));
  Put(a, at, "server.port", AnyValue::Int(443));
  Put(a, at, "client.address", AnyValue::String("10.12.4.31"));
  Put(a, at, "user_agent.original",
      AnyValue::String("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"));
  Put(a, at, "network.protocol.version", AnyValue::String("1.1"));
  Put(a, at, "db.system", AnyValue::String("postgresql"));
  Put(a, at, "db.namespace", AnyValue::String("users"));
  Put(a, at, "db.operation.name", AnyValue::String("SELECT"));
  Put(a, at, "db.query.text", AnyValue::String("SELECT id, name FROM users WHERE id = $1"));
  Put(a, at, "rpc.system", AnyValue::String("grpc"));
  Put(a, at, "thread.id", AnyValue::Int(static_cast<int64_t>(i % 64)));
  Put(a, at, "thread.name", AnyValue::String("worker"));
  Put(a, at, "code.function", AnyValue::String("handleCheckout"));
  Put(a, at, "app.cache_hit", AnyValue::Bool(i % 3 == 0));
  Put(a, at, "app.latency_budget_ms", AnyValue::Double(12.5));
  for (int e = 0; e < 2; ++e) {
    SpanEvent& ev = s.events.Append(a);
    ev.time_unix_nano = s.start_time_unix_nano + 1000 * (e + 1);
    ev.name = e == 0 ? "cache.lookup" : "db.query.start";
    Put(a, ev.attributes, "event.seq", AnyValue::Int(e));
  }
}

}  // namespace

Traces MakeBatch(SpanShape shape, size_t spans, uint64_t seed) {
  if (shape == SpanShape::kDemo) return MakeDemoBatch(spans, seed);
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  Put(a, rs.resource.attributes, "service.name", AnyValue::String("loadgen"));
  Put(a, rs.resource.attributes, "telemetry.sdk.language", AnyValue::String("cpp"));
  ScopeSpans& ss = rs.scope_spans.Append(a);
  ss.scope.name = "polytrace.loadgen";
  ss.spans.Reserve(a, spans);
  constexpr uint64_t kBase = 1'750'000'000'000'000'000ULL;
  for (size_t i = 0; i < spans; ++i) {
    Span& s = ss.spans.Append(a);
    uint64_t trace = seed * 1'000'003 + i / 8;
    for (int b = 0; b < 8; ++b) s.trace_id.bytes[8 + b] = static_cast<uint8_t>(trace >> (8 * b));
    s.trace_id.bytes[0] = 0x5a;
    uint64_t span = seed * 1'000'003 + i + 1;
    for (int b = 0; b < 8; ++b) s.span_id.bytes[b] = static_cast<uint8_t>(span >> (8 * b));
    if (i % 8 != 0) s.parent_span_id = ss.spans[i - 1].span_id;
    s.name = shape == SpanShape::kTiny ? "GET /health" : "GET /api/v1/checkout/{id}";
    s.kind = i % 8 == 0 ? SpanKind::kServer : SpanKind::kInternal;
    s.start_time_unix_nano = kBase + seed * 1'000'000 + i * 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 250'000;
    if (shape == SpanShape::kTiny) {
      Put(a, s.attributes, "http.request.method", AnyValue::String("GET"));
      Put(a, s.attributes, "http.response.status_code", AnyValue::Int(200));
    } else {
      AddRealisticAttributes(a, s, i);
    }
  }
  return t;
}

namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct DemoStep {
  int service;  // index in kDemoServices
  const char* name;
  SpanKind kind;
  int parent;  // step index, -1 for the root
};

constexpr const char* kDemoServices[] = {"gateway", "auth", "recommendation", "payment",
                                         "notification"};
constexpr DemoStep kDemoTrace[8] = {
    {0, "GET /api/checkout", SpanKind::kServer, -1},
    {0, "POST auth/verify", SpanKind::kClient, 0},
    {1, "POST /verify", SpanKind::kServer, 1},
    {0, "GET recommendation/list", SpanKind::kClient, 0},
    {2, "GET /recommendations", SpanKind::kServer, 3},
    {0, "POST payment/charge", SpanKind::kClient, 0},
    {3, "POST /charge", SpanKind::kServer, 5},
    {4, "notification.send process", SpanKind::kConsumer, 6},
};

void AddDemoAttributes(Arena& a, Span& s, const DemoStep& step, uint64_t& rng, bool error) {
  Attributes& at = s.attributes;
  bool server = step.kind == SpanKind::kServer;
  Put(a, at, "http.request.method", AnyValue::String(step.name[0] == 'G' ? "GET" : "POST"));
  Put(a, at, "http.route", AnyValue::String(step.name));
  Put(a, at, "http.response.status_code", AnyValue::Int(error ? 500 : 200));
  Put(a, at, "user.id", AnyValue::String(a.Copy(fmt::format("user-{}", SplitMix(rng) % 50'000))));
  Put(a, at, server ? "server.address" : "peer.service",
      AnyValue::String(kDemoServices[step.service]));
  Put(a, at, "network.peer.address",
      AnyValue::String(a.Copy(fmt::format("10.0.{}.{}", SplitMix(rng) % 4, SplitMix(rng) % 256))));
  Put(a, at, "code.function", AnyValue::String(server ? "handle" : "call"));
  Put(a, at, "thread.id", AnyValue::Int(int64_t(SplitMix(rng) % 32)));
  Put(a, at, "app.cart.items", AnyValue::Int(int64_t(SplitMix(rng) % 20)));
  Put(a, at, "app.region", AnyValue::String("eu-west-1"));
  if (server) {
    SpanEvent& ev = s.events.Append(a);
    ev.time_unix_nano = s.start_time_unix_nano + 1000;
    ev.name = error ? "exception" : "request.received";
    if (error) Put(a, ev.attributes, "exception.type", AnyValue::String("PaymentDeclined"));
  }
  if (error && server) {
    s.status.code = StatusCodeValue::kError;
    s.status.message = "payment declined";
  }
}

}  // namespace

Traces MakeDemoBatch(size_t spans, uint64_t seed) {
  Traces t;
  Arena& a = t.arena();
  std::vector<ScopeSpans*> scopes;
  for (const char* service : kDemoServices) {
    ResourceSpans& rs = t.resource_spans().Append(a);
    Put(a, rs.resource.attributes, "service.name", AnyValue::String(service));
    Put(a, rs.resource.attributes, "host.name",
        AnyValue::String(a.Copy(fmt::format("{}-1", service))));
    Put(a, rs.resource.attributes, "telemetry.sdk.language", AnyValue::String("cpp"));
    ScopeSpans& ss = rs.scope_spans.Append(a);
    ss.scope.name = "polytrace.loadgen.demo";
    scopes.push_back(&ss);
  }
  uint64_t rng = seed * 0x2545f4914f6cdd1dULL + 1;
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  for (size_t done = 0; done < spans;) {
    TraceId trace;
    uint64_t hi = SplitMix(rng), lo = SplitMix(rng);
    std::memcpy(trace.bytes.data(), &hi, 8);
    std::memcpy(trace.bytes.data() + 8, &lo, 8);
    bool error = SplitMix(rng) % 50 == 0;
    SpanId ids[8];
    uint64_t starts[8], ends[8];
    for (int i = 0; i < 8 && done < spans; ++i, ++done) {
      const DemoStep& step = kDemoTrace[i];
      uint64_t raw = SplitMix(rng);
      std::memcpy(ids[i].bytes.data(), &raw, 8);
      uint64_t parent_start = step.parent < 0 ? now - 60'000'000 : starts[step.parent];
      starts[i] = parent_start + 100'000 + SplitMix(rng) % 2'000'000;
      ends[i] = starts[i] + 200'000 + SplitMix(rng) % 40'000'000;
      Span& s = scopes[step.service]->spans.Append(a);
      s.trace_id = trace;
      s.span_id = ids[i];
      if (step.parent >= 0) s.parent_span_id = ids[step.parent];
      s.name = step.name;
      s.kind = step.kind;
      s.start_time_unix_nano = starts[i];
      s.end_time_unix_nano = ends[i];
      AddDemoAttributes(a, s, step, rng, error && step.service == 3);
    }
  }
  return t;
}

}  // namespace polytrace::bench

namespace polytrace::bench {

Traces MakeBigTraceBatch(size_t spans, uint64_t first) {
  constexpr uint64_t kRootChildren = 2000, kHubs = 50;
  constexpr uint64_t kBase = 1'750'000'000'000'000'000ULL;
  std::optional<TraceId> trace = TraceId::FromHex(kBigTraceId);
  auto id_of = [](uint64_t g) {
    SpanId id;
    for (int b = 0; b < 8; ++b) id.bytes[b] = static_cast<uint8_t>((g + 1) >> (56 - 8 * b));
    return id;
  };
  Traces t;
  Arena& a = t.arena();
  std::array<ScopeSpans*, 5> scopes{};
  for (size_t svc = 0; svc < scopes.size(); ++svc) {
    ResourceSpans& rs = t.resource_spans().Append(a);
    Put(a, rs.resource.attributes, "service.name", AnyValue::String(kDemoServices[svc]));
    Put(a, rs.resource.attributes, "telemetry.sdk.language",
        AnyValue::String(svc % 2 ? "java" : "go"));
    Put(a, rs.resource.attributes, "host.name",
        AnyValue::String(a.Copy(fmt::format("node-{}", svc))));
    scopes[svc] = &rs.scope_spans.Append(a);
    scopes[svc]->scope.name = "polytrace.loadgen.bigtrace";
  }
  uint64_t rng = first;
  for (uint64_t g = first; g < first + spans; ++g) {
    uint64_t parent = g == 0                   ? UINT64_MAX
                      : g <= kRootChildren     ? 0
                      : g % 10 == 0            ? 1 + (g / 10) % kHubs
                      : g == kRootChildren + 1 ? 1
                                               : kRootChildren + 1 + (g - kRootChildren - 1) / 3;
    const DemoStep& step = kDemoTrace[g % 8];
    Span& s = scopes[g % 5]->spans.Append(a);
    s.trace_id = *trace;
    s.span_id = id_of(g);
    if (parent != UINT64_MAX) s.parent_span_id = id_of(parent);
    s.name = step.name;
    s.kind = step.kind;
    s.start_time_unix_nano = kBase + g * 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 200'000 + SplitMix(rng) % 800'000;
    AddDemoAttributes(a, s, step, rng, g % 97 == 0);
  }
  return t;
}

}  // namespace polytrace::bench
