#include "store/engine/head_block.h"

#include <algorithm>

namespace polytrace::store {

std::vector<uint32_t> HeadBlock::SortedRows() const {
  std::vector<const std::pair<const TraceId, TraceRows>*> traces;
  traces.reserve(index_.size());
  for (const auto& entry : index_) traces.push_back(&entry);
  std::sort(traces.begin(), traces.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<uint32_t> order;
  order.reserve(table_.rows());
  const SpanTable& t = table_;
  for (const auto* trace : traces) {
    size_t begin = order.size();
    order.insert(order.end(), trace->second.begin(), trace->second.end());
    std::sort(order.begin() + begin, order.end(), [&](uint32_t a, uint32_t b) {
      if (t.start[a] != t.start[b]) return t.start[a] < t.start[b];
      if (t.span_id[a] != t.span_id[b]) return t.span_id[a] < t.span_id[b];
      return a < b;
    });
  }
  return order;
}

}  // namespace polytrace::store
