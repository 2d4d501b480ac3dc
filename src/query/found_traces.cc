#include "query/found_traces.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

namespace polytrace::query {

std::string TooBigForSearch(const TraceId& id, size_t spans) {
  return fmt::format(
      "trace {} has {} spans, more than an answer of several traces holds ({}): "
      "open it alone, by its ID (/api/traces/{{id}})",
      id.ToHex(), spans, kMaxSearchAnswerSpans);
}

Result<FoundTracesRead> ReadFoundTraces(const store::Store& store,
                                        const std::vector<store::TraceHit>& hits,
                                        const store::SearchReads* reads, size_t max_spans,
                                        const std::function<void(const Traces&)>& each) {
  // Traces sharing a row group still come from one read within a chunk.
  constexpr size_t kChunk = 256;
  std::vector<TraceId> ids = store::TraceIdsOf(hits);
  FoundTracesRead out;
  for (size_t begin = 0; begin < ids.size(); begin += kChunk) {
    size_t n = std::min(kChunk, ids.size() - begin);
    Result<std::vector<Traces>> traces =
        store.GetTraces(std::span<const TraceId>(ids).subspan(begin, n), reads);
    if (!traces.ok()) return traces.status();
    for (size_t i = 0; i < traces->size(); ++i) {
      const Traces& trace = (*traces)[i];
      if (trace.empty()) continue;  // deleted by retention since the search
      size_t spans = trace.SpanCount();
      if (out.spans + spans > max_spans) {
        if (out.traces == 0) out.first_too_big = spans;
        out.left_out = ids.size() - (begin + i);
        return out;
      }
      each(trace);
      ++out.traces;
      out.spans += spans;
    }
  }
  return out;
}

}  // namespace polytrace::query
