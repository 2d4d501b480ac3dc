// The warnings Jaeger's query service attaches to spans, worded as the
// pinned Jaeger v2 (bench/jaeger/go.mod) words them, so that a Jaeger
// client sees the same answer from polytrace: a span that does not end
// after it starts (its ingest sanitizer), a parent not in the trace and a
// span ID seen twice, and the clock-skew delta its adjuster would apply to a
// span whose host's clock disagrees with its parent's (adjustment is off by
// default: it only says so).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/trace_assembly.h"
#include "core/ids.h"

namespace polytrace::query {

// Go's time.Time.String() of a Unix time in UTC:
// "2006-01-02 15:04:05.999999999 +0000 UTC".
std::string GoTimeString(uint64_t unix_nanos);
// Go's time.Duration.String(): "0s", "800ns", "1.5µs", "12.5ms", "1m30.5s", "1h0m0s".
std::string GoDurationString(int64_t nanos);

std::string NegativeDurationWarning(uint64_t start_unix_nanos, uint64_t end_unix_nanos);
std::string OrphanWarning(const SpanId& parent);
std::string DuplicateSpanIdWarning();
std::string ClockSkewWarning(int64_t delta_nanos);

// Per span of `trace` (its order), the delta Jaeger's clock-skew adjuster
// computes for it, 0 for none: walking down from each root (a span without
// a parent in the trace), a span on another host than the one its delta
// came from (resource host.id, else host.ip, else host.name; no host is
// always another) is compared with its parent: fitting inside it, 0; else
// shifted so that the parent's spare time is split evenly on both sides (a
// longer child only so as not to start first). Spans on the same host carry
// their ancestor's delta. Duplicates (a later span with an earlier one's ID)
// take no part.
std::vector<int64_t> JaegerClockSkewDeltas(const analysis::AssembledTrace& trace);

}  // namespace polytrace::query
