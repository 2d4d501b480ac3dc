#include "exporters/debug/debug_exporter.h"

#include <fmt/format.h>

namespace polytrace {

Status DebugConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("verbosity", &verbosity));
  POLYTRACE_RETURN_IF_ERROR(r.Read("sampling_initial", &sampling_initial));
  POLYTRACE_RETURN_IF_ERROR(r.Read("sampling_thereafter", &sampling_thereafter));
  r.Raw("use_internal_logger");  // accepted: polytrace always uses its logger
  return r.Finish();
}

Status DebugConfig::Validate() const {
  if (verbosity != "basic" && verbosity != "normal" && verbosity != "detailed") {
    return Status::InvalidArgument(
        fmt::format("verbosity \"{}\" is not basic, normal or detailed", verbosity));
  }
  if (sampling_thereafter == 0) return Status::InvalidArgument("sampling_thereafter must be > 0");
  return Status::Ok();
}

namespace {

void AppendAttributes(std::string& out, const char* indent, const Attributes& attrs) {
  for (const KeyValue& kv : attrs) {
    out += fmt::format("{}-> {}: {}\n", indent, kv.key, ValueToString(kv.value));
  }
}

}  // namespace

std::string DebugExporter::Detailed(const Traces& traces) {
  std::string out;
  for (size_t r = 0; r < traces.resource_spans().size(); ++r) {
    const ResourceSpans& rs = traces.resource_spans()[r];
    out += fmt::format("ResourceSpans #{}\nResource SchemaURL: {}\nResource attributes:\n", r,
                       rs.schema_url);
    AppendAttributes(out, "     ", rs.resource.attributes);
    for (size_t s = 0; s < rs.scope_spans.size(); ++s) {
      const ScopeSpans& ss = rs.scope_spans[s];
      out += fmt::format("ScopeSpans #{}\nScopeSpans SchemaURL: {}\nInstrumentationScope {} {}\n",
                         s, ss.schema_url, ss.scope.name, ss.scope.version);
      for (size_t i = 0; i < ss.spans.size(); ++i) {
        const Span& sp = ss.spans[i];
        out += fmt::format(
            "Span #{}\n    Trace ID       : {}\n    Parent ID      : {}\n    ID             : {}\n"
            "    Name           : {}\n    Kind           : {}\n    Start time     : {}\n"
            "    End time       : {}\n    Status code    : {}\n    Status message : {}\n"
            "Attributes:\n",
            i, sp.trace_id.ToHex(), sp.parent_span_id.IsZero() ? "" : sp.parent_span_id.ToHex(),
            sp.span_id.ToHex(), sp.name, static_cast<int>(sp.kind), sp.start_time_unix_nano,
            sp.end_time_unix_nano, static_cast<int>(sp.status.code), sp.status.message);
        AppendAttributes(out, "     ", sp.attributes);
        for (size_t e = 0; e < sp.events.size(); ++e) {
          out += fmt::format("Event #{}: {} at {}\n", e, sp.events[e].name,
                             sp.events[e].time_unix_nano);
          AppendAttributes(out, "     ", sp.events[e].attributes);
        }
        for (size_t l = 0; l < sp.links.size(); ++l) {
          out += fmt::format("Link #{}: trace {} span {}\n", l, sp.links[l].trace_id.ToHex(),
                             sp.links[l].span_id.ToHex());
        }
      }
    }
  }
  return out;
}

Status DebugExporter::ConsumeTraces(Traces traces) {
  uint64_t n = batches_.fetch_add(1);
  bool sampled = n < config_.sampling_initial ||
                 (n - config_.sampling_initial) % config_.sampling_thereafter == 0;
  if (!sampled) return Status::Ok();
  auto& log = *settings_.logger;
  log.info("Traces: resource spans={} spans={}", traces.resource_spans().size(),
           traces.SpanCount());
  if (config_.verbosity == "normal") {
    for (const ResourceSpans& rs : traces.resource_spans()) {
      for (const ScopeSpans& ss : rs.scope_spans) {
        for (const Span& s : ss.spans) {
          log.info("{} {} {} {}ns", s.name, s.trace_id.ToHex(), s.span_id.ToHex(),
                   s.end_time_unix_nano - s.start_time_unix_nano);
        }
      }
    }
  } else if (config_.verbosity == "detailed") {
    log.info("\n{}", Detailed(traces));
  }
  return Status::Ok();
}

namespace {

class DebugExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "debug"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<DebugConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                           const ComponentConfig& config) const override {
    return ExporterPtr(
        std::make_unique<DebugExporter>(settings, static_cast<const DebugConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewDebugExporterFactory() {
  return std::make_unique<DebugExporterFactory>();
}

}  // namespace polytrace
