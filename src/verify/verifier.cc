#include "verify/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "analysis/span_facts.h"

namespace polytrace::verify {
namespace {

using analysis::AssembledSpan;
using analysis::AssembledTrace;
using analysis::FindingKind;
using analysis::TraceAnalysis;

std::string Millis(uint64_t nanos) { return fmt::format("{:.1f} ms", double(nanos) / 1e6); }

std::optional<std::string> AttributeOf(const AssembledSpan& a, const std::string& key) {
  const AnyValue* v = FindAttribute(a.span->attributes, key);
  if (v == nullptr) v = FindAttribute(a.resource->resource.attributes, key);
  if (v == nullptr) return std::nullopt;
  return ValueToString(*v);
}

// One check from the findings of some kinds.
CheckResult FromFindings(std::string name, const TraceAnalysis& analysis,
                         std::initializer_list<FindingKind> kinds) {
  CheckResult c{std::move(name)};
  for (const analysis::Finding& f : analysis.findings) {
    if (std::find(kinds.begin(), kinds.end(), f.kind) != kinds.end()) {
      c.ok = false;
      c.problems.push_back(f.message);
    }
  }
  return c;
}

CheckResult CheckServices(const Expectations& e, const TraceAnalysis& analysis) {
  CheckResult c{fmt::format("services present: {}", fmt::join(e.services, ", "))};
  for (const std::string& want : e.services) {
    bool found = std::any_of(analysis.services.begin(), analysis.services.end(),
                             [&](const analysis::ServiceSummary& s) { return s.name == want; });
    if (found) continue;
    c.ok = false;
    std::string hint;
    for (const analysis::Finding& f : analysis.findings) {
      if (f.kind == FindingKind::kBrokenPropagation && f.service == want) {
        hint = fmt::format(" (its spans are in trace {}: propagation broke from {})",
                           f.other_trace_id, f.peer_service);
      }
    }
    c.problems.push_back(fmt::format("no span from {}{}", want, hint));
  }
  return c;
}

CheckResult CheckLanguages(const Expectations& e, const TraceAnalysis& analysis) {
  CheckResult c{fmt::format("languages present: {}", fmt::join(e.languages, ", "))};
  for (const std::string& want : e.languages) {
    bool found = std::any_of(analysis.services.begin(), analysis.services.end(),
                             [&](const analysis::ServiceSummary& s) { return s.language == want; });
    if (!found) {
      c.ok = false;
      c.problems.push_back(
          fmt::format("no span from a service whose telemetry.sdk.language is {}", want));
    }
  }
  return c;
}

bool Selected(const SpanExpectation& e, const AssembledSpan& a, const std::string& service) {
  if (!e.name.empty() && a.span->name != e.name) return false;
  if (!e.service.empty() && service != e.service) return false;
  if (e.kind && a.span->kind != *e.kind) return false;
  return true;
}

CheckResult CheckSpan(const SpanExpectation& e, const AssembledTrace& trace,
                      const TraceAnalysis& analysis) {
  std::string what = e.label;
  for (const auto& [key, m] : e.attributes) what += fmt::format(", {} {}", key, m.Describe());
  CheckResult c{"span " + what};
  size_t count = 0;
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const AssembledSpan& a = trace.spans[i];
    if (!Selected(e, a, analysis.span_services[i])) continue;
    ++count;
    std::string label = analysis::SpanLabel(trace, analysis, int(i));
    for (const auto& [key, m] : e.attributes) {
      std::optional<std::string> v = AttributeOf(a, key);
      if (!m.Matches(v)) {
        c.problems.push_back(fmt::format("{}: {} is {}, expected {}", label, key,
                                         v ? fmt::format("\"{}\"", *v) : "missing", m.Describe()));
      }
    }
    uint64_t d = analysis::SpanDuration(*a.span);
    if (e.min_duration_nanos && d < *e.min_duration_nanos) {
      c.problems.push_back(fmt::format("{}: lasted {}, expected at least {}", label, Millis(d),
                                       Millis(*e.min_duration_nanos)));
    }
    if (e.max_duration_nanos && d > *e.max_duration_nanos) {
      c.problems.push_back(fmt::format("{}: lasted {}, expected at most {}", label, Millis(d),
                                       Millis(*e.max_duration_nanos)));
    }
    if (e.status && a.span->status.code != *e.status) {
      static constexpr const char* kNames[] = {"unset", "ok", "error"};
      c.problems.push_back(fmt::format("{}: status {}, expected {}", label,
                                       kNames[int(a.span->status.code)], kNames[int(*e.status)]));
    }
  }
  if (count < e.min_count || (e.max_count && count > *e.max_count)) {
    std::string want = e.max_count == e.min_count ? fmt::format("{}", e.min_count)
                       : e.max_count ? fmt::format("{} to {}", e.min_count, *e.max_count)
                                     : fmt::format("at least {}", e.min_count);
    c.problems.insert(c.problems.begin(),
                      fmt::format("{} matching span(s), expected {}", count, want));
  }
  c.ok = c.problems.empty();
  return c;
}

}  // namespace

