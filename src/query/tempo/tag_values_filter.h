// Tempo's tag values under a query (`q`, API v2). Grafana's TraceQL editor
// sends the conditions already typed with each autocomplete request, so the
// values it offers are those of spans meeting them. As Tempo does, only one
// spanset of conditions joined by && is applied, and conditions still being
// typed (`.b =`, `.b = "fo`) are dropped; any other query (||, several
// spansets, a pipeline) filters nothing: every value is offered.
#pragma once

#include <memory>
#include <string_view>

#include "query/traceql/ast.h"

namespace polytrace::query {

// The complete conditions of `q` as one spanset, or null when nothing is to
// be filtered.
std::unique_ptr<traceql::SpansetExpr> TagValuesFilter(std::string_view q);

}  // namespace polytrace::query
