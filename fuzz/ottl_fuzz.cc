// OTTL conditions (the filter processor): any text parses or gets an error;
// a parsed condition evaluates over a span without crashing.
#include <cstdint>
#include <string>

#include "processors/filter/ottl.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto condition = ottl::Condition::Parse(text);
  if (!condition.ok()) return 0;
  static Traces* traces = [] {
    auto* t = new Traces();
    Arena& a = t->arena();
    ResourceSpans& rs = t->resource_spans().Append(a);
    rs.resource.attributes.Append(a, {kServiceNameKey, AnyValue::String("checkout")});
    Span& s = rs.scope_spans.Append(a).spans.Append(a);
    s.name = "GET /health";
    s.kind = SpanKind::kServer;
    s.start_time_unix_nano = 1000;
    s.end_time_unix_nano = 5000;
    s.attributes.Append(a, {"http.status_code", AnyValue::Int(503)});
    s.attributes.Append(a, {"http.url", AnyValue::String("https://example.com/health")});
    return t;
  }();
  const ResourceSpans& rs = traces->resource_spans()[0];
  ottl::SpanContext ctx{rs, rs.scope_spans[0], rs.scope_spans[0].spans[0]};
  (void)condition->Evaluate(ctx);  // errors (a string compared with <) are answers too
  return 0;
}
