// The `batch` processor, with the Collector's semantics: spans accumulate
// until send_batch_size is reached (then they are sent at once, in pieces of
// at most send_batch_max_size) or until `timeout` passes since the first
// span of the pending batch. Like the Collector it acknowledges upstream as
// soon as spans are queued; export errors downstream are logged and counted.
//
// Except in front of a consumer that acknowledges durably (polytrace_store,
// see TracesConsumer::AcknowledgesDurably): there a client's OK must mean
// "in the WAL", so each producer waits for the result of the send holding
// its spans, and whatever is pending is sent as soon as the previous send
// returns, by one of the producers waiting for it (group commit: spans
// still merge while a write is in progress, and an idle pipeline adds no
// timeout to the latency). There is no flusher thread in this mode.
//
// Threading: ConsumeTraces runs on receiver threads and appends under mu_
// (waiting while a full batch is pending); one flusher thread sends full
// batches and those whose timeout came (the downstream call never holds
// mu_). The flusher sleeps on an Alarm set to the pending batch's deadline
// (its first span's arrival plus `timeout`), and with nothing pending it
// sleeps with no timer at all.
//
// Sent by the receiver's thread: when the next consumer only queues (an
// exporter's in-memory sending queue, TracesConsumer::QueuesWithoutWaiting)
// and the next spans are not expected before the pending batch's deadline
// (from the gaps between recent calls), the call that brings the last
// spans before it sends the batch itself and clears the flusher's alarm.
// The batch leaves a little before its timeout instead of at it, and the
// flusher's wake-up (an idle CPU woken: ~45 µs on a VM, a tenth of a
// forwarded request's CPU at 5k spans/s) is not paid. Spans still wait at
// most `timeout`; batches may hold the spans of one gap fewer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "core/alarm.h"
#include "pipeline/component.h"
#include "pipeline/factory.h"
#include "telemetry/metrics.h"

namespace polytrace {

class BatchConfig : public ComponentConfig {
 public:
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(200);
  uint32_t send_batch_size = 8192;
  uint32_t send_batch_max_size = 0;  // 0: no upper bound
  std::vector<std::string> metadata_keys;
  uint32_t metadata_cardinality_limit = 1000;

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class BatchProcessor : public Processor {
 public:
  BatchProcessor(Settings settings, BatchConfig config, TracesConsumer* next);
  ~BatchProcessor() override;

  Status Start(Host& host) override;
  void Shutdown() override;
  Status ConsumeTraces(Traces traces) override;
  bool NeedsSpans() const override { return next_->NeedsSpans(); }

  // How often the flusher has woken up (tests: at most once a batch while
  // spans keep coming, not at all while receivers send every batch).
  uint64_t flusher_wakeups() const;

 private:
  enum class Trigger { kSize, kTimeout, kShutdown, kDelivery };
  // The outcome of one delivery-mode send, kept until its waiters read it.
  struct Delivery {
    Status status;
    int waiters = 0;
    bool done = false;
  };
  void Run();
  // REQUIRES: mu_ held. Learns the gap between calls and says whether the
  // spans pending now are all that will come before their deadline.
  bool NoMoreSpansExpectedBeforeDeadline(std::chrono::steady_clock::time_point now);
  // Delivery mode: sends what is pending, or waits for the send that holds
  // this producer's spans; returns that send's result.
  Status Deliver(std::unique_lock<std::mutex>& lock);
  Status Send(Traces batch, Trigger trigger);

  Settings settings_;
  BatchConfig config_;
  TracesConsumer* next_;
  Histogram* send_size_ = nullptr;
  Counter* size_triggers_ = nullptr;
  Counter* timeout_triggers_ = nullptr;
  Counter* send_failed_ = nullptr;
  Counter* sent_by_receivers_ = nullptr;

  mutable std::mutex mu_;
  Alarm alarm_;                      // the flusher sleeps on it: set to deadline_ or rung
  std::condition_variable room_cv_;  // wakes producers waiting for room
  Traces pending_;                   // guarded by mu_
  size_t pending_spans_ = 0;         // guarded by mu_
  // When the pending spans are due: the first one's arrival plus timeout.
  std::chrono::steady_clock::time_point deadline_;  // guarded by mu_
  // The last call's arrival and the gap between calls (a moving average);
  // a zero gap: not known yet.
  std::chrono::steady_clock::time_point last_arrival_;  // guarded by mu_
  std::chrono::nanoseconds gap_{0};                     // guarded by mu_
  bool stopping_ = false;                               // guarded by mu_
  uint64_t flusher_wakeups_ = 0;                        // guarded by mu_
  bool wait_for_delivery_ = false;                      // set at Start
  bool receivers_send_ = false;                         // set at Start
  uint64_t open_batch_ = 1;                             // guarded by mu_: delivery mode
  std::map<uint64_t, Delivery> deliveries_;             // guarded by mu_: delivery mode
  std::condition_variable delivered_cv_;                // a delivery-mode send ended
  bool delivering_ = false;                             // guarded by mu_: delivery mode
  bool started_ = false;                                // guarded by mu_
  std::thread flusher_;
};

std::unique_ptr<ProcessorFactory> NewBatchProcessorFactory();

}  // namespace polytrace
