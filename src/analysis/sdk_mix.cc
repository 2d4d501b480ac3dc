#include "analysis/sdk_mix.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "analysis/span_facts.h"

namespace polytrace::analysis {
namespace {

using semconv::Domain;

std::string ScopeLabel(const InstrumentationScope& scope) {
  if (scope.name.empty()) return "(unnamed scope)";
  return scope.version.empty() ? std::string(scope.name)
                               : fmt::format("{} {}", scope.name, scope.version);
}

bool HasTrueAttribute(const Attributes& attributes, std::string_view key) {
  const AnyValue* v = FindAttribute(attributes, key);
  return v != nullptr && v->type == ValueType::kBool && v->bool_value;
}

// "auth-service (nodejs, SDK opentelemetry 2.2.0)".
std::string WhoIs(const ServiceSummary& s) {
  std::vector<std::string> parts;
  if (!s.language.empty()) parts.push_back(s.language);
  std::vector<std::string_view> sdk;
  for (std::string_view p : {std::string_view(s.sdk_name), std::string_view(s.sdk_version)}) {
    if (!p.empty()) sdk.push_back(p);
  }
  if (!sdk.empty()) parts.push_back(fmt::format("SDK {}", fmt::join(sdk, " ")));
  if (parts.empty()) return s.name;
  return fmt::format("{} ({})", s.name, fmt::join(parts, ", "));
}

std::optional<int64_t> HttpStatusOf(const Span& span) {
  for (std::string_view key : {"http.response.status_code", "http.status_code"}) {
    const AnyValue* v = FindAttribute(span.attributes, key);
    if (v == nullptr) continue;
    if (v->type == ValueType::kInt) return v->int_value;
    if (v->type == ValueType::kString) {
      int64_t code = 0;
      auto [end, ec] = std::from_chars(v->string_value.data(),
                                       v->string_value.data() + v->string_value.size(), code);
      if (ec == std::errc()) return code;
    }
  }
  return std::nullopt;
}

// The stable key a search would most likely use, and the old key it misses.
std::pair<std::string_view, std::string_view> SearchExample(
    const ServiceSummary::SemconvUse& old_use, Domain domain) {
  static constexpr std::string_view kPreferred[] = {
      "http.status_code",      "http.method",         "db.statement",         "db.system",
      "messaging.destination", "messaging.operation", "rpc.grpc.status_code", "rpc.system"};
  auto stable_of = [&](std::string_view old_key) -> std::string_view {
    for (semconv::Side side : {semconv::Side::kCaller, semconv::Side::kCallee}) {
      if (const semconv::Rename* r = semconv::FindOldKey(old_key, domain, side)) {
        return r->stable_key;
      }
    }
    return {};
  };
  for (std::string_view k : kPreferred) {
    if (old_use.old_keys.contains(std::string(k))) return {stable_of(k), k};
  }
  for (const std::string& k : old_use.old_keys) {
    if (std::string_view s = stable_of(k); !s.empty()) return {s, k};
  }
  return {};
}

class SdkMixFinder {
 public:
  SdkMixFinder(const AssembledTrace& trace, const TraceAnalysis& analysis)
      : trace_(trace), analysis_(analysis) {}

  std::vector<Finding> Run() {
    for (Domain d : semconv::kDomains) SemconvMix(d);
    StatusMapping();
    OldOtlp();
    TracestateDropped();
    MissingServiceVersion();
    return std::move(out_);
  }

