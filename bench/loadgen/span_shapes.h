// Span shapes for load generation and benchmarks.
//   tiny:      2 attributes, no events (a health-check span)
//   realistic: 20 attributes (HTTP, DB, RPC semconv keys), 2 events
//   demo:      the seed article's five services in traces of 8 spans, about
//              10 attributes with realistic cardinality, some events, errors,
//              random IDs and durations, timestamps around now
//   bigtrace:  one trace of every request's spans (kBigTraceId), as loops and
//              batch jobs make them: five services, about 10 attributes, a
//              root with 2,000 children, 50 hubs with thousands each, the
//              rest a ternary tree (depth about 15 at a million spans)
// Every request gets distinct trace/span ids from `seed`.
#pragma once

#include <cstdint>
#include <string>

#include "core/traces.h"

namespace polytrace::bench {

enum class SpanShape { kTiny, kRealistic, kDemo, kBigTrace };

// The trace every bigtrace span belongs to.
inline constexpr char kBigTraceId[] = "b16b16b16b16b16b16b16b16b16b16b1";

// A batch of `spans` spans in traces of 8 spans each, from one service.
Traces MakeBatch(SpanShape shape, size_t spans, uint64_t seed);
Traces MakeDemoBatch(size_t spans, uint64_t seed);
// Spans first..first+spans of the big trace (a span's parent comes before it).
Traces MakeBigTraceBatch(size_t spans, uint64_t first);

}  // namespace polytrace::bench
