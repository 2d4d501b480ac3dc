#include "analysis/trace_assembly.h"

#include <algorithm>
#include <unordered_map>

namespace polytrace::analysis {

AssembledTrace AssembleTrace(const Traces& traces) {
  AssembledTrace out;
  for (const ResourceSpans& rs : traces.resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& s : ss.spans) out.spans.push_back({&s, &rs, &ss});
    }
  }
  if (out.spans.empty()) return out;
  std::stable_sort(out.spans.begin(), out.spans.end(),
                   [](const AssembledSpan& a, const AssembledSpan& b) {
                     if (a.span->start_time_unix_nano != b.span->start_time_unix_nano) {
                       return a.span->start_time_unix_nano < b.span->start_time_unix_nano;
                     }
                     return a.span->span_id < b.span->span_id;
                   });
  out.trace_id = out.spans[0].span->trace_id;
  out.start_nanos = UINT64_MAX;
  std::unordered_map<uint64_t, int> index;
  for (size_t i = 0; i < out.spans.size(); ++i) {
    const Span& s = *out.spans[i].span;
    out.start_nanos = std::min(out.start_nanos, s.start_time_unix_nano);
    out.end_nanos = std::max(out.end_nanos, s.end_time_unix_nano);
    auto [it, inserted] = index.emplace(s.span_id.Key(), static_cast<int>(i));
    out.spans[i].duplicate = !inserted;
  }
  for (size_t i = 0; i < out.spans.size(); ++i) {
    AssembledSpan& a = out.spans[i];
    if (a.span->parent_span_id.IsZero()) {
      if (out.root < 0) out.root = static_cast<int>(i);
      continue;
    }
    auto it = index.find(a.span->parent_span_id.Key());
    if (it == index.end() || it->second == static_cast<int>(i)) {
      a.orphan = true;
    } else {
      a.parent = it->second;
    }
  }
  return out;
}

}  // namespace polytrace::analysis
