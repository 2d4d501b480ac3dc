// The `resource` processor: attribute actions applied to every resource
// (e.g. the seed's `environment: production` upsert).
#pragma once

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "processors/attraction/attraction.h"

namespace polytrace {

class ResourceConfig : public ComponentConfig {
 public:
  std::shared_ptr<AttributeActions> actions;
  Status Unmarshal(ConfigReader& reader) override;
};

class ResourceProcessor : public Processor {
 public:
  ResourceProcessor(ResourceConfig config, TracesConsumer* next)
      : config_(std::move(config)), next_(next) {}
  bool MutatesData() const override { return true; }
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }

 private:
  ResourceConfig config_;
  TracesConsumer* next_;
};

std::unique_ptr<ProcessorFactory> NewResourceProcessorFactory();

}  // namespace polytrace
