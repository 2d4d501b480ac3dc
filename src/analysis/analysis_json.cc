#include "analysis/analysis_json.h"

#include <vector>

#include "analysis/span_facts.h"

namespace polytrace::analysis {
namespace {

void WriteSpanRef(JsonWriter& w, const AssembledTrace& trace, const TraceAnalysis& analysis,
                  int index) {
  const Span& s = *trace.spans[index].span;
  w.BeginObject();
  w.Key("spanID");
  w.String(s.span_id.ToHex());
  w.Key("service");
  w.String(analysis.span_services[index]);
  w.Key("name");
  w.String(s.name);
  w.Key("kind");
  w.String(KindName(s.kind));
  w.EndObject();
}

void WriteStrings(JsonWriter& w, std::string_view key, const std::set<std::string>& values) {
  w.Key(key);
  w.BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

// {"http": {"generation": "old", "oldKeys": [..], "stableKeys": [..], ...}, ...}
void WriteSemconv(JsonWriter& w, const ServiceSummary& s) {
  w.Key("semconv");
  w.BeginObject();
  for (const auto& [domain, use] : s.semconv) {
    w.Key(semconv::DomainName(domain));
    w.BeginObject();
    w.Key("generation");
    w.String(use.Generation());
    WriteStrings(w, "oldKeys", use.old_keys);
    WriteStrings(w, "stableKeys", use.stable_keys);
    WriteStrings(w, "oldScopes", use.old_scopes);
    WriteStrings(w, "stableScopes", use.stable_scopes);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

void WriteAnalysisJson(const AssembledTrace& trace, const TraceAnalysis& analysis, JsonWriter& w) {
  w.BeginObject();
  w.Key("traceID");
  w.String(trace.trace_id.ToHex());
  w.Key("spans");
  w.Uint(trace.spans.size());
  w.Key("durationNanos");
  w.Uint(trace.end_nanos - trace.start_nanos);
  w.Key("services");
  w.BeginArray();
  for (const ServiceSummary& s : analysis.services) {
    w.BeginObject();
    w.Key("name");
    w.String(s.name);
    w.Key("missingName");
    w.Bool(s.missing_name);
    w.Key("language");
    w.String(s.language);
    w.Key("sdkName");
    w.String(s.sdk_name);
    w.Key("sdkVersion");
    w.String(s.sdk_version);
    w.Key("serviceVersion");
    w.String(s.service_version);
    WriteStrings(w, "schemaURLs", s.schema_urls);
    WriteStrings(w, "scopes", s.scopes);
    WriteSemconv(w, s);
    w.Key("oldOtlp");
    w.Bool(s.old_otlp);
    w.Key("spans");
    w.Uint(s.spans);
    w.Key("errors");
    w.Uint(s.errors);
    w.EndObject();
  }
  w.EndArray();
  // A trace of a million spans has as many hops and unanswered calls: they
  // are counted whole and listed up to kListedAtMost, invalid hops first
  // (listed whole, the 100k-span trace's answer was 7 MB, a million spans'
  // 238 MB, and the UI drew every item).
  size_t invalid = 0;
  for (const Hop& h : analysis.hops) invalid += h.valid ? 0 : 1;
  w.Key("hopsTotal");
  w.Uint(analysis.hops.size());
  w.Key("invalidHopsTotal");
  w.Uint(invalid);
  w.Key("unansweredCallsTotal");
  w.Uint(analysis.unanswered_calls.size());
  std::vector<const Hop*> listed;
  if (analysis.hops.size() <= kListedAtMost) {
    for (const Hop& h : analysis.hops) listed.push_back(&h);  // all, in trace order
  } else {
    for (bool valid : {false, true}) {
      for (const Hop& h : analysis.hops) {
        if (h.valid == valid && listed.size() < kListedAtMost) listed.push_back(&h);
      }
    }
  }
  w.Key("hops");
  w.BeginArray();
  for (const Hop* hop : listed) {
    const Hop& h = *hop;
    w.BeginObject();
    w.Key("from");
    w.String(h.from);
    w.Key("to");
    w.String(h.to);
    w.Key("valid");
    w.Bool(h.valid);
    w.Key("parent");
    WriteSpanRef(w, trace, analysis, h.parent);
    w.Key("child");
    WriteSpanRef(w, trace, analysis, h.child);
    w.EndObject();
  }
  w.EndArray();
  w.Key("unansweredCalls");
  w.BeginArray();
  for (size_t i = 0; i < analysis.unanswered_calls.size() && i < kListedAtMost; ++i) {
    WriteSpanRef(w, trace, analysis, analysis.unanswered_calls[i]);
  }
  w.EndArray();
  w.Key("propagationSearchLimited");
  w.Bool(analysis.propagation_search_limited);
  w.Key("findings");
  w.BeginArray();
  for (const Finding& f : analysis.findings) {
    w.BeginObject();
    w.Key("kind");
    w.String(FindingKindName(f.kind));
    w.Key("message");
    w.String(f.message);
    w.Key("service");
    w.String(f.service);
    if (!f.peer_service.empty()) {
      w.Key("peerService");
      w.String(f.peer_service);
    }
    if (f.kind == FindingKind::kClockSkew) {
      w.Key("offsetNanos");
      w.Int(f.offset_nanos);
    }
    if (!f.other_trace_id.empty()) {
      w.Key("otherTraceID");
      w.String(f.other_trace_id);
      w.Key("otherSpanID");
      w.String(f.other_span_id);
    }
    w.Key("spans");
    w.BeginArray();
    for (int i : f.spans) WriteSpanRef(w, trace, analysis, i);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace polytrace::analysis
