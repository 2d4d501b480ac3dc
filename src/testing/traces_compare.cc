#include "testing/traces_compare.h"

#include "otlp/json_codec.h"

namespace polytrace::testing {

std::multiset<std::string> CanonicalSpans(const Traces& traces) {
  std::multiset<std::string> out;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        Traces one;
        Arena& arena = one.arena();
        ResourceSpans& rs_copy = one.resource_spans().Append(arena);
        rs_copy.resource = rs.resource;
        rs_copy.schema_url = rs.schema_url;
        ScopeSpans& ss_copy = rs_copy.scope_spans.Append(arena);
        ss_copy.scope = ss.scope;
        ss_copy.schema_url = ss.schema_url;
        ss_copy.spans.Append(arena, span);
        out.insert(otlp::EncodeTracesJson(one));
      }
    }
  }
  return out;
}

std::string RenderAttributes(const Attributes& attributes) {
  std::string out;
  for (const KeyValue& kv : attributes) {
    if (!out.empty()) out += ", ";
    std::string value = ValueToString(kv.value);
    if (kv.value.type == ValueType::kString) value = "\"" + value + "\"";
    out += std::string(kv.key) + "=" + value;
  }
  return out;
}

}  // namespace polytrace::testing
