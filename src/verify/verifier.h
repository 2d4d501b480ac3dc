// Holds one assembled trace and its analysis against Expectations: each
// expectation becomes a check that passes or lists what is wrong, naming
// spans, services and hops. Printing is separate (verify_report.h).
#pragma once

#include <string>
#include <vector>

#include "analysis/trace_analysis.h"
#include "verify/expectations.h"

namespace polytrace::verify {

struct CheckResult {
  std::string name;
  bool ok = true;
  std::vector<std::string> problems = {};
  // A warning's problems are reported but do not fail the trace.
  bool warning = false;
  bool Fails() const { return !ok && !warning; }
};

struct TraceVerdict {
  std::string trace_id;
  size_t spans = 0;
  uint64_t duration_nanos = 0;
  std::vector<std::string> services;  // "api-gateway (go)"
  std::vector<CheckResult> checks;
  bool ok() const;
  size_t failed() const;
  size_t warned() const;  // warnings with problems
};

TraceVerdict VerifyTrace(const analysis::AssembledTrace& trace,
                         const analysis::TraceAnalysis& analysis, const Expectations& expect);

}  // namespace polytrace::verify
