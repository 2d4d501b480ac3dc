#include "pipeline/fanout.h"

namespace polytrace {

FanOut::FanOut(std::vector<TracesConsumer*> consumers) : consumers_(std::move(consumers)) {}

bool FanOut::MutatesData() const {
  // A single mutating consumer can take the batch as it is; with several,
  // FanOut makes the copies itself.
  return consumers_.size() == 1 && consumers_[0]->MutatesData();
}

bool FanOut::AcknowledgesDurably() const {
  for (const TracesConsumer* c : consumers_) {
    if (c->AcknowledgesDurably()) return true;
  }
  return false;
}

bool FanOut::NeedsSpans() const {
  for (const TracesConsumer* c : consumers_) {
    if (c->NeedsSpans()) return true;
  }
  return false;
}

bool FanOut::QueuesWithoutWaiting() const {
  for (const TracesConsumer* c : consumers_) {
    if (!c->QueuesWithoutWaiting()) return false;
  }
  return true;
}

Status FanOut::ConsumeTraces(Traces traces) {
  if (consumers_.size() == 1) return consumers_[0]->ConsumeTraces(std::move(traces));
  Status first_error;
  for (TracesConsumer* c : consumers_) {
    Status st = c->ConsumeTraces(c->MutatesData() ? traces.Clone() : traces.Share());
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  return first_error;
}

}  // namespace polytrace
