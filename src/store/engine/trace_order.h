// OrderTrace: one trace read from the store in the same shape whichever
// tiers hold it. A trace is materialized tier by tier (heads in arrival
// order, then segments sorted by start), so before ordering, the same spans
// came back in a different order, and under one resource entry per tier,
// once a seal or a compaction moved some of them: the Jaeger and Tempo
// answers, the CLI's output and an exported file changed although nothing
// in the trace did.
#pragma once

#include "core/traces.h"

namespace polytrace::store {

// Puts `trace` in its canonical shape: one resource entry per distinct
// origin (resource, scope and their schema URLs), each with one scope;
// spans ordered by (start time, span ID); entries by their first span.
void OrderTrace(Traces* trace);

}  // namespace polytrace::store
