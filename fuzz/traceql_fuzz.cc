// TraceQL: any query text parses or gets an error; a parsed query evaluates
// over a small trace and plans its store filter without crashing.
#include <cstdint>
#include <string_view>

#include "analysis/trace_assembly.h"
#include "query/traceql/evaluator.h"
#include "query/traceql/parser.h"
#include "query/traceql/semconv_aliases.h"

using namespace polytrace;

namespace {

const analysis::AssembledTrace& SampleTrace() {
  static Traces* traces = [] {
    auto* t = new Traces();
    Arena& a = t->arena();
    for (uint8_t id = 1; id <= 4; ++id) {
      ResourceSpans& rs = t->resource_spans().Append(a);
      rs.resource.attributes.Append(
          a, {kServiceNameKey, AnyValue::String(id % 2 ? "gateway" : "payments")});
      Span& s = rs.scope_spans.Append(a).spans.Append(a);
      s.trace_id.bytes[0] = 7;
      s.span_id.bytes[7] = id;
      s.parent_span_id.bytes[7] = id - 1;
      s.name = id % 2 ? "GET /checkout" : "charge";
      s.kind = id % 2 ? SpanKind::kServer : SpanKind::kClient;
      s.start_time_unix_nano = 1'000'000'000ull * id;
      s.end_time_unix_nano = s.start_time_unix_nano + 5'000'000ull * id;
      s.status.code = id == 4 ? StatusCodeValue::kError : StatusCodeValue::kUnset;
      s.attributes.Append(a, {"http.status_code", AnyValue::Int(200 + 100 * id)});
      s.attributes.Append(a, {"http.url", AnyValue::String("https://example.com/aaaaaaaa")});
      s.attributes.Append(a, {"cache.hit", AnyValue::Bool(id % 2 == 0)});
    }
    return t;
  }();
  static auto* assembled = new analysis::AssembledTrace(analysis::AssembleTrace(*traces));
  return *assembled;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto parsed = traceql::Parse(query);
  if (!parsed.ok()) {
    if (parsed.status().code() != StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  traceql::Evaluate(**parsed, traceql::MakeContext(SampleTrace()));
  traceql::RequiredSpanFilter(**parsed);
  // As the query API runs it by default (semconv_aliases): the rewritten
  // tree must evaluate too, however the conditions nest.
  traceql::AliasSemconvGenerations(**parsed);
  traceql::Evaluate(**parsed, traceql::MakeContext(SampleTrace()));
  return 0;
}
