// `polytrace traces get|search`: the query API from a terminal. Talks to a
// running polytrace's query server (--endpoint), so it sees exactly what
// the Jaeger and Tempo APIs serve. Tables by default, JSON with --json.
#pragma once

#include <string>
#include <vector>

namespace polytrace {

struct TracesGetOptions {
  std::string endpoint = "http://localhost:16686";
  std::string trace_id;
  std::string format;  // "" (table), jaeger, otlp-json
  bool json = false;
};

struct TracesSearchOptions {
  std::string endpoint = "http://localhost:16686";
  std::string service, operation, min_duration, max_duration, since = "1h", traceql;
  std::vector<std::string> tags;  // k=v
  int limit = 20;
  bool json = false;
};

int RunTracesGet(const TracesGetOptions& options);
int RunTracesSearch(const TracesSearchOptions& options);

}  // namespace polytrace
