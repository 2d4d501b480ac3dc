#include "span_shapes.h"

#include <fmt/format.h>

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

}  // namespace polytrace::bench
