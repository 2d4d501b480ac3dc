// Searches that find a key under either semantic-conventions generation: a
// search for http.response.status_code=500 also finds spans that carry
// http.status_code=500 (an instrumentation on the old conventions), and the
// other way round; likewise db.query.text / db.statement, server.address /
// net.peer.name, ... (semconv::EquivalentKeys: pairs whose value carries over
// unchanged). On by default; `semconv_aliases: false` on the polytrace_query
// extension asks for exact keys only.
#pragma once

#include <vector>

#include "core/status.h"
#include "store/engine/span_filter.h"
#include "store/engine/store.h"

namespace polytrace::query {

class AnswerBudget;

struct QueryOptions {
  bool semconv_aliases = true;
  // The memory budget of answers waiting for their clients (QueryService's,
  // query/answer_budget.h); none: unbounded.
  AnswerBudget* answer_budget = nullptr;
  // Answers that read much of the store worked out at once, and waiting for
  // their turn at most (query/heavy_turns.h): together fewer than the query
  // API's threads.
  int heavy_running = 4;
  int heavy_waiting = 60;
};

// The tag filters to search instead of `filter`, one per combination of
// each tag's key and its equivalents (just `filter` when no tag has any). A
// span matches `filter` under either generation when it matches one of them.
// At most kMaxVariants: past that, the later tags keep their exact keys.
inline constexpr size_t kMaxVariants = 16;
std::vector<store::SpanFilter> GenerationVariants(const store::SpanFilter& filter);

// store.FindTraces over every variant, merged: newest first, at most `limit`.
// `reads` and `order`: as store.FindTraces's.
Result<std::vector<store::TraceHit>> FindTracesEitherGeneration(
    const store::Store& store, const store::SpanFilter& filter, size_t limit,
    store::SearchReads* reads = nullptr, store::SearchOrder order = store::SearchOrder::kNewest);

// FindTraces as `options` say.
inline Result<std::vector<store::TraceHit>> FindTraces(
    const store::Store& store, const store::SpanFilter& filter, size_t limit,
    const QueryOptions& options, store::SearchReads* reads = nullptr,
    store::SearchOrder order = store::SearchOrder::kNewest) {
  return options.semconv_aliases ? FindTracesEitherGeneration(store, filter, limit, reads, order)
                                 : store.FindTraces(filter, limit, reads, order);
}

}  // namespace polytrace::query
