// The trace-by-ID answers (Jaeger's /api/traces/{id} and its v3 API,
// Tempo's /api/traces/{id} and /api/v2/traces/{id}) made from the store a
// piece of the trace at a time (store::TraceReader) and streamed as the
// client reads them: a trace of a million spans is held whole neither by
// the store nor in the answer. A trace that fits in one piece (almost every
// trace) is answered in one body, exactly as GetTrace's whole trace.
//
// A streamed answer differs from a whole one only in order: spans are
// ordered within each piece, not across the trace (OTLP lets a resource
// appear in several ResourceSpans; Jaeger's spans carry their own times).
// Jaeger's orphan warnings still see the whole trace (its span IDs are read
// first, ID columns only); a duplicate span ID is flagged after its first
// appearance in the answer.
#pragma once

#include <optional>

#include "core/status.h"
#include "net/http_server.h"
#include "query/answer_budget.h"
#include "query/trace_pieces.h"
#include "store/engine/store.h"

namespace polytrace::query {

// 200 with trace `id` in `form`; nullopt when the store holds no span of
// it; the store's error when a read failed before the answer began (once
// streaming, a failed read cuts the body short). The store must outlive
// the answer. A streamed answer holds its part of `budget` (if given)
// while it is sent: no room is Unavailable (answered 503, retry).
Result<std::optional<HttpResponse>> AnswerTrace(
    const store::Store& store, const TraceId& id, TraceForm form, AnswerBudget* budget = nullptr,
    size_t piece_spans = store::TraceReader::kPieceSpans);

}  // namespace polytrace::query
