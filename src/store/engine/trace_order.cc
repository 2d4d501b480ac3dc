#include "store/engine/trace_order.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "store/table/value_codec.h"

namespace polytrace::store {

namespace {

bool SpanBefore(const Span& a, const Span& b) {
  return std::tie(a.start_time_unix_nano, a.span_id, a.end_time_unix_nano, a.name) <
         std::tie(b.start_time_unix_nano, b.span_id, b.end_time_unix_nano, b.name);
}

void SortSpans(ArenaVec<Span>& spans) {
  if (!std::is_sorted(spans.begin(), spans.end(), SpanBefore)) {
    std::sort(spans.begin(), spans.end(), SpanBefore);
  }
}

}  // namespace

void OrderTrace(Traces* trace) {
  ArenaVec<ResourceSpans>& entries = trace->resource_spans();
  // The common case, a trace read from one tier with one origin.
  if (entries.size() == 1 && entries[0].scope_spans.size() == 1) {
    SortSpans(entries[0].scope_spans[0].spans);
    return;
  }
  Arena& arena = trace->arena();
  // One entry per distinct origin, its spans gathered from every entry
  // (and every scope of an entry) with that origin. A big trace comes in
  // hundreds of pieces of one origin: their spans are copied once, into
  // room for all of them (appending piece by piece recopied what was
  // gathered so far, quadratic: a third of a 100k-span trace's analysis).
  ArenaVec<ResourceSpans> merged;
  std::vector<std::string> origins;  // merged[i]'s, which breaks ties between entries
  std::vector<std::vector<const ScopeSpans*>> parts;  // merged[i]'s scopes
  absl::flat_hash_map<std::string, size_t> by_origin;
  std::string key;
  for (const ResourceSpans& rs : entries) {
    for (const ScopeSpans& ss : rs.scope_spans) {
      if (ss.spans.empty()) continue;
      key.clear();
      EncodeOrigin(rs, ss, &key);
      auto [it, inserted] = by_origin.emplace(key, merged.size());
      if (inserted) {
        ResourceSpans& fresh = merged.Append(arena, rs);
        fresh.scope_spans = {};
        fresh.scope_spans.Append(arena, ss);
        origins.push_back(key);
        parts.emplace_back();
      }
      parts[it->second].push_back(&ss);
    }
  }
  for (size_t i = 0; i < merged.size(); ++i) {
    if (parts[i].size() == 1) continue;  // its spans are already the entry's
    size_t total = 0;
    for (const ScopeSpans* ss : parts[i]) total += ss->spans.size();
    ArenaVec<Span> combined;
    combined.Reserve(arena, total);
    for (const ScopeSpans* ss : parts[i]) {
      for (const Span& s : ss->spans) combined.Append(arena, s);
    }
    merged[i].scope_spans[0].spans = combined;
  }
  for (ResourceSpans& rs : merged) SortSpans(rs.scope_spans[0].spans);
  std::vector<size_t> order(merged.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Span& first_a = merged[a].scope_spans[0].spans[0];
    const Span& first_b = merged[b].scope_spans[0].spans[0];
    if (SpanBefore(first_a, first_b)) return true;
    if (SpanBefore(first_b, first_a)) return false;
    return origins[a] < origins[b];
  });
  ArenaVec<ResourceSpans> ordered;
  ordered.Reserve(arena, merged.size());
  for (size_t i : order) ordered.Append(arena, merged[i]);
  entries = ordered;
}

}  // namespace polytrace::store
