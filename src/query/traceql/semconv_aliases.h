// TraceQL that finds a key under either semantic-conventions generation:
// `{ span.http.response.status_code = 500 }` also selects spans that carry
// `http.status_code = 500`, as written by instrumentations on the old
// conventions (see query/semconv_search.h; switched off with
// `semconv_aliases: false`).
#pragma once

#include "query/traceql/ast.h"

namespace polytrace::traceql {

// Rewrites each comparison on an attribute that has equivalents
// (semconv::EquivalentKeys) into the disjunction of the same comparison on
// every equivalent key (`= nil`, "has none of them", into the conjunction).
// Adds at most a few levels to the tree's depth.
void AliasSemconvGenerations(SpansetExpr& query);

}  // namespace polytrace::traceql
