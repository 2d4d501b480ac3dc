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

FoundTracesReader::FoundTracesReader(const store::Store& store,
                                     const std::vector<store::TraceHit>& hits,
                                     const store::SearchReads* reads, size_t max_spans)
    : store_(store), ids_(store::TraceIdsOf(hits)), reads_(reads), max_spans_(max_spans) {}

Result<bool> FoundTracesReader::Next(const std::function<void(const Traces&)>& each) {
  // Traces sharing a row group still come from one read within a chunk.
  constexpr size_t kChunk = 256;
  if (next_ >= ids_.size()) return false;
  size_t begin = next_;
  size_t n = std::min(kChunk, ids_.size() - begin);
  Result<std::vector<Traces>> traces =
      store_.GetTraces(std::span<const TraceId>(ids_).subspan(begin, n), reads_);
  if (!traces.ok()) return traces.status();
  for (size_t i = 0; i < traces->size(); ++i) {
    const Traces& trace = (*traces)[i];
    if (trace.empty()) continue;  // deleted by retention since the search
    size_t spans = trace.SpanCount();
    if (read_.spans + spans > max_spans_) {
      if (read_.traces == 0) read_.first_too_big = spans;
      read_.left_out = ids_.size() - (begin + i);
      next_ = ids_.size();
      return false;
    }
    each(trace);
    ++read_.traces;
    read_.spans += spans;
  }
  next_ = begin + n;
  return next_ < ids_.size();
}

Result<FoundTracesRead> ReadFoundTraces(const store::Store& store,
                                        const std::vector<store::TraceHit>& hits,
                                        const store::SearchReads* reads, size_t max_spans,
                                        const std::function<void(const Traces&)>& each) {
  FoundTracesReader reader(store, hits, reads, max_spans);
  for (;;) {
    Result<bool> more = reader.Next(each);
    if (!more.ok()) return more.status();
    if (!*more) return reader.read();
  }
}

}  // namespace polytrace::query
