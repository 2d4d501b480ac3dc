#include "analysis/trace_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "analysis/sdk_mix.h"
#include "analysis/span_facts.h"

namespace polytrace::analysis {
namespace {

std::string Millis(int64_t nanos) { return fmt::format("{:.1f} ms", double(nanos) / 1e6); }

bool IsValidHop(SpanKind parent, SpanKind child) {
  return (parent == SpanKind::kClient && child == SpanKind::kServer) ||
         (parent == SpanKind::kProducer && child == SpanKind::kConsumer);
}

bool IsAsync(const Span& parent, const Span& child) {
  return parent.kind == SpanKind::kProducer || child.kind == SpanKind::kConsumer;
}

class Analyzer {
 public:
  Analyzer(const AssembledTrace& trace, const AnalysisOptions& options)
      : trace_(trace), options_(options) {}

  TraceAnalysis Run() {
    SummarizeServices();
    CheckSpans();
    SummarizeSdkUse(trace_, &out_);
    CheckHops();
    ReportSkew();
    ReportMissingNames();
    for (Finding& f : FindSdkMix(trace_, out_)) Add(std::move(f));
    return std::move(out_);
  }

 private:
  void Add(Finding f) {
    size_t& n = per_kind_[f.kind];
    if (++n <= options_.max_findings_per_kind) out_.findings.push_back(std::move(f));
  }

  void SummarizeServices() {
    std::map<std::string, size_t> index;
    out_.span_services.reserve(trace_.spans.size());
    for (const AssembledSpan& a : trace_.spans) {
      std::string name = ServiceLabel(*a.resource);
      auto [it, inserted] = index.emplace(name, out_.services.size());
      if (inserted) {
        ServiceSummary s;
        s.name = name;
        s.missing_name = IsMissingServiceName(ServiceNameOf(*a.resource));
        s.language = SdkLanguageOf(*a.resource);
        s.sdk_name = ResourceString(*a.resource, "telemetry.sdk.name");
        s.sdk_version = ResourceString(*a.resource, "telemetry.sdk.version");
        out_.services.push_back(std::move(s));
      }
      ServiceSummary& s = out_.services[it->second];
      ++s.spans;
      if (a.span->status.code == StatusCodeValue::kError) ++s.errors;
      if (!a.resource->schema_url.empty()) s.schema_urls.emplace(a.resource->schema_url);
      if (!a.scope->schema_url.empty()) s.schema_urls.emplace(a.scope->schema_url);
      out_.span_services.push_back(std::move(name));
    }
  }

  void CheckSpans() {
    for (size_t i = 0; i < trace_.spans.size(); ++i) {
      const AssembledSpan& a = trace_.spans[i];
      int index = static_cast<int>(i);
      if (a.orphan) {
        Add({.kind = FindingKind::kOrphan,
             .message = fmt::format("{} names parent {}, which is not in this trace (lost, "
                                    "dropped, or never exported by its service)",
                                    SpanLabel(trace_, out_, index), a.span->parent_span_id.ToHex()),
             .spans = {index},
             .service = out_.span_services[i]});
      }
      if (a.duplicate) {
        Add({.kind = FindingKind::kDuplicateSpanId,
             .message = fmt::format("{} reuses a span ID already in this trace",
                                    SpanLabel(trace_, out_, index)),
             .spans = {index},
             .service = out_.span_services[i]});
      }
    }
  }

  void CheckHops() {
    std::vector<bool> answered(trace_.spans.size(), false);
    for (size_t i = 0; i < trace_.spans.size(); ++i) {
      const AssembledSpan& a = trace_.spans[i];
      if (a.parent < 0) continue;
      const Span& parent = *trace_.spans[a.parent].span;
      const Span& child = *a.span;
      const std::string& from = out_.span_services[a.parent];
      const std::string& to = out_.span_services[i];
      int index = static_cast<int>(i);
      if (from == to) {
        if (child.start_time_unix_nano + options_.skew_tolerance_nanos <
            parent.start_time_unix_nano) {
          Add({.kind = FindingKind::kChildBeforeParent,
               .message = fmt::format(
                   "{} starts {} before its parent {} in the same service (one clock, so the "
                   "instrumentation set a wrong time or parent)",
                   SpanLabel(trace_, out_, index),
                   Millis(int64_t(parent.start_time_unix_nano - child.start_time_unix_nano)),
                   SpanLabel(trace_, out_, a.parent)),
               .spans = {a.parent, index},
               .service = to});
        }
        continue;
      }
      answered[a.parent] = true;
      Hop hop{a.parent, index, from, to, IsValidHop(parent.kind, child.kind)};
      if (!hop.valid) {
        Add({.kind = FindingKind::kInvalidHop,
             .message = fmt::format(
                 "hop {} -> {}: {} has parent {}; expected a {} span of the caller (is the "
                 "caller's {} instrumented?)",
                 from, to, SpanLabel(trace_, out_, index), SpanLabel(trace_, out_, a.parent),
                 child.kind == SpanKind::kConsumer ? "producer" : "client",
                 child.kind == SpanKind::kConsumer ? "producer" : "client"),
             .spans = {a.parent, index},
             .service = to,
             .peer_service = from});
      }
      MeasureSkew(hop, parent, child);
      out_.hops.push_back(std::move(hop));
    }
    for (size_t i = 0; i < trace_.spans.size(); ++i) {
      SpanKind kind = trace_.spans[i].span->kind;
      if ((kind == SpanKind::kClient || kind == SpanKind::kProducer) && !answered[i]) {
        out_.unanswered_calls.push_back(static_cast<int>(i));
      }
    }
  }

