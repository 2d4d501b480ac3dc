#include "processors/attributes/attributes_processor.h"

namespace polytrace {

Status AttributesConfig::Unmarshal(ConfigReader& r) {
  Result<std::vector<ConfigReader>> list = r.ChildList("actions");
  if (!list.ok()) return list.status();
  Result<AttributeActions> parsed = AttributeActions::Parse(*list);
  if (!parsed.ok()) return parsed.status();
  Result<SpanSelection> sel = SpanSelection::Parse(r);
  if (!sel.ok()) return sel.status();
  POLYTRACE_RETURN_IF_ERROR(r.Finish());
  if (parsed->empty()) return r.Error("\"actions\" must list at least one action");
  actions = std::make_shared<AttributeActions>(std::move(*parsed));
  selection = std::make_shared<SpanSelection>(std::move(*sel));
  return Status::Ok();
}

Status AttributesProcessor::ConsumeTraces(Traces traces) {
  Arena& arena = traces.arena();
  for (ResourceSpans& rs : traces.resource_spans()) {
    for (ScopeSpans& ss : rs.scope_spans) {
      for (Span& span : ss.spans) {
        if (config_.selection->all() || config_.selection->Selects(rs, ss, span)) {
          config_.actions->Apply(arena, span.attributes);
        }
      }
    }
  }
  return next_->ConsumeTraces(std::move(traces));
}

namespace {

class AttributesProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "attributes"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<AttributesConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings&, const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(
        std::make_unique<AttributesProcessor>(static_cast<const AttributesConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewAttributesProcessorFactory() {
  return std::make_unique<AttributesProcessorFactory>();
}

}  // namespace polytrace