bool TraceVerdict::ok() const { return failed() == 0; }

size_t TraceVerdict::failed() const {
  return size_t(
      std::count_if(checks.begin(), checks.end(), [](const CheckResult& c) { return c.Fails(); }));
}

size_t TraceVerdict::warned() const {
  return size_t(std::count_if(checks.begin(), checks.end(),
                              [](const CheckResult& c) { return !c.ok && c.warning; }));
}

TraceVerdict VerifyTrace(const AssembledTrace& trace, const TraceAnalysis& analysis,
                         const Expectations& e) {
  TraceVerdict v;
  v.trace_id = trace.trace_id.ToHex();
  v.spans = trace.spans.size();
  v.duration_nanos = trace.end_nanos - trace.start_nanos;
  for (const analysis::ServiceSummary& s : analysis.services) {
    v.services.push_back(s.language.empty() ? s.name : fmt::format("{} ({})", s.name, s.language));
  }
  if (!e.services.empty()) v.checks.push_back(CheckServices(e, analysis));
  if (!e.languages.empty()) v.checks.push_back(CheckLanguages(e, analysis));
  if (!e.allow_broken_propagation) {
    v.checks.push_back(FromFindings("one trace across every hop (context propagation)", analysis,
                                    {FindingKind::kBrokenPropagation}));
  }
  if (!e.allow_invalid_hops) {
    v.checks.push_back(FromFindings("parent links valid across service hops", analysis,
                                    {FindingKind::kInvalidHop}));
  }
  if (!e.allow_orphans) {
    v.checks.push_back(FromFindings("no orphans or duplicate span IDs", analysis,
                                    {FindingKind::kOrphan, FindingKind::kDuplicateSpanId}));
  }
  if (!e.allow_missing_service_name) {
    v.checks.push_back(FromFindings("every span has a service.name", analysis,
                                    {FindingKind::kMissingServiceName}));
  }
  if (!e.allow_clock_skew) {
    v.checks.push_back(
        FromFindings(fmt::format("children within their parents' time window (tolerance {})",
                                 Millis(e.analysis.skew_tolerance_nanos)),
                     analysis, {FindingKind::kClockSkew, FindingKind::kChildBeforeParent}));
  }
  if (!e.allow_sdk_mix) {
    v.checks.push_back(
        FromFindings("SDK versions agree (semantic conventions, HTTP status mapping, OTLP version, "
                     "tracestate)",
                     analysis,
                     {FindingKind::kSemconvMix, FindingKind::kStatusMapping, FindingKind::kOldOtlp,
                      FindingKind::kTracestateDropped}));
  }
  if (!e.allow_missing_service_version) {
    CheckResult c = FromFindings("every service has a service.version", analysis,
                                 {FindingKind::kMissingServiceVersion});
    c.warning = !e.strict;
    v.checks.push_back(std::move(c));
  }
  if (e.min_spans || e.max_spans) {
    CheckResult c{"span count"};
    if (e.min_spans && v.spans < *e.min_spans) {
      c.problems.push_back(fmt::format("{} spans, expected at least {}", v.spans, *e.min_spans));
    }
    if (e.max_spans && v.spans > *e.max_spans) {
      c.problems.push_back(fmt::format("{} spans, expected at most {}", v.spans, *e.max_spans));
    }
    c.ok = c.problems.empty();
    v.checks.push_back(std::move(c));
  }
  if (e.max_duration_nanos) {
    CheckResult c{fmt::format("trace duration at most {}", Millis(*e.max_duration_nanos))};
    if (v.duration_nanos > *e.max_duration_nanos) {
      c.ok = false;
      c.problems.push_back(fmt::format("the trace lasted {}", Millis(v.duration_nanos)));
    }
    v.checks.push_back(std::move(c));
  }
  for (const SpanExpectation& s : e.spans) v.checks.push_back(CheckSpan(s, trace, analysis));
  return v;
}

}  // namespace polytrace::verify
