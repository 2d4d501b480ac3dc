// FanOut: one consumer that forwards each batch to several.
//
// Used where one receiver feeds several pipelines and where one pipeline ends
// in several exporters. Consumers that mutate data get a private deep copy;
// the others share the original's memory read-only (Traces::Share), so a
// fan-out to N exporters copies no span. The first failure is returned after
// every consumer was tried.
#pragma once

#include <vector>

#include "pipeline/consumer.h"

namespace polytrace {

class FanOut : public TracesConsumer {
 public:
  explicit FanOut(std::vector<TracesConsumer*> consumers);
  bool MutatesData() const override;
  bool AcknowledgesDurably() const override;   // any of the consumers
  bool NeedsSpans() const override;            // any of the consumers
  bool QueuesWithoutWaiting() const override;  // every consumer
  Status ConsumeTraces(Traces traces) override;

 private:
  std::vector<TracesConsumer*> consumers_;
};

}  // namespace polytrace
