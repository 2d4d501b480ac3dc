// Span shapes for load generation and benchmarks.
//   tiny:      2 attributes, no events (a health-check span)
//   realistic: 20 attributes (HTTP, DB, RPC semconv keys), 2 events
//   demo:      the seed article's five services in traces of 8 spans, about
//              10 attributes with realistic cardinality, some events, errors,
//              random IDs and durations, timestamps around now
// Every request gets distinct trace/span ids from `seed`.
#pragma once

#include <cstdint>
#include <string>

#include "core/traces.h"

namespace polytrace::bench {

enum class SpanShape { kTiny, kRealistic, kDemo };

// A batch of `spans` spans in traces of 8 spans each, from one service.
Traces MakeBatch(SpanShape shape, size_t spans, uint64_t seed);
Traces MakeDemoBatch(size_t spans, uint64_t seed);

}  // namespace polytrace::bench
