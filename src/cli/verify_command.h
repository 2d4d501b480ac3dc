// `polytrace verify`: trace assertions for CI pipelines (the role Tracetest
// plays, with no server of its own). Reads traces from a running
// polytrace's query API, runs the trace analysis (analysis/) and checks the
// expectations given as flags and/or a YAML file (verify/). Exit 0 when every
// check of every trace holds; 1 when one fails or a trace is missing; 2 on
// bad usage, bad expectations, or an unreachable query API.
#pragma once

#include <string>
#include <vector>

namespace polytrace {

struct VerifyOptions {
  std::string endpoint = "http://localhost:16686";
  std::vector<std::string> trace_ids;
  std::string since;         // recent traces instead of --trace
  std::string root_service;  // with --since: only traces rooted in this service
  int limit = 20;
  std::string expect_file;
  std::vector<std::string> services, languages, spans, attributes, allow;
  int min_spans = -1, max_spans = -1;
  std::string max_duration, skew_tolerance;
  std::string wait = "0s";  // keep retrying failing traces this long (spans arrive late)
  bool json = false;
  bool strict = false;  // warnings fail too
};

int RunVerify(const VerifyOptions& options);

}  // namespace polytrace