  // Estimates how far the child's service clock is from the parent's, the
  // way Jaeger's skew adjuster does: a synchronous child is assumed centred
  // in its client span (equal network latency each way); an asynchronous one
  // only must not start before its producer.
  void MeasureSkew(const Hop& hop, const Span& parent, const Span& child) {
    const uint64_t tol = options_.skew_tolerance_nanos;
    int64_t offset = 0;
    if (IsAsync(parent, child)) {
      if (child.start_time_unix_nano + tol >= parent.start_time_unix_nano) return;
      offset = int64_t(child.start_time_unix_nano - parent.start_time_unix_nano);
    } else {
      bool early = child.start_time_unix_nano + tol < parent.start_time_unix_nano;
      bool late = child.end_time_unix_nano > parent.end_time_unix_nano + tol;
      if (!early && !late) return;
      uint64_t pd = SpanDuration(parent), cd = SpanDuration(child);
      uint64_t latency = pd > cd ? (pd - cd) / 2 : 0;
      offset = int64_t(child.start_time_unix_nano - (parent.start_time_unix_nano + latency));
    }
    SkewSample& s = skew_[{hop.from, hop.to}];
    ++s.hops;
    if (s.example_child < 0 || std::llabs(offset) > std::llabs(s.offset)) {
      s.offset = offset;
      s.example_parent = hop.parent;
      s.example_child = hop.child;
    }
  }

  void ReportSkew() {
    for (const auto& [pair, s] : skew_) {
      const auto& [from, to] = pair;
      const Span& parent = *trace_.spans[s.example_parent].span;
      const Span& child = *trace_.spans[s.example_child].span;
      std::string where;
      if (child.start_time_unix_nano < parent.start_time_unix_nano) {
        where =
            fmt::format("starts {} before",
                        Millis(int64_t(parent.start_time_unix_nano - child.start_time_unix_nano)));
      } else {
        where = fmt::format("ends {} after",
                            Millis(int64_t(child.end_time_unix_nano - parent.end_time_unix_nano)));
      }
      Add({.kind = FindingKind::kClockSkew,
           .message = fmt::format(
               "clock skew: {}'s clock looks {} {} {}'s ({} {} its caller {}; {} hop(s) affected)",
               to, Millis(std::llabs(s.offset)), s.offset > 0 ? "ahead of" : "behind", from,
               SpanLabel(trace_, out_, s.example_child), where,
               SpanLabel(trace_, out_, s.example_parent), s.hops),
           .spans = {s.example_parent, s.example_child},
           .service = to,
           .peer_service = from,
           .offset_nanos = s.offset});
    }
  }

  void ReportMissingNames() {
    for (const ServiceSummary& svc : out_.services) {
      if (!svc.missing_name) continue;
      std::vector<int> spans;
      for (size_t i = 0; i < trace_.spans.size(); ++i) {
        if (out_.span_services[i] == svc.name) spans.push_back(static_cast<int>(i));
      }
      std::string reported = svc.name == "unknown_service" && !spans.empty() &&
                                     ServiceNameOf(*trace_.spans[spans[0]].resource).empty()
                                 ? "no service.name at all"
                                 : fmt::format("service.name \"{}\"", svc.name);
      std::string caller;
      for (const Hop& hop : out_.hops) {
        if (hop.to == svc.name) {
          caller = fmt::format("; called by {} through {}", hop.from,
                               SpanLabel(trace_, out_, hop.parent));
          break;
        }
      }
      std::string sdk = svc.language.empty() ? "" : fmt::format(", SDK language {}", svc.language);
      Add({.kind = FindingKind::kMissingServiceName,
           .message = fmt::format("{} span(s) come from a service with {}{}{}: set service.name "
                                  "(OTEL_SERVICE_NAME or the SDK's resource)",
                                  spans.size(), reported, sdk, caller),
           .spans = std::move(spans),
           .service = svc.name});
    }
  }

  struct SkewSample {
    int64_t offset = 0;
    int example_parent = -1;
    int example_child = -1;
    size_t hops = 0;
  };

  const AssembledTrace& trace_;
  const AnalysisOptions& options_;
  TraceAnalysis out_;
  std::map<FindingKind, size_t> per_kind_;
  std::map<std::pair<std::string, std::string>, SkewSample> skew_;
};

}  // namespace

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kOrphan: return "orphan";
    case FindingKind::kDuplicateSpanId: return "duplicate_span_id";
    case FindingKind::kMissingServiceName: return "missing_service_name";
    case FindingKind::kInvalidHop: return "invalid_hop";
    case FindingKind::kClockSkew: return "clock_skew";
    case FindingKind::kChildBeforeParent: return "child_before_parent";
    case FindingKind::kBrokenPropagation: return "broken_propagation";
    case FindingKind::kSemconvMix: return "semconv_mix";
    case FindingKind::kStatusMapping: return "status_mapping";
    case FindingKind::kOldOtlp: return "old_otlp";
    case FindingKind::kTracestateDropped: return "tracestate_dropped";
    case FindingKind::kMissingServiceVersion: return "missing_service_version";
  }
  return "unknown";
}

std::string SpanLabel(const AssembledTrace& trace, const TraceAnalysis& analysis, int index) {
  const Span& s = *trace.spans[index].span;
  return fmt::format("{} span {} ({}: {})", KindName(s.kind), s.span_id.ToHex(),
                     analysis.span_services[index], s.name);
}

TraceAnalysis AnalyzeTrace(const AssembledTrace& trace, const AnalysisOptions& options) {
  return Analyzer(trace, options).Run();
}

}  // namespace polytrace::analysis
