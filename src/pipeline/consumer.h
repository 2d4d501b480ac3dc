// TracesConsumer: the one interface data flows through.
//
// Receivers push into a consumer; processors are consumers that forward to
// the next; exporters end a pipeline. Backpressure is the return value: a
// retryable Status (kResourceExhausted, kUnavailable) means "refused, try
// again later" and the receiver tells its client so; nothing is dropped
// silently. ConsumeTraces may be called from many threads at once.
#pragma once

#include "core/status.h"
#include "core/traces.h"

namespace polytrace {

class TracesConsumer {
 public:
  virtual ~TracesConsumer() = default;
  // True when the consumer modifies the batch it receives; a fan-out then
  // hands it a private copy.
  virtual bool MutatesData() const { return false; }
  // True when an Ok from ConsumeTraces means the data is durable downstream
  // (an embedded store's WAL), so a component that would acknowledge early
  // (the batch processor) must wait for the result instead. Processors
  // forward the question to their next consumer.
  virtual bool AcknowledgesDurably() const { return false; }
  // False when nothing downstream reads the spans themselves: every
  // exporter there sends the batch's encoding (Traces::wire) as it came.
  // Receivers then only check requests and leave them undecoded
  // (Traces::SetUndecoded). Processors forward the question.
  virtual bool NeedsSpans() const { return true; }
  // True when ConsumeTraces only computes and hands the batch to a queue:
  // it never waits for the network, a disk or room in a full queue. The
  // batch processor then sends from a receiver's thread when that spares
  // its flusher a wake-up (and otherwise only from its own thread).
  // Processors forward the question.
  virtual bool QueuesWithoutWaiting() const { return false; }
  virtual Status ConsumeTraces(Traces traces) = 0;
};

}  // namespace polytrace
