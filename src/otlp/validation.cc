#include "otlp/validation.h"

#include <fmt/format.h>

namespace polytrace::otlp {
namespace {

constexpr int kMaxNamedOffenders = 3;

const char* Problem(const Span& s) {
  if (s.trace_id.IsZero()) return "trace_id is all zero or missing";
  if (s.span_id.IsZero()) return "span_id is all zero or missing";
  return nullptr;
}

}  // namespace

Rejection RemoveInvalidSpans(Traces* traces) {
  Rejection rejection;
  // Read-only first: mutable access would forget the batch's wire form.
  const Traces& scan = *traces;
  bool any_invalid = false;
  for (const ResourceSpans& rs : scan.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) any_invalid = any_invalid || Problem(span) != nullptr;
    }
  }
  if (!any_invalid) return rejection;
  std::vector<std::string> offenders;
  for (size_t r = 0; r < traces->resource_spans().size(); ++r) {
    ResourceSpans& rs = traces->resource_spans()[r];
    for (size_t s = 0; s < rs.scope_spans.size(); ++s) {
      ArenaVec<Span>& spans = rs.scope_spans[s].spans;
      size_t index = 0;
      rejection.rejected_spans += spans.RemoveIf([&](const Span& span) {
        const char* problem = Problem(span);
        if (problem && offenders.size() < kMaxNamedOffenders) {
          offenders.push_back(
              fmt::format("span \"{}\" (resource_spans[{}].scope_spans[{}].spans[{}]): {}",
                          span.name, r, s, index, problem));
        }
        ++index;
        return problem != nullptr;
      });
    }
  }
  if (rejection.rejected_spans == 0) return rejection;
  traces->RemoveEmpty();
  rejection.error_message = fmt::format("{} invalid span{} rejected: ", rejection.rejected_spans,
                                        rejection.rejected_spans == 1 ? "" : "s");
  for (size_t i = 0; i < offenders.size(); ++i) {
    rejection.error_message += (i ? "; " : "") + offenders[i];
  }
  if (rejection.rejected_spans > kMaxNamedOffenders) rejection.error_message += "; ...";
  return rejection;
}

}  // namespace polytrace::otlp