 private:
  void SemconvMix(Domain domain) {
    std::vector<const ServiceSummary*> olds, stables;
    for (const ServiceSummary& s : analysis_.services) {
      auto it = s.semconv.find(domain);
      if (it == s.semconv.end()) continue;
      (it->second.Generation() == "old" ? olds : stables).push_back(&s);
    }
    if (olds.empty() || stables.empty()) return;
    std::set<std::string> stable_keys;
    std::vector<std::string> stable_who, stable_names;
    for (const ServiceSummary* s : stables) {
      stable_names.push_back(s->name);
      const auto& use = s->semconv.at(domain);
      stable_keys.insert(use.stable_keys.begin(), use.stable_keys.end());
      stable_who.push_back(fmt::format("{}: {}", WhoIs(*s), fmt::join(use.stable_scopes, ", ")));
    }
    const ServiceSummary& first_stable = *stables.front();
    std::string_view token = semconv::OptInToken(domain);
    for (const ServiceSummary* s : olds) {
      const auto& use = s->semconv.at(domain);
      auto [search, missed] = SearchExample(use, domain);
      std::string consequence =
          search.empty() ? std::string()
                         : fmt::format(" A search for {} misses {}'s spans (they carry {}).",
                                       search, s->name, missed);
      std::vector<int> spans = {use.example_old_span};
      int stable_span = first_stable.semconv.at(domain).example_stable_span;
      if (stable_span >= 0) spans.push_back(stable_span);
      out_.push_back(
          {.kind = FindingKind::kSemconvMix,
           .message = fmt::format(
               "semantic conventions disagree on {}: {} writes the old keys {} (instrumentation "
               "{}), while {} write{} the stable keys {} ({}).{} Fix: start {} with "
               "OTEL_SEMCONV_STABILITY_OPT_IN={} ({}/dup writes both while dashboards move), "
               "upgrade {}, or rewrite the old keys with the semconv processor",
               semconv::DomainName(domain), WhoIs(*s), fmt::join(use.old_keys, ", "),
               fmt::join(use.old_scopes, ", "), fmt::join(stable_names, ", "),
               stables.size() == 1 ? "s" : "", fmt::join(stable_keys, ", "),
               fmt::join(stable_who, "; "), consequence, s->name, token, token,
               fmt::join(use.old_scopes, ", ")),
           .spans = std::move(spans),
           .service = s->name,
           .peer_service = first_stable.name});
    }
  }

  void StatusMapping() {
    struct Sample {
      size_t count = 0;
      int example = -1;
      int64_t code = 0;
      std::set<std::string> scopes;
    };
    std::map<std::string, Sample> by_service;
    for (size_t i = 0; i < trace_.spans.size(); ++i) {
      const Span& s = *trace_.spans[i].span;
      if (s.kind != SpanKind::kServer || s.status.code != StatusCodeValue::kError) continue;
      std::optional<int64_t> code = HttpStatusOf(s);
      if (!code || *code < 400 || *code > 499) continue;
      Sample& sample = by_service[analysis_.span_services[i]];
      if (sample.count++ == 0) {
        sample.example = int(i);
        sample.code = *code;
      }
      sample.scopes.insert(ScopeLabel(trace_.spans[i].scope->scope));
    }
    for (const auto& [service, sample] : by_service) {
      out_.push_back(
          {.kind = FindingKind::kStatusMapping,
           .message = fmt::format(
               "{} marks {} server span(s) that answered HTTP 4xx as ERROR (e.g. {}: HTTP {}), "
               "as instrumentations did before the stable HTTP conventions: a 4xx is the "
               "caller's mistake, and its server span's status stays unset. Its error rate "
               "counts its callers' bad requests; upgrade {}",
               WhoIs(*Service(service)), sample.count, SpanLabel(trace_, analysis_, sample.example),
               sample.code, fmt::join(sample.scopes, ", ")),
           .spans = {sample.example},
           .service = service});
    }
  }

  void OldOtlp() {
    for (const ServiceSummary& s : analysis_.services) {
      if (!s.old_otlp) continue;
      std::vector<int> spans;
      for (size_t i = 0; i < trace_.spans.size() && spans.empty(); ++i) {
        if (analysis_.span_services[i] == s.name &&
            HasTrueAttribute(trace_.spans[i].scope->scope.attributes,
                             kInstrumentationLibraryAttribute)) {
          spans.push_back(int(i));
        }
      }
      out_.push_back(
          {.kind = FindingKind::kOldOtlp,
           .message = fmt::format(
               "{} sends OTLP older than 0.19 (instrumentation_library_spans, removed in OTLP "
               "1.0): polytrace reads it as scope spans, but current Collectors and backends "
               "drop it; upgrade its OpenTelemetry SDK and OTLP exporter",
               WhoIs(s)),
           .spans = std::move(spans),
           .service = s.name});
    }
  }

