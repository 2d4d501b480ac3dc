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
#include <span>

#include "core/status.h"
#include "net/http_server.h"
#include "query/answer_budget.h"
#include "query/found_traces.h"
#include "store/engine/store.h"

namespace polytrace::query {

enum class TraceForm {
  kOtlpProto,     // tempopb.Trace: an OTLP TracesData, repeated ResourceSpans = 1
  kTempoV2Proto,  // TraceByIDResponse { Trace trace = 1 }
  kTempoV2Json,   // {"trace": OTLP JSON}
  kJaegerV3Json,  // {"result": OTLP JSON}
  kJaegerJson,    // {"data": [the Jaeger trace], "total": 1, ...}
  kColumns,       // the web UI's typed columns (query/trace_columns.h)
};

// 200 with trace `id` in `form`; nullopt when the store holds no span of
// it; the store's error when a read failed before the answer began (once
// streaming, a failed read cuts the body short). The store must outlive
// the answer. A streamed answer holds its part of `budget` (if given)
// while it is sent: no room is Unavailable (answered 503, retry).
Result<std::optional<HttpResponse>> AnswerTrace(
    const store::Store& store, const TraceId& id, TraceForm form, AnswerBudget* budget = nullptr,
    size_t piece_spans = store::TraceReader::kPieceSpans);

// Jaeger's /api/traces?traceID=a&traceID=b: the traces asked (a repeated ID
// once), in the order asked, in one Jaeger answer; an ID the store holds no
// span of is named in its "errors" ("trace not found"), as Jaeger's is. As
// a search's answer, it holds at most `max_spans` spans: the traces past
// them are left out, and a first trace bigger alone is a 422 naming it
// (/api/traces/{id} answers any). Traces of a piece in all are answered in
// one body; more are streamed a piece of a trace at a time as the client
// reads, holding their part of `budget`.
Result<HttpResponse> AnswerJaegerTraces(const store::Store& store, std::span<const TraceId> ids,
                                        AnswerBudget* budget = nullptr,
                                        size_t piece_spans = store::TraceReader::kPieceSpans,
                                        size_t max_spans = kMaxSearchAnswerSpans);

}  // namespace polytrace::query
