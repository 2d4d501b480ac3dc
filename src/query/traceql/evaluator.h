// Evaluates a parsed TraceQL query against one assembled trace, and derives
// from it the conditions every match requires (hints), so the store can
// narrow the candidate traces before any is assembled.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/trace_assembly.h"
#include "query/traceql/ast.h"
#include "store/engine/span_filter.h"

namespace polytrace::traceql {

struct TraceContext {
  const analysis::AssembledTrace* trace = nullptr;
  std::string_view root_service_name;  // "" when the root span is missing
  std::string_view root_name;
};

TraceContext MakeContext(const analysis::AssembledTrace& trace);

// Indices (into trace.spans, ascending) of the spans the query selects;
// empty when the trace does not match.
std::vector<int> Evaluate(const SpansetExpr& query, const TraceContext& context);

// Conditions a trace must meet to match: a span with this service, name,
// minimum duration and attribute values. Conservative: a condition is only
// listed when every match needs it.
store::SpanFilter RequiredSpanFilter(const SpansetExpr& query);

// Attribute names the query mentions (shown with each matched span).
std::vector<std::pair<FieldKind, std::string>> ReferencedAttributes(const SpansetExpr& query);

}  // namespace polytrace::traceql
