// The `attributes` processor: attribute actions applied to the spans that
// `include`/`exclude` select (all spans when neither is set).
#pragma once

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "processors/attraction/attraction.h"
#include "processors/filterspan/span_matcher.h"

namespace polytrace {

class AttributesConfig : public ComponentConfig {
 public:
  std::shared_ptr<AttributeActions> actions;
  std::shared_ptr<SpanSelection> selection;
  Status Unmarshal(ConfigReader& reader) override;
};

class AttributesProcessor : public Processor {
 public:
  AttributesProcessor(AttributesConfig config, TracesConsumer* next)
      : config_(std::move(config)), next_(next) {}
  bool MutatesData() const override { return true; }
  Status Start(Host&) override { return Status::Ok(); }
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }

 private:
  AttributesConfig config_;
  TracesConsumer* next_;
};

std::unique_ptr<ProcessorFactory> NewAttributesProcessorFactory();

}  // namespace polytrace
