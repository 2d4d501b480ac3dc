// Jaeger's answers of several traces: its search (/api/traces?service=…)
// and its search by IDs (/api/traces?traceID=…&traceID=…), in bounded
// memory. Small traces are read and written a run at a time (at most 256
// traces and `run_spans` spans, read together where they share row
// groups); a trace bigger than a run is written a piece at a time
// (query/trace_pieces.h), as /api/traces/{id} writes it. An answer of one
// run (almost every) is sent whole; a longer one is streamed as the client
// reads it, holding a streamed answer's part of the answers' budget.
//
// An answer holds at most `max_spans` spans: the traces past them are left
// out, as a `limit` would leave them, and a first trace bigger alone is a
// 422 naming it (/api/traces/{id} answers any size). Built whole, a search's
// 100,000 spans (120 MB of JSON) rose the server's memory by 150-170 MiB,
// and 60 clients asking a 90,000-span trace by traceID= and reading nothing
// held 3 GB.
#pragma once

#include <vector>

#include "core/status.h"
#include "net/http_server.h"
#include "query/answer_budget.h"
#include "query/found_traces.h"
#include "store/engine/store.h"

namespace polytrace::query {

struct JaegerTracesLimits {
  size_t run_spans = 8'192;  // small traces read and written together, at most (~10 MB of JSON)
  size_t piece_spans = store::TraceReader::kPieceSpans;  // a bigger trace's pieces
  size_t max_spans = kMaxSearchAnswerSpans;              // in the whole answer
};

// The traces `ids`, in that order, in Jaeger's envelope ({"data": [...],
// "total": N, ...}). `reads`: what the search kept of them (may be empty).
// With `name_missing`, an ID the store holds no span of is named in
// "errors" ({"msg": "trace not found", "traceID": ...}), as Jaeger names
// it (a search's trace deleted since is left out without a word). Past
// `budget`: Unavailable (answered 503, retry).
Result<HttpResponse> AnswerJaegerTraces(const store::Store& store, std::vector<TraceId> ids,
                                        store::SearchReads reads, bool name_missing,
                                        AnswerBudget* budget, JaegerTracesLimits limits = {});

}  // namespace polytrace::query
