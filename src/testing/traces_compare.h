// Order-insensitive comparison of batches: each span rendered as one OTLP
// JSON line together with its resource and scope. Two batches hold the same
// spans exactly when their canonical multisets are equal, however the spans
// are grouped or ordered.
#pragma once

#include <set>
#include <string>

#include "core/traces.h"

namespace polytrace::testing {

std::multiset<std::string> CanonicalSpans(const Traces& traces);

// `key="string", key=42, ...` in attribute order: exact, so an assertion
// fails on a changed value, a changed type, a missing or an extra attribute.
std::string RenderAttributes(const Attributes& attributes);

}  // namespace polytrace::testing
