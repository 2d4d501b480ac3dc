// The traces a search found, read back for its answer in bounded memory.
//
// A search answer (Jaeger's /api/traces, its v3 trace summaries) carries
// whole traces. Asked for 10^8 of them over 12M stored spans, the Jaeger
// search read every matching trace at once and reserved a KiB of JSON per
// span: 24 GB, and the kernel killed the process. Here the traces are read
// a chunk at a time, newest first, each handed on and dropped, until their
// spans would pass the answer's budget; the rest are left out, as a
// `limit` would leave them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/traces.h"
#include "store/engine/store.h"

namespace polytrace::query {

// Spans a search answer holds at most (about 100 MB of Jaeger JSON).
inline constexpr size_t kMaxSearchAnswerSpans = 100'000;
// Traces a search looks for at most, whatever its `limit` (Tempo's search
// inspects as many candidates at most).
inline constexpr size_t kMaxSearchTraces = 20'000;

struct FoundTracesRead {
  size_t traces = 0;    // handed on
  size_t spans = 0;     // in them
  size_t left_out = 0;  // traces found but not handed on: past the budget
  // When not even the newest trace fit: the budget it passed.
  std::optional<size_t> first_too_big;
};

// The message for an answer whose first trace alone passes the budget.
std::string TooBigForSearch(const TraceId& id, size_t budget);

// Spans read at once where each trace is looked at and dropped (a TraceQL
// search's candidates, tag values under a query, the analysis' candidate
// roots): a trace bigger than this is not read at all.
inline constexpr size_t kMaxTraceReadSpans = 200'000;

// Calls `each(i, trace)` for each of `ids` (i: its index) in order, reading
// at most `max_spans` spans at a time: a run of traces that holds more is
// read in halves, and a trace bigger than that alone is skipped (counted in
// `*skipped`, may be null) instead of built whole (ten million spans would
// take 20 GB).
Status ForEachTraceWithin(const store::Store& store, std::span<const TraceId> ids,
                          const store::SearchReads* reads, size_t max_spans,
                          const std::function<void(size_t, const Traces&)>& each, size_t* skipped);

// Reads the traces of `hits` (in their order) and calls `each` on every one
// still stored, until the next would take the spans handed on past
// `max_spans`. `reads`: what the search kept (may be null).
Result<FoundTracesRead> ReadFoundTraces(const store::Store& store,
                                        const std::vector<store::TraceHit>& hits,
                                        const store::SearchReads* reads, size_t max_spans,
                                        const std::function<void(const Traces&)>& each);

}  // namespace polytrace::query
