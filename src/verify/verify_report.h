// How `polytrace verify` prints verdicts: a readable report (PASS/FAIL per
// check, each problem on its own line), or JSON for machines.
#pragma once

#include <ostream>
#include <vector>

#include "otlp/json_writer.h"
#include "verify/verifier.h"

namespace polytrace::verify {

void PrintVerdict(const TraceVerdict& verdict, std::ostream& out);
// {"ok", "traces": [{"traceID", "ok", "spans", "durationNanos", "services",
//  "checks": [{"name", "ok", "problems"}]}], "errors": [...]}
void WriteVerdictsJson(const std::vector<TraceVerdict>& verdicts,
                       const std::vector<std::string>& errors, JsonWriter& w);

}  // namespace polytrace::verify
