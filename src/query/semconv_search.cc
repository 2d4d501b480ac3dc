#include "query/semconv_search.h"

#include <algorithm>
#include <map>

#include "semconv/semconv_keys.h"

namespace polytrace::query {

std::vector<store::SpanFilter> GenerationVariants(const store::SpanFilter& filter) {
  std::vector<store::SpanFilter> variants = {filter};
  for (size_t i = 0; i < filter.tags.size(); ++i) {
    std::vector<std::string_view> others = semconv::EquivalentKeys(filter.tags[i].first);
    if (others.empty() || variants.size() * (others.size() + 1) > kMaxVariants) continue;
    std::vector<store::SpanFilter> grown;
    for (const store::SpanFilter& v : variants) {
      grown.push_back(v);
      for (std::string_view key : others) {
        store::SpanFilter alt = v;
        alt.tags[i].first = std::string(key);
        grown.push_back(std::move(alt));
      }
    }
    variants = std::move(grown);
  }
  return variants;
}

Result<std::vector<store::TraceHit>> FindTracesEitherGeneration(const store::Store& store,
                                                                const store::SpanFilter& filter,
                                                                size_t limit,
                                                                store::SearchReads* reads,
                                                                store::SearchOrder order) {
  std::vector<store::SpanFilter> variants = GenerationVariants(filter);
  if (variants.size() == 1) return store.FindTraces(filter, limit, reads, order);
  // Each variant's newest `limit` hold the union's newest `limit` (and in
  // kFirstFound, any `limit` of theirs are matches).
  std::map<TraceId, uint64_t> latest;
  for (const store::SpanFilter& v : variants) {
    Result<std::vector<store::TraceHit>> hits = store.FindTraces(v, limit, reads, order);
    if (!hits.ok()) return hits.status();
    for (const store::TraceHit& hit : *hits) {
      uint64_t& start = latest[hit.trace_id];
      start = std::max(start, hit.start_nanos);
    }
  }
  std::vector<store::TraceHit> out;
  out.reserve(latest.size());
  for (const auto& [id, start] : latest) out.push_back({id, start});
  std::sort(out.begin(), out.end(), [](const store::TraceHit& a, const store::TraceHit& b) {
    return a.start_nanos != b.start_nanos ? a.start_nanos > b.start_nanos : a.trace_id < b.trace_id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace polytrace::query
