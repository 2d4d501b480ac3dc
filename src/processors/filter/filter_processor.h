// The `filter` processor: drops spans that match any `traces.span` OTTL
// condition, or (the older form) that `spans.include` does not select or
// `spans.exclude` does. error_mode decides what a condition that cannot be
// evaluated does: propagate (refuse the batch), ignore (log, keep the span),
// silent (keep the span).
#pragma once

#include <vector>

#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "processors/filter/ottl.h"
#include "processors/filterspan/span_matcher.h"
#include "telemetry/metrics.h"

namespace polytrace {

class FilterConfig : public ComponentConfig {
 public:
  std::string error_mode = "propagate";
  std::vector<ottl::Condition> span_conditions;
  std::shared_ptr<SpanSelection> legacy;  // spans: include/exclude

  Status Unmarshal(ConfigReader& reader) override;
};

class FilterProcessor : public Processor {
 public:
  FilterProcessor(Settings settings, FilterConfig config, TracesConsumer* next)
      : settings_(std::move(settings)), config_(std::move(config)), next_(next) {}
  bool MutatesData() const override { return true; }
  Status Start(Host& host) override;
  void Shutdown() override {}
  Status ConsumeTraces(Traces traces) override;
  bool AcknowledgesDurably() const override { return next_->AcknowledgesDurably(); }
  bool QueuesWithoutWaiting() const override { return next_->QueuesWithoutWaiting(); }

 private:
  // True when the span must go; errors follow error_mode.
  Result<bool> Drop(const ResourceSpans& rs, const ScopeSpans& ss, const Span& span) const;

  Settings settings_;
  FilterConfig config_;
  TracesConsumer* next_;
  Counter* filtered_ = nullptr;
};

std::unique_ptr<ProcessorFactory> NewFilterProcessorFactory();

}  // namespace polytrace
