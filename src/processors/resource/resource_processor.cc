#include "processors/resource/resource_processor.h"

namespace polytrace {

Status ResourceConfig::Unmarshal(ConfigReader& r) {
  Result<std::vector<ConfigReader>> list = r.ChildList("attributes");
  if (!list.ok()) return list.status();
  Result<AttributeActions> parsed = AttributeActions::Parse(*list);
  if (!parsed.ok()) return parsed.status();
  POLYTRACE_RETURN_IF_ERROR(r.Finish());
  if (parsed->empty()) return r.Error("\"attributes\" must list at least one action");
  actions = std::make_shared<AttributeActions>(std::move(*parsed));
  return Status::Ok();
}

Status ResourceProcessor::ConsumeTraces(Traces traces) {
  Arena& arena = traces.arena();
  for (ResourceSpans& rs : traces.resource_spans()) {
    config_.actions->Apply(arena, rs.resource.attributes);
  }
  return next_->ConsumeTraces(std::move(traces));
}

namespace {

class ResourceProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "resource"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<ResourceConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings&, const ComponentConfig& config,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(
        std::make_unique<ResourceProcessor>(static_cast<const ResourceConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ProcessorFactory> NewResourceProcessorFactory() {
  return std::make_unique<ResourceProcessorFactory>();
}

}  // namespace polytrace
