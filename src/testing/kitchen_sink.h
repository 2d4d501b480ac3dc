// A batch that exercises every field of the span model: all AnyValue types
// (nested arrays and kvlists, bytes, empty and non-ASCII strings), events,
// links with trace_state and flags, every kind and status, dropped counts,
// schema URLs, scope attributes, zero-length and very long spans.
#pragma once

#include <string>
#include <string_view>

#include "core/traces.h"

namespace polytrace::testing {

Traces MakeKitchenSinkTraces();

// An ExportTraceServiceRequest as an SDK from before OTLP 0.19 sends it:
// every ResourceSpans.scope_spans (field 2) renamed instrumentation_library_spans
// (field 1000), everything else byte for byte. With `keep_scope_spans`, both.
std::string AsOtlpBefore019(std::string_view request, bool keep_scope_spans = false);

}  // namespace polytrace::testing
