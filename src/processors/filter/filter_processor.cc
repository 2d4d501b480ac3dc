#include "processors/filter/filter_processor.h"

#include <fmt/format.h>

namespace polytrace {

Status FilterConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("error_mode", &error_mode));
  if (error_mode != "propagate" && error_mode != "ignore" && error_mode != "silent") {
    return r.KeyError("error_mode",
                      fmt::format("\"{}\" is not propagate, ignore or silent", error_mode));
  }
  Result<ConfigReader> traces = r.Child("traces");
  if (!traces.ok()) return traces.status();
  std::vector<std::string> conditions;
  POLYTRACE_RETURN_IF_ERROR(traces->Read("span", &conditions));
  for (size_t i = 0; i < conditions.size(); ++i) {
    Result<ottl::Condition> c = ottl::Condition::Parse(conditions[i]);
    if (!c.ok()) {
      return traces->KeyError(
          "span", fmt::format("condition [{}] \"{}\": {}", i, conditions[i], c.status().message()));
    }
    span_conditions.push_back(std::move(*c));
  }
  if (traces->Has("spanevent")) {
    return traces->KeyError("spanevent", "span event conditions are not supported yet");
  }
  POLYTRACE_RETURN_IF_ERROR(traces->Finish());
  bool has_legacy = false;
  Result<ConfigReader> spans = r.Child("spans", &has_legacy);
  if (!spans.ok()) return spans.status();
  if (has_legacy) {
    Result<SpanSelection> sel = SpanSelection::Parse(*spans);
    if (!sel.ok()) return sel.status();
    POLYTRACE_RETURN_IF_ERROR(spans->Finish());
    legacy = std::make_shared<SpanSelection>(std::move(*sel));
  }
  return r.Finish();
}

Status FilterProcessor::Start(Host& host) {
  filtered_ = &host.metrics().GetCounter("otelcol_processor_filter_spans_filtered",
                                         "Spans dropped by the filter processor.",
                                         {{"processor", settings_.id.ToString()}});
  return Status::Ok();
}

Result<bool> FilterProcessor::Drop(const ResourceSpans& rs, const ScopeSpans& ss,
                                   const Span& span) const {
  if (config_.legacy && !config_.legacy->Selects(rs, ss, span)) return true;
  ottl::SpanContext ctx{rs, ss, span};
  for (const ottl::Condition& c : config_.span_conditions) {
    Result<bool> hit = c.Evaluate(ctx);
    if (!hit.ok()) {
      if (config_.error_mode == "propagate") {
        return Status::InvalidArgument(
            fmt::format("filter condition \"{}\": {}", c.text(), hit.status().message()));
      }
      if (config_.error_mode == "ignore") {
        settings_.logger->warn("filter condition \"{}\" failed: {}", c.text(),
                               hit.status().message());
      }
      continue;
    }
    if (*hit) return true;
  }
  return false;
}

Status FilterProcessor::ConsumeTraces(Traces traces) {
  size_t dropped = 0;
  for (ResourceSpans& rs : traces.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      Status error;
      dropped += ss.spans.RemoveIf([&](const Span& span) {
        Result<bool> drop = Drop(rs, ss, span);
        if (!drop.ok()) {
          if (error.ok()) error = drop.status();
          return false;
        }
        return *drop;
      });
      if (!error.ok()) return error;
    }
  }
  if (filtered_) filtered_->Add(dropped);
  if (dropped > 0) traces.RemoveEmpty();
  if (traces.empty()) return Status::Ok();
  return next_->ConsumeTraces(std::move(traces));
}

namespace {

class FilterProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "filter"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<FilterConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings& settings,
                                             const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(std::make_unique<FilterProcessor>(
        settings, static_cast<const FilterConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewFilterProcessorFactory() {
  return std::make_unique<FilterProcessorFactory>();
}

}  // namespace polytrace
