// A subset of OTTL (the Collector's transformation language) for boolean
// conditions on spans, as the `filter` processor's `traces.span` uses them:
//
//   name == "GET /health" and kind == SPAN_KIND_SERVER
//   attributes["http.status_code"] >= 500 or status.code == STATUS_CODE_ERROR
//   resource.attributes["service.name"] != nil and not IsMatch(name, "^internal\\.")
//   end_time_unix_nano - start_time_unix_nano < 1000000
//
// Paths: name, kind, status.code, status.message, attributes["k"],
// resource.attributes["k"], instrumentation_scope.name/.version,
// start_time_unix_nano, end_time_unix_nano, trace_id.string, span_id.string,
// parent_span_id.string, trace_state, dropped_*_count. Literals: strings,
// integers, floats, true/false, nil, SPAN_KIND_* and STATUS_CODE_* enums.
// Operators: == != < <= > >= + -, and, or, not, parentheses; functions
// IsMatch(value, "regex"). Parse errors name the column.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "core/traces.h"

namespace polytrace::ottl {

struct SpanContext {
  const ResourceSpans& resource;
  const ScopeSpans& scope;
  const Span& span;
};

class Node;

class Condition {
 public:
  static Result<Condition> Parse(const std::string& text);
  // Errors (e.g. comparing a string with <) are reported, not guessed.
  Result<bool> Evaluate(const SpanContext& ctx) const;
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

}  // namespace polytrace::ottl
