#include "query/found_traces.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

namespace polytrace::query {

std::string TooBigForSearch(const TraceId& id, size_t budget) {
  return fmt::format(
      "trace {} has more than {} spans, more than an answer of several traces holds: "
      "open it alone, by its ID (/api/traces/{{id}})",
      id.ToHex(), budget);
}

namespace {

Status ForEachFrom(const store::Store& store, std::span<const TraceId> ids, size_t first,
                   const store::SearchReads* reads, size_t max_spans,
                   const std::function<void(size_t, const Traces&)>& each, size_t* skipped) {
  if (ids.empty()) return Status::Ok();
  Result<std::vector<Traces>> traces = store.GetTraces(ids, reads, max_spans);
  if (traces.status().code() == StatusCode::kResourceExhausted) {
    if (ids.size() == 1) {
      if (skipped != nullptr) ++*skipped;
      return Status::Ok();
    }
    size_t half = ids.size() / 2;
    POLYTRACE_RETURN_IF_ERROR(
        ForEachFrom(store, ids.first(half), first, reads, max_spans, each, skipped));
    return ForEachFrom(store, ids.subspan(half), first + half, reads, max_spans, each, skipped);
  }
  if (!traces.ok()) return traces.status();
  for (size_t i = 0; i < traces->size(); ++i) each(first + i, (*traces)[i]);
  return Status::Ok();
}

// ReadFoundTraces' read, a chunk at a time.
class FoundTracesReader {
 public:
  // `reads` (may be null) must outlive the reader.
  FoundTracesReader(const store::Store& store, const std::vector<store::TraceHit>& hits,
                    const store::SearchReads* reads, size_t max_spans);
  // Reads the next chunk of traces and calls `each` on each that fits the
  // budget. False once nothing is left to read (every trace handed on, or
  // the budget reached).
  Result<bool> Next(const std::function<void(const Traces&)>& each);
  const FoundTracesRead& read() const { return read_; }

 private:
  // Hands on the traces ids_[begin, begin + n) that fit, in order; at the
  // first that does not, ends the read (ended_).
  Status HandOn(size_t begin, size_t n, const std::function<void(const Traces&)>& each);

  const store::Store& store_;
  std::vector<TraceId> ids_;
  const store::SearchReads* reads_;
  size_t max_spans_;
  size_t next_ = 0;     // index in ids_ of the next chunk
  bool ended_ = false;  // a trace passed the budget
  FoundTracesRead read_;
};

FoundTracesReader::FoundTracesReader(const store::Store& store,
                                     const std::vector<store::TraceHit>& hits,
                                     const store::SearchReads* reads, size_t max_spans)
    : store_(store), ids_(store::TraceIdsOf(hits)), reads_(reads), max_spans_(max_spans) {}

Result<bool> FoundTracesReader::Next(const std::function<void(const Traces&)>& each) {
  // Traces sharing a row group still come from one read within a chunk.
  constexpr size_t kChunk = 256;
  if (ended_ || next_ >= ids_.size()) return false;
  size_t begin = next_;
  size_t n = std::min(kChunk, ids_.size() - begin);
  next_ = begin + n;
  if (Status st = HandOn(begin, n, each); !st.ok()) return st;
  return !ended_ && next_ < ids_.size();
}

Status FoundTracesReader::HandOn(size_t begin, size_t n,
                                 const std::function<void(const Traces&)>& each) {
  // The store stops before it makes more spans than the budget has room
  // for: a trace of ten million spans is never built to learn it does not
  // fit. Then the traces are read in halves, down to the one that passes.
  size_t room = max_spans_ - read_.spans;
  Result<std::vector<Traces>> traces =
      store_.GetTraces(std::span<const TraceId>(ids_).subspan(begin, n), reads_, room);
  if (traces.status().code() == StatusCode::kResourceExhausted) {
    if (n > 1) {
      size_t half = n / 2;
      if (Status st = HandOn(begin, half, each); !st.ok() || ended_) return st;
      return HandOn(begin + half, n - half, each);
    }
    if (read_.traces == 0) read_.first_too_big = max_spans_;
    read_.left_out = ids_.size() - begin;
    ended_ = true;
    return Status::Ok();
  }
  if (!traces.ok()) return traces.status();
  for (const Traces& trace : *traces) {
    if (trace.empty()) continue;  // deleted by retention since the search
    each(trace);
    ++read_.traces;
    read_.spans += trace.SpanCount();
  }
  return Status::Ok();
}

}  // namespace

Status ForEachTraceWithin(const store::Store& store, std::span<const TraceId> ids,
                          const store::SearchReads* reads, size_t max_spans,
                          const std::function<void(size_t, const Traces&)>& each, size_t* skipped) {
  return ForEachFrom(store, ids, 0, reads, max_spans, each, skipped);
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
