// A batch that exercises every field of the span model: all AnyValue types
// (nested arrays and kvlists, bytes, empty and non-ASCII strings), events,
// links with trace_state and flags, every kind and status, dropped counts,
// schema URLs, scope attributes, zero-length and very long spans.
#pragma once

#include "core/traces.h"

namespace polytrace::testing {

Traces MakeKitchenSinkTraces();

}  // namespace polytrace::testing