  void TracestateDropped() {
    std::set<std::pair<std::string, std::string>> reported;
    for (const Hop& hop : analysis_.hops) {
      if (!hop.valid) continue;
      const Span& parent = *trace_.spans[hop.parent].span;
      const Span& child = *trace_.spans[hop.child].span;
      if (parent.trace_state.empty() || !child.trace_state.empty()) continue;
      if (!reported.insert({hop.from, hop.to}).second) continue;
      out_.push_back(
          {.kind = FindingKind::kTracestateDropped,
           .message = fmt::format(
               "tracestate dropped between {} and {}: {} carries tracestate \"{}\", {} has "
               "none: {}'s propagator reads traceparent but not tracestate (or a proxy strips "
               "the header), so vendor state (sampling, routing) is lost from here on",
               hop.from, hop.to, SpanLabel(trace_, analysis_, hop.parent), parent.trace_state,
               SpanLabel(trace_, analysis_, hop.child), hop.to),
           .spans = {hop.parent, hop.child},
           .service = hop.to,
           .peer_service = hop.from});
    }
  }

  void MissingServiceVersion() {
    for (const ServiceSummary& s : analysis_.services) {
      if (!s.service_version.empty()) continue;
      out_.push_back(
          {.kind = FindingKind::kMissingServiceVersion,
           .message = fmt::format(
               "{} sets no service.version: set it (OTEL_RESOURCE_ATTRIBUTES=service.version=…"
               " or the SDK's resource) so its spans and errors can be told apart by release",
               WhoIs(s)),
           .service = s.name});
    }
  }

  const ServiceSummary* Service(const std::string& name) const {
    for (const ServiceSummary& s : analysis_.services) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  const AssembledTrace& trace_;
  const TraceAnalysis& analysis_;
  std::vector<Finding> out_;
};

}  // namespace

std::string_view ServiceSummary::SemconvUse::Generation() const {
  if (!old_keys.empty() && !stable_keys.empty()) return "dup";
  return old_keys.empty() ? "stable" : "old";
}

void SummarizeSdkUse(const AssembledTrace& trace, TraceAnalysis* analysis) {
  std::map<std::string, ServiceSummary*> by_name;
  for (ServiceSummary& s : analysis->services) by_name[s.name] = &s;
  // Spans of one scope come together: its label is made once per run.
  const ScopeSpans* last_scope = nullptr;
  std::string scope;
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const AssembledSpan& a = trace.spans[i];
    ServiceSummary& s = *by_name.at(analysis->span_services[i]);
    if (a.scope != last_scope) {
      last_scope = a.scope;
      scope = ScopeLabel(a.scope->scope);
      if (s.service_version.empty()) {
        s.service_version = ResourceString(*a.resource, "service.version");
      }
      s.scopes.insert(scope);
      s.old_otlp |= HasTrueAttribute(a.scope->scope.attributes, kInstrumentationLibraryAttribute);
    }
    std::optional<Domain> domain = semconv::DomainOf(a.span->attributes);
    if (!domain) continue;
    semconv::Side side = semconv::SideOf(a.span->kind);
    auto& use = s.semconv[*domain];
    for (const KeyValue& kv : a.span->attributes) {
      if (semconv::FindOldKey(kv.key, *domain, side) != nullptr) {
        use.old_keys.emplace(kv.key);
        use.old_scopes.insert(scope);
        if (use.example_old_span < 0) use.example_old_span = int(i);
      } else if (semconv::IsStableKey(kv.key, *domain)) {
        use.stable_keys.emplace(kv.key);
        use.stable_scopes.insert(scope);
        if (use.example_stable_span < 0) use.example_stable_span = int(i);
      }
    }
    if (use.old_keys.empty() && use.stable_keys.empty()) s.semconv.erase(*domain);
  }
}

std::vector<Finding> FindSdkMix(const AssembledTrace& trace, const TraceAnalysis& analysis) {
  return SdkMixFinder(trace, analysis).Run();
}

}  // namespace polytrace::analysis
