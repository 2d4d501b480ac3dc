#include "testing/kitchen_sink.h"

#include "otlp/wire.h"

namespace polytrace::testing {
namespace {

void Put(Arena& a, Attributes& attrs, std::string_view key, AnyValue v) {
  attrs.Append(a, KeyValue{key, v});
}

AnyValue NestedValue(Arena& a) {
  AnyValue inner_list;
  inner_list.type = ValueType::kArray;
  inner_list.array_value.Append(a, AnyValue::Int(-1));
  inner_list.array_value.Append(a, AnyValue::String(""));
  AnyValue kv;
  kv.type = ValueType::kKvList;
  kv.kvlist_value.Append(a, KeyValue{"nested.list", inner_list});
  kv.kvlist_value.Append(a, KeyValue{"bytes", AnyValue::Bytes(std::string_view("\0\xff\x10", 3))});
  kv.kvlist_value.Append(a, KeyValue{"empty", AnyValue()});
  return kv;
}

}  // namespace

Traces MakeKitchenSinkTraces() {
  Traces t;
  Arena& a = t.arena();
  ResourceSpans& rs = t.resource_spans().Append(a);
  rs.schema_url = "https://opentelemetry.io/schemas/1.24.0";
  Put(a, rs.resource.attributes, "service.name", AnyValue::String("kitchen-sink"));
  Put(a, rs.resource.attributes, "héllo.wörld", AnyValue::String("✓ 日本 \"quoted\"\n\t\x01"));
  rs.resource.dropped_attributes_count = 2;
  ScopeSpans& ss = rs.scope_spans.Append(a);
  ss.scope.name = "io.polytrace.test";
  ss.scope.version = "1.2.3";
  Put(a, ss.scope.attributes, "scope.attr", AnyValue::Bool(true));
  ss.scope.dropped_attributes_count = 1;
  ss.schema_url = "https://opentelemetry.io/schemas/1.21.0";

  for (int k = 0; k <= 5; ++k) {
    Span& s = ss.spans.Append(a);
    for (int i = 0; i < 16; ++i) s.trace_id.bytes[i] = static_cast<uint8_t>(0xa0 + i);
    for (int i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<uint8_t>(0x10 * k + i + 1);
    if (k > 0) s.parent_span_id = ss.spans[0].span_id;
    s.trace_state = k == 1 ? "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" : "";
    s.flags = k == 2 ? 0x301 : 1;
    s.name = k == 3 ? "" : "GET /api/ünïcode";
    s.kind = static_cast<SpanKind>(k);
    s.start_time_unix_nano = 1'700'000'000'123'456'789ULL;
    // k == 4: zero-length; k == 5: 10 hours long.
    s.end_time_unix_nano = s.start_time_unix_nano + (k == 4   ? 0
                                                     : k == 5 ? 36'000'000'000'000ULL
                                                              : 1'500'000ULL);
    Put(a, s.attributes, "str", AnyValue::String("value"));
    Put(a, s.attributes, "empty.str", AnyValue::String(""));
    Put(a, s.attributes, "bool", AnyValue::Bool(false));
    Put(a, s.attributes, "int", AnyValue::Int(-9'223'372'036'854'775'807LL));
    Put(a, s.attributes, "double", AnyValue::Double(3.141592653589793));
    Put(a, s.attributes, "bytes", AnyValue::Bytes("raw\x01\x02"));
    Put(a, s.attributes, "kv", NestedValue(a));
    AnyValue arr;
    arr.type = ValueType::kArray;
    arr.array_value.Append(a, AnyValue::String("a"));
    arr.array_value.Append(a, AnyValue::String("b"));
    Put(a, s.attributes, "arr", arr);
    s.dropped_attributes_count = static_cast<uint32_t>(k);
    SpanEvent& e = s.events.Append(a);
    e.time_unix_nano = s.start_time_unix_nano + 10;
    e.name = "exception";
    Put(a, e.attributes, "exception.message", AnyValue::String("boom"));
    e.dropped_attributes_count = 3;
    s.dropped_events_count = 4;
    SpanLink& l = s.links.Append(a);
    l.trace_id = s.trace_id;
    l.trace_id.bytes[0] = 0x11;
    l.span_id.bytes[7] = 0x42;
    l.trace_state = "vendor=x";
    l.flags = 1;
    Put(a, l.attributes, "link.kind", AnyValue::String("follows"));
    l.dropped_attributes_count = 5;
    s.dropped_links_count = 6;
    s.status.code = static_cast<StatusCodeValue>(k % 3);
    s.status.message = k % 3 == 2 ? "it failed" : "";
  }
  return t;
}

std::string AsOtlpBefore019(std::string_view request, bool keep_scope_spans) {
  std::string out;
  otlp::wire::Reader top(request, 0);
  uint32_t field;
  otlp::wire::WireType type;
  std::string_view resource_spans, msg;
  while (!top.done() && top.ReadTag(&field, &type) && top.ReadBytes(&resource_spans)) {
    std::string rewritten;
    otlp::wire::Reader r(resource_spans, 0);
    while (!r.done() && r.ReadTag(&field, &type) && r.ReadBytes(&msg)) {
      if (field == 2 && keep_scope_spans) otlp::wire::PutBytes(&rewritten, 2, msg);
      otlp::wire::PutBytes(&rewritten, field == 2 ? 1000 : field, msg);
    }
    otlp::wire::PutBytes(&out, 1, rewritten);
  }
  return out;
}

}  // namespace polytrace::testing
