#include "verify/verify_report.h"

#include <fmt/format.h>

namespace polytrace::verify {

void PrintVerdict(const TraceVerdict& v, std::ostream& out) {
  out << fmt::format("trace {}  {} spans  {:.1f} ms  {}\n", v.trace_id, v.spans,
                     double(v.duration_nanos) / 1e6, fmt::join(v.services, ", "));
  for (const CheckResult& c : v.checks) {
    out << fmt::format("  {}  {}\n", c.ok ? "PASS" : c.warning ? "WARN" : "FAIL", c.name);
    for (const std::string& p : c.problems) out << "        - " << p << "\n";
  }
  size_t failed = v.failed();
  size_t warned = v.warned();
  std::string warnings = warned == 0 ? "" : fmt::format(" ({} with warnings)", warned);
  out << (failed == 0
              ? fmt::format("  ok: {} checks passed{}\n", v.checks.size(), warnings)
              : fmt::format("  FAILED: {} of {} checks{}\n", failed, v.checks.size(), warnings));
}

void WriteVerdictsJson(const std::vector<TraceVerdict>& verdicts,
                       const std::vector<std::string>& errors, JsonWriter& w) {
  bool ok = errors.empty();
  for (const TraceVerdict& v : verdicts) ok &= v.ok();
  w.BeginObject();
  w.Key("ok");
  w.Bool(ok);
  w.Key("traces");
  w.BeginArray();
  for (const TraceVerdict& v : verdicts) {
    w.BeginObject();
    w.Key("traceID");
    w.String(v.trace_id);
    w.Key("ok");
    w.Bool(v.ok());
    w.Key("spans");
    w.Uint(v.spans);
    w.Key("durationNanos");
    w.Uint(v.duration_nanos);
    w.Key("services");
    w.BeginArray();
    for (const std::string& s : v.services) w.String(s);
    w.EndArray();
    w.Key("checks");
    w.BeginArray();
    for (const CheckResult& c : v.checks) {
      w.BeginObject();
      w.Key("name");
      w.String(c.name);
      w.Key("ok");
      w.Bool(c.ok);
      w.Key("warning");
      w.Bool(c.warning);
      w.Key("problems");
      w.BeginArray();
      for (const std::string& p : c.problems) w.String(p);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("errors");
  w.BeginArray();
  for (const std::string& e : errors) w.String(e);
  w.EndArray();
  w.EndObject();
}

}  // namespace polytrace::verify
