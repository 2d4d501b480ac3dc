// Test doubles shared by unit tests: a consumer that records what it gets
// (optionally failing on demand), and a builder for small batches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/consumer.h"

namespace polytrace::testing {

class TracesSink : public TracesConsumer {
 public:
  Status ConsumeTraces(Traces traces) override;
  // As an exporter that sends only the request bytes would answer (false
  // lets receivers pass batches on undecoded).
  bool NeedsSpans() const override { return needs_spans_; }
  void SetNeedsSpans(bool needs) { needs_spans_ = needs; }
  // As an exporter with an in-memory sending queue would answer.
  bool QueuesWithoutWaiting() const override { return queues_without_waiting_; }
  void SetQueuesWithoutWaiting(bool queues) { queues_without_waiting_ = queues; }

  // Makes the next calls return `status` (Ok to accept again).
  void SetResponse(Status status);
  // Makes only the next `calls` calls return `status`, then accepts again.
  void RefuseNext(int calls, Status status);
  size_t SpanCount() const;
  size_t BatchCount() const;
  std::vector<size_t> BatchSizes() const;
  // Blocks until at least `spans` spans arrived or the deadline passes.
  bool WaitForSpans(size_t spans, std::chrono::milliseconds deadline) const;
  // Calls fn with the recorded batches under the lock.
  void Inspect(const std::function<void(const std::vector<Traces>&)>& fn) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Traces> batches_;          // guarded by mu_
  Status response_;                      // guarded by mu_
  int refusals_left_ = -1;               // guarded by mu_; -1: response_ applies to every call
  bool needs_spans_ = true;              // set before use
  bool queues_without_waiting_ = false;  // set before use
};

// Builds a batch with one resource (service.name = service) and one scope
// holding `spans` spans named "span-<i>" with distinct ids.
Traces MakeTraces(const std::string& service, size_t spans, uint8_t trace_seed = 1);

}  // namespace polytrace::testing
